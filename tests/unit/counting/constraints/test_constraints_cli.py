"""Category limits from a JSON file: the format in docs/constraints.md, the registry, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.counting import cli
from governance.counting.blt import write_blt
from governance.counting.constraints import ConstraintError, Limit, read_constraints
from governance.counting.methods import count, takes_constraints
from governance.counting.model import BallotGroup, CountingError, Election

NAMES = ("Ann Acme", "Bob Acme", "Cat Beta", "Dan North", "Eve North", "Fay Gamma")
LINES = ((18, "AB"), (17, "BA"), (15, "CF"), (14, "FCA"), (6, "DC"), (3, "ED"))
EXAMPLE = Election(
    "constraints",
    NAMES,
    3,
    tuple(BallotGroup(tuple("ABCDEF".index(c) for c in order), n) for n, order in LINES),
)
DOCUMENTED = {
    "categories": {
        "1": {"region": "South", "organisation": "Acme"},
        "2": {"region": "South", "organisation": "Acme"},
        "Cat Beta": {"region": "South", "organisation": "Beta"},
        "Dan North": {"region": "North", "organisation": "Beta"},
        "5": {"region": "North", "organisation": "Gamma"},
        "Fay Gamma": {"region": "South", "organisation": "Gamma"},
    },
    "limits": {"region": {"North": {"minimum": 1}}, "organisation": {"Acme": {"maximum": 1}}},
}


def test_candidates_are_named_by_number_or_name() -> None:
    rules = read_constraints(json.dumps(DOCUMENTED), NAMES)
    assert rules.categories[0] == {"region": "South", "organisation": "Acme"}
    assert rules.categories[2] == {"region": "South", "organisation": "Beta"}
    assert rules.categories[4] == {"region": "North", "organisation": "Gamma"}
    assert dict(rules.limits) == {
        ("region", "North"): Limit(minimum=1),
        ("organisation", "Acme"): Limit(maximum=1),
    }


def test_a_star_limits_every_value_of_its_dimension() -> None:
    data = {**DOCUMENTED, "limits": {"organisation": {"*": {"maximum": 1}}}}
    rules = read_constraints(json.dumps(data), NAMES)
    assert dict(rules.limits) == {
        ("organisation", "Acme"): Limit(maximum=1),
        ("organisation", "Beta"): Limit(maximum=1),
        ("organisation", "Gamma"): Limit(maximum=1),
    }


def test_a_value_with_its_own_limit_is_not_covered_by_the_star() -> None:
    data = {**DOCUMENTED, "limits": {"organisation": {"*": {"maximum": 1}, "Beta": {}}}}
    with pytest.raises(ConstraintError, match='organisation = Beta: give a "minimum"'):
        read_constraints(json.dumps(data), NAMES)
    data["limits"] = {"organisation": {"*": {"maximum": 1}, "Beta": {"maximum": 2}}}
    limits = read_constraints(json.dumps(data), NAMES).limits
    assert limits["organisation", "Beta"] == Limit(maximum=2)
    assert limits["organisation", "Acme"] == Limit(maximum=1)


ONE_N = '{"categories": {"1": {"r": "N"}}, '  # candidate 1 in category r = N


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON (line 1, column 2"),
        ("[]", "the file: expected a JSON object"),
        ('{"limits": {}}', 'the file has no "categories" object'),
        ('{"categories": {}, "limit": {}}', "the file: unknown key 'limit'"),
        ('{"categories": {"7": {"r": "N"}}}', "there is no candidate number 7 (1 to 6)"),
        ('{"categories": {"Zed": {"r": "N"}}}', "'Zed' is not a candidate number or name"),
        (
            '{"categories": {"1": {"r": "N"}, "Ann Acme": {"r": "S"}}}',
            "'Ann Acme' is given twice",
        ),
        ('{"categories": {"1": {"r": 3}}}', "categories: 1: each category must be a non-empty"),
        (ONE_N + '"limits": {"r": {"N": {"minimum": -1}}}}', "r = N: the minimum"),
        (ONE_N + '"limits": {"r": {"N": {"maximum": true}}}}', "r = N: the maximum"),
        (ONE_N + '"limits": {"r": {"N": {"most": 1}}}}', "unknown key 'most'"),
    ],
)
def test_a_bad_constraints_file_says_what_to_correct(text: str, message: str) -> None:
    with pytest.raises(ConstraintError) as refused:
        read_constraints(text, NAMES)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"regoin": {"N": {"maximum": 1}}}, "no candidate has a 'regoin' category"),
        ({"r": {"Nrth": {"maximum": 1}}}, "r = 'Nrth': no candidate is in this category"),
    ],
)
def test_a_limit_on_a_category_no_candidate_is_in_is_a_slip_not_a_rule(
    limits: dict[str, object], message: str
) -> None:
    """A misspelt limit would bind nobody and change nothing: it is refused, not ignored."""
    text = json.dumps({"categories": {"1": {"r": "N"}, "2": {"r": "S"}}, "limits": limits})
    with pytest.raises(ConstraintError, match=message) as refused:
        read_constraints(text, NAMES)
    if "Nrth" in message:
        assert "the candidates' r values are 'N', 'S'" in str(refused.value)


def test_a_name_two_candidates_share_must_be_given_by_number() -> None:
    with pytest.raises(ConstraintError, match="two candidates are called 'Al': use numbers"):
        read_constraints('{"categories": {"Al": {"r": "N"}}}', ("Al", "Al"))


def test_the_registry_passes_limits_to_the_methods_that_take_them() -> None:
    rules = read_constraints(json.dumps(DOCUMENTED), NAMES)
    methods = ("block", "stv-scottish", "stv-ers97", "stv-meek", "irv")
    assert {m for m in methods if takes_constraints(m)} == {
        "block",
        "stv-scottish",
        "stv-ers97",
        "stv-meek",
    }
    for method in ("stv-scottish", "stv-ers97", "stv-meek"):
        sheet = count(EXAMPLE, method, seed=1, constraints=rules)
        assert sheet.elected_names == ["Cat Beta", "Ann Acme", "Dan North"]
    with pytest.raises(CountingError, match="the irv method does not take category limits; use"):
        count(EXAMPLE, "irv", constraints=rules)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ballots, limits = tmp_path / "example.blt", tmp_path / "limits.json"
    ballots.write_text(write_blt(EXAMPLE), encoding="utf-8")
    limits.write_text(json.dumps(DOCUMENTED), encoding="utf-8")
    return ballots, limits


def test_count_command_counts_within_the_limits(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ballots, limits = files
    args = [str(ballots), "-m", "stv-scottish", "--constraints", str(limits), "--format", "json"]
    assert cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["elected"] == ["Cat Beta", "Ann Acme", "Dan North"]
    assert any(d["reason"].startswith("constraint: ") for d in data["decisions"])


def test_count_command_counts_meek_within_the_limits(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ballots, limits = files
    assert cli.main([str(ballots), "--method", "stv-meek"]) == 0
    assert "Elected, in order: Ann Acme, Cat Beta, Bob Acme" in capsys.readouterr().out
    assert cli.main([str(ballots), "--method", "stv-meek", "--constraints", str(limits)]) == 0
    shown = capsys.readouterr().out
    assert "Round 2: Fay Gamma defeated" in shown
    assert "Dan North protected: region = North needs 1 more elected" in shown
    assert "Round 4: Ann Acme elected; Bob Acme defeated (category limits)" in shown
    assert "Bob Acme excluded — constraint: electing would exceed the maximum of 1" in shown
    assert "Elected, in order: Cat Beta, Ann Acme, Dan North" in shown


@pytest.mark.parametrize(
    ("method", "content", "message"),
    [
        ("stv-scottish", "{not json", "limits.json: not valid JSON (line 1, column 2"),
        ("block", '{"categories": {"9": {}}}', "limits.json: categories: there is no candidate"),
        ("irv", None, "the irv method does not take category limits"),
        (
            "stv-ers97",
            '{"categories": {"1": {"r": "N"}}, "limits": {"r": {"N": {"minimum": 2}}}}',
            "limits.json: r = N: the minimum 2 is more than the 1 candidate(s) standing in it",
        ),
        (
            "stv-meek",
            '{"categories": {"4": {"r": "N"}}, "limits": {"r": {"*": {"minimum": 2}}}}',
            "limits.json: r = N: the minimum 2 is more than the 1 candidate(s) standing in it",
        ),
    ],
)
def test_count_command_refuses_bad_limits_in_one_line(
    files: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    method: str,
    content: str | None,
    message: str,
) -> None:
    ballots, limits = files
    if content is not None:
        limits.write_text(content, encoding="utf-8")
    assert cli.main([str(ballots), "-m", method, "--constraints", str(limits)]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_count_command_refuses_a_missing_limits_file(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ballots, limits = files
    missing = limits.with_name("nowhere.json")
    assert cli.main([str(ballots), "-m", "block", "--constraints", str(missing)]) != 0
    assert "nowhere.json: cannot read the file" in capsys.readouterr().err


def test_count_command_help_describes_the_constraints_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert '--constraints FILE.json category limits, a JSON file: {"categories":' in shown
    assert "docs/constraints.md" in shown


def test_a_defect_in_a_count_is_one_plain_line_and_exit_70(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad input is a CountingError; anything else is our defect, reported without a traceback."""

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "count", broken)
    ballots, _ = files
    assert cli.main([str(ballots), "-m", "stv-scottish"]) == 70
    err = capsys.readouterr().err
    assert "the count failed unexpectedly (ZeroDivisionError: division by zero)" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
