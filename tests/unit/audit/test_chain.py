"""The pure chain: every kind of tampering is detected and named."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.audit import chain


def _chain(length: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    prev = chain.GENESIS_HASH
    for seq in range(1, length + 1):
        event = chain.seal(
            chain="election:7",
            seq=seq,
            prev_hash=prev,
            occurred_at=f"2026-03-0{seq % 9 + 1}T17:00:00.000000Z",
            actor="ro@example.org",
            action=f"step.{seq}",
            subject=f"contest:{seq}",
            payload={"seats": 36, "names": ["Ann", "Bo"], "open": True, "note": None, "é": "ü"},
        )
        events.append(event)
        prev = event["hash"]
    return events


def test_an_untouched_chain_verifies_with_its_head() -> None:
    events = _chain(5)
    verdict = chain.verify(events)
    assert verdict.ok and verdict.events == 5 and verdict.head == events[-1]["hash"]


def test_the_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    """The documented formula, recomputed independently of event_hash (docs/audit-format.md)."""
    import hashlib

    event = _chain(1)[0]
    body = {key: value for key, value in event.items() if key != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256((chain.GENESIS_HASH + text).encode("utf-8")).hexdigest()
    assert event["hash"] == expected


FIELDS = [
    "chain",
    "seq",
    "prev_hash",
    "occurred_at",
    "actor",
    "action",
    "subject",
    "payload",
    "hash",
]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("position", [0, 2, 4])
def test_changing_any_field_of_any_event_is_detected(field: str, position: int) -> None:
    events = _chain(5)
    value = events[position][field]
    if isinstance(value, int):
        events[position][field] = value + 1
    elif isinstance(value, dict):
        events[position][field] = {**value, "seats": 35}
    else:
        events[position][field] = str(value)[:-1] + ("0" if str(value)[-1:] != "0" else "1")
    verdict = chain.verify(events)
    assert not verdict.ok
    assert verdict.broken_at == position + 1


def test_deleting_an_event_is_detected() -> None:
    events = _chain(5)
    del events[2]
    verdict = chain.verify(events)
    assert not verdict.ok and verdict.broken_at == 3


def test_inserting_an_event_is_detected() -> None:
    events = _chain(5)
    forged = dict(events[1])
    forged["action"] = "forged"
    events.insert(2, forged)
    verdict = chain.verify(events)
    assert not verdict.ok and verdict.broken_at == 3


def test_reordering_events_is_detected() -> None:
    events = _chain(5)
    events[1], events[2] = events[2], events[1]
    verdict = chain.verify(events)
    assert not verdict.ok and verdict.broken_at == 2


def test_truncating_the_end_verifies_but_the_head_no_longer_matches_the_declared_one() -> None:
    events = _chain(5)
    verdict = chain.verify(events[:3])
    assert verdict.ok and verdict.head != events[-1]["hash"]


def test_floats_are_refused_because_their_canonical_form_is_ambiguous() -> None:
    with pytest.raises(chain.ChainFormatError):
        chain.canonical_json({"share": 0.5})


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
def test_canonical_json_is_independent_of_key_order(payload: dict[str, Any]) -> None:
    reordered = dict(reversed(list(payload.items())))
    assert chain.canonical_json(payload) == chain.canonical_json(reordered)
    assert json.loads(chain.canonical_json(payload)) == payload


def test_importing_the_chain_loads_neither_sqlalchemy_nor_litestar() -> None:
    code = (
        "import sys, governance.audit.chain\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'litestar')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
