"""Pure hashing and verification of an audit chain: standard library only.

The format is documented in docs/audit-format.md so that anyone can write their own verifier.

An event is a JSON object with exactly the keys of :data:`EVENT_FIELDS`. Its hash is::

    hash = SHA-256( prev_hash as 64 lowercase hex characters  ||  canonical JSON of the event )

where the event's JSON includes ``chain``, ``seq`` and ``prev_hash`` but not ``hash``, and the first
event of a chain has ``seq`` 1 and ``prev_hash`` of 64 zeros. Canonical JSON is RFC 8785 for the
values we allow (strings, integers, booleans, null, lists and objects): keys sorted, no
insignificant white space, UTF-8, non-ASCII characters written as themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
EVENT_FIELDS = frozenset(
    {"chain", "seq", "prev_hash", "occurred_at", "actor", "action", "subject", "payload"}
)
_MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 §3.2.2.3: integers beyond I-JSON's range are not exact


class ChainFormatError(ValueError):
    """An event that is not in the documented format (so it cannot be hashed canonically)."""


def _check_value(value: Any, where: str) -> None:
    """Only values whose canonical form is unambiguous: no floats (RFC 8785 number formatting)."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ChainFormatError(f"{where}: integer {value} is outside the exact JSON range")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ChainFormatError(f"{where}: object keys must be strings")
            _check_value(item, f"{where}.{key}")
        return
    raise ChainFormatError(f"{where}: {type(value).__name__} values are not allowed")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON for strings, integers, booleans, null, lists and objects."""
    _check_value(value, "event")
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(event: Mapping[str, Any]) -> str:
    """The hash of one event, given the event with its ``prev_hash`` (and without ``hash``)."""
    body = {key: event[key] for key in EVENT_FIELDS}
    prev = body["prev_hash"]
    if not isinstance(prev, str) or len(prev) != 64:
        raise ChainFormatError("prev_hash must be 64 hexadecimal characters")
    return hashlib.sha256(prev.encode("ascii") + canonical_json(body)).hexdigest()


def seal(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    occurred_at: str,
    actor: str | None,
    action: str,
    subject: str | None,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """Build an event and its hash: the one way new events are made."""
    event: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": dict(payload),
    }
    event["hash"] = event_hash(event)
    return event


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying a chain: ``ok``, the head hash, or the first broken event."""

    ok: bool
    events: int
    head: str
    broken_at: int | None = None  # 1-based position in the file (line number for JSON Lines)
    reason: str = ""


def verify(events: Iterable[Mapping[str, Any]]) -> Verdict:
    """Recompute a chain from its first event; name the first event that does not fit.

    Detects a changed field (its hash no longer matches), a deleted or inserted event and a
    reordering (the ``seq`` and ``prev_hash`` links break), and events from two chains mixed.
    """
    prev = GENESIS_HASH
    chain: str | None = None
    count = 0
    for position, event in enumerate(events, start=1):
        problem = _problem(event, position, prev, chain)
        if problem:
            return Verdict(False, count, prev, position, problem)
        chain = str(event["chain"])
        prev = str(event["hash"])
        count += 1
    return Verdict(True, count, prev)


def _problem(event: Mapping[str, Any], position: int, prev: str, chain: str | None) -> str:
    missing = (EVENT_FIELDS | {"hash"}) - set(event)
    if missing:
        return f"missing fields: {', '.join(sorted(missing))}"
    extra = set(event) - EVENT_FIELDS - {"hash"}
    if extra:
        return f"unexpected fields: {', '.join(sorted(extra))}"
    if chain is not None and event["chain"] != chain:
        return f"belongs to chain {event['chain']!r}, not {chain!r}"
    if event["seq"] != position:
        return f"sequence number {event['seq']!r} where {position} was expected"
    if event["prev_hash"] != prev:
        return "prev_hash does not match the hash of the event before it"
    try:
        recomputed = event_hash(event)
    except ChainFormatError as error:
        return str(error)
    if recomputed != event["hash"]:
        return "hash does not match the event's contents (the event was changed)"
    return ""


def read_jsonl(lines: Iterable[str]) -> Iterable[dict[str, Any]]:
    """Parse an exported chain, one JSON object per line; blank lines are ignored."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise ChainFormatError(f"line {number}: not valid JSON ({error.msg})") from error
        if not isinstance(value, dict):
            raise ChainFormatError(f"line {number}: not a JSON object")
        yield value


def to_jsonl(event: Mapping[str, Any]) -> str:
    """One exported line: canonical JSON of the event including its hash."""
    return canonical_json(dict(event)).decode("utf-8")
