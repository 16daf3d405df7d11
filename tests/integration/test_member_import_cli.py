"""``governance members import``: one line per problem and a non-zero exit, or a commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import main

BAD = "Member no;Name;Email address;Status\r\nM1;Ann;ann@example.org;\r\nM2;Bob;bob@;weird\r\n"
GOOD = (
    "Member no;Name;Email address;Ref\r\nM1;Ann;ann@example.org;A\r\nM2;Bob;bob@example.org;B\r\n"
)


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVERNANCE_DATA_DIR", str(tmp_path))
    return CliRunner()


def _csv(tmp_path: Path, content: str) -> str:
    path = tmp_path / "register.csv"
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_dry_run_prints_each_problem_and_exits_non_zero(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["members", "import", _csv(tmp_path, BAD), "--commit"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == [
        'line 3, column "Email address": "bob@" is not a valid email address.',
        'line 3, column "Status": "weird" is not a status: write active, lapsed or suspended.',
    ]
    assert lines[-1] == "2 problems: nothing was imported."


def test_commit_applies_a_good_file_and_a_mapping(runner: CliRunner, tmp_path: Path) -> None:
    path = _csv(tmp_path, GOOD)
    checked = runner.invoke(main, ["members", "import", path, "--map", "Ref=ignore"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("2 rows: 2 new, 0 changed, 0 unchanged.")
    committed = runner.invoke(main, ["members", "import", path, "--commit"])
    assert committed.exit_code == 0, committed.output
    assert committed.output.splitlines()[-1] == "Imported; 0 absent members lapsed."
    again = runner.invoke(main, ["members", "import", path])
    assert again.output.startswith("2 rows: 0 new, 0 changed, 2 unchanged.")


def test_a_bad_mapping_is_refused_before_reading(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["members", "import", _csv(tmp_path, GOOD), "--map", "Ref"])
    assert result.exit_code == 2
    assert "COLUMN=FIELD" in result.output
