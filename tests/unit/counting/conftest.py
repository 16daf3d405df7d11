"""Where the shared reference ballots are, and the golden cases they hold.

The ballots live beside the repository clone (``<repo>/../shared/ballots``) or wherever
``GOVERNANCE_BALLOTS_DIR`` points. Without them the golden tests are skipped with one line saying
so, except under CI (``CI`` set), where a missing reference set is a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCOTTISH_FOLDERS = ("edinburgh-2017", "glasgow-2007", "scotland-2007-2022")


def find_ballots_dir() -> Path | None:
    configured = os.environ.get("GOVERNANCE_BALLOTS_DIR")
    path = Path(configured) if configured else REPO.parent / "shared" / "ballots"
    return path if path.is_dir() else None


def _missing() -> None:
    where = os.environ.get("GOVERNANCE_BALLOTS_DIR") or str(REPO.parent / "shared" / "ballots")
    message = f"shared reference ballots not found at {where} (set GOVERNANCE_BALLOTS_DIR)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def ballots_dir() -> Path:
    """The shared ballots folder; skips (fails under CI) when it is absent."""
    found = find_ballots_dir()
    if found is None:
        _missing()
    assert found is not None
    return found


def scottish_cases() -> list[dict[str, Any]]:
    """Every expected.json entry of the Scottish folders, with its folder added."""
    root = find_ballots_dir()
    if root is None:
        return []
    cases = []
    for folder in SCOTTISH_FOLDERS:
        for entry in json.loads((root / folder / "expected.json").read_text(encoding="utf-8")):
            cases.append({**entry, "folder": folder})
    return cases


def glasgow_wards() -> list[str]:
    """Glasgow 2007 wards that have a Droop reference count sheet in ``ref/``."""
    root = find_ballots_dir()
    if root is None:
        return []
    suffix = "-scotland-fixed-p5-d5.txt"
    return sorted(
        p.name.removesuffix(suffix) for p in (root / "glasgow-2007/ref").glob("*" + suffix)
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per published Scottish ward result, and per Glasgow reference count sheet."""
    if "scottish_case" in metafunc.fixturenames:
        cases = scottish_cases()
        ids = [f"{c['folder']}/{c['file']}" for c in cases]
        _parametrize(metafunc, "scottish_case", cases, ids)
    if "one_seat_case" in metafunc.fixturenames:
        cases = [c for c in scottish_cases() if c["seats"] == 1]
        ids = [f"{c['folder']}/{c['file']}" for c in cases]
        _parametrize(metafunc, "one_seat_case", cases, ids)
    if "glasgow_ward" in metafunc.fixturenames:
        wards = glasgow_wards()
        _parametrize(metafunc, "glasgow_ward", wards, wards)


def _parametrize(metafunc: pytest.Metafunc, name: str, values: list[Any], ids: list[str]) -> None:
    # Without the ballots one placeholder runs, and its ``ballots_dir`` fixture skips (or fails
    # under CI) with the reason, instead of pytest quietly collecting nothing.
    if values:
        metafunc.parametrize(name, values, ids=ids)
    else:
        metafunc.parametrize(name, [None], ids=["ballots-missing"])
