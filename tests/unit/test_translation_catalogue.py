"""The committed translation template holds every string people read: pages, mail, labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "governance" / "locale" / "messages.pot"


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as catalogue:
        return {str(message.id) for message in read_po(catalogue) if message.id}


def test_the_committed_catalogue_has_exactly_the_strings_the_code_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same extraction as ``make messages``, compared by msgid: line numbers and dates in the
    file may be stale, a missing or left-over string may not."""
    fresh = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)  # babel.cfg's patterns are relative to the project folder
    arguments = ["-k", "N_", "-o", str(fresh), "--project", "governance", "."]
    CommandLineInterface().run(["pybabel", "--quiet", "extract", "-F", "babel.cfg", *arguments])
    extracted, committed = _msgids(fresh), _msgids(COMMITTED)
    missing, extra = sorted(extracted - committed), sorted(committed - extracted)
    assert not missing and not extra, (
        "governance/locale/messages.pot is out of date; run `make messages`.\n"
        f"Missing: {missing}\nNo longer in the code: {extra}"
    )


def test_mail_subjects_and_phase_names_are_in_the_catalogue() -> None:
    committed = _msgids(COMMITTED)
    assert "You are invited to help run elections" in committed  # a mail subject (.txt only)
    assert "Results published" in committed  # an election phase's name
    assert "Settings are locked once nominations open." in committed  # a lifecycle guard
