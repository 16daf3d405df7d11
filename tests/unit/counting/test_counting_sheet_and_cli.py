"""Count sheets as text and JSON, the ``count`` command, and the pure-core import promise."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from governance.counting import cli, ers97, irv, meek, scottish
from governance.counting.blt import load_blt, read_blt
from governance.counting.methods import METHOD_NAMES, METHODS, get_method
from governance.counting.model import CountingError, CountSheet, Election, Lot
from governance.counting.sheet import (
    COLUMNS_PER_BLOCK,
    format_number,
    to_json,
    to_json_dict,
    to_text,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (Fraction(517_13156, 100_000), 5, "517.13156"),
        (Fraction(-2, 3), 5, "-0.66666"),
        (Fraction(107_58, 100), 2, "107.58"),
        (Fraction(7), 0, "7"),
        (Fraction(22, 7), None, "22/7"),
        (Fraction(1, 10**9), 9, "0.000000001"),
    ],
)
def test_numbers_are_shown_exactly_at_the_rules_places(
    value: Fraction, decimals: int | None, shown: str
) -> None:
    assert format_number(value, decimals) == shown


def test_json_sheet_has_the_result_every_stage_and_the_lots(ballots_dir: Path) -> None:
    sheet = scottish.count(load_blt(ballots_dir / "droop-tests/SC-Vm-12.blt"), Lot(9))
    data = to_json_dict(sheet)
    assert data["method"] == "stv-scottish"
    assert (data["seats"], data["quota"], data["seed"], data["decimals"]) == (3, "1001.00000", 9, 5)
    assert data["elected"] == sheet.elected_names
    assert len(data["rounds"]) == len(sheet.stages)
    assert data["rounds"][0]["votes"]["X"] == "667.00000"
    assert data["draws"][0]["tied"] == ["X", "Y", "Z"]
    assert {d["outcome"] for d in data["decisions"]} == {"elected", "excluded"}


def test_json_is_byte_identical_for_the_same_count(ballots_dir: Path) -> None:
    election = load_blt(ballots_dir / "droop-tests/SC-Vm-12.blt")
    first = to_json(scottish.count(election, Lot(4)))
    assert first == to_json(scottish.count(election, Lot(4)))
    json.loads(first)


def test_text_sheet_shows_quota_stages_transfers_and_draws(ballots_dir: Path) -> None:
    sheet = scottish.count(load_blt(ballots_dir / "droop-tests/SC-Vm-12.blt"), Lot(9))
    text = to_text(sheet)
    assert "Quota: 1001.00000" in text
    assert "Non-transferable votes" in text
    assert "Lots drawn (seed 9)" in text
    assert "(-667.00000)" in text
    assert "Elected, in order: " + ", ".join(sheet.elected_names) in text


# One seat: C's two papers have no further preference, so the quota falls once C is excluded.
FALLING_QUOTA = '3 1\n4 1 0\n3 2 0\n2 3 0\n0\n"A"\n"B"\n"C"\n"t"\n'


def _row(text: str, label: str) -> list[str]:
    """The cells of the table row starting with ``label``, across every block of stages."""
    cells: list[str] = []
    for line in text.splitlines():
        if line.startswith(label + "  "):
            cells.extend(line.removeprefix(label).split())
    return cells


@pytest.mark.parametrize(
    ("count", "quotas"),
    [
        (irv.count, ["5", "4"]),  # a majority of the continuing votes
        (ers97.count, ["4.50", "3.50"]),  # 5.4.8: reduced when C's papers exhaust
        (meek.count, ["4.500000001", "4.500000001", "3.500000001", "3.500000001"]),
    ],
    ids=["irv", "stv-ers97", "stv-meek"],
)
def test_text_sheet_shows_the_quota_of_every_stage_when_it_changes(
    count: Callable[[Election, Lot], CountSheet], quotas: list[str]
) -> None:
    text = to_text(count(read_blt(FALLING_QUOTA), Lot(0)))
    assert _row(text, "Quota") == quotas
    assert _row(text, "Stage") == [str(n) for n in range(1, len(quotas) + 1)]


def test_text_sheet_shows_each_stages_quota_in_every_block_of_columns() -> None:
    # Candidate n has n papers (n = 1..12) and no second preference: the lowest goes at each
    # stage, its papers exhaust, and the majority falls until L holds one: eleven stages.
    names = "".join(f'"{c}"\n' for c in "ABCDEFGHIJKL")
    papers = "".join(f"{n} {n} 0\n" for n in range(1, 13))
    sheet = irv.count(read_blt(f'12 1\n{papers}0\n{names}"t"\n'), Lot(0))
    assert len(sheet.stages) == 11 > COLUMNS_PER_BLOCK
    quotas = [str(sum(range(n, 13)) // 2 + 1) for n in range(1, 12)]
    assert quotas[:3] == ["40", "39", "38"]
    assert _row(to_text(sheet), "Quota") == quotas


def test_text_sheet_has_no_quota_row_when_the_quota_is_fixed() -> None:
    text = to_text(scottish.count(read_blt(FALLING_QUOTA), Lot(0)))
    assert "Quota: 5.00000" in text  # r.46: the one quota, in the heading
    assert _row(text, "Quota") == []


@pytest.mark.parametrize(
    "count",
    [scottish.count, ers97.count, meek.count],
    ids=["stv-scottish", "stv-ers97", "stv-meek"],
)
def test_candidates_left_when_every_seat_is_filled_are_excluded_at_the_last_stage(
    count: Callable[[Election, Lot], CountSheet],
) -> None:
    """Every STV sheet shows those left over the same way: excluded at its last stage."""
    text = '4 2\n10 1 0\n10 2 0\n2 3 0\n1 4 0\n0\n"A"\n"B"\n"C"\n"D"\n"t"\n'
    sheet = count(read_blt(text), Lot(0))
    assert sheet.elected_names == ["A", "B"]
    last = to_json_dict(sheet)["rounds"][-1]
    assert last["excluded"] == ["C", "D"]
    decided = {d.candidate: d.stage for d in sheet.decisions if d.outcome == "excluded"}
    assert decided == {2: last["number"], 3: last["number"]}
    final = [line.split()[-1] for line in to_text(sheet).splitlines() if line[:2] in ("C ", "D ")]
    assert [cell[-1] for cell in final] == ["x", "x"]


def test_registry_lists_every_method_and_refuses_an_unknown_one() -> None:
    assert set(METHODS) == {
        "plurality", "block", "approval", "irv", "stv-scottish", "stv-ers97", "stv-meek", "yes-no",
    }  # fmt: skip
    assert tuple(METHODS) == METHOD_NAMES
    assert METHODS["stv-scottish"] is scottish.count
    with pytest.raises(CountingError, match="unknown counting method 'borda'"):
        get_method("borda")


def test_count_command_prints_json_with_the_required_fields(
    ballots_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ballots_dir / "textbook/wikipedia-food.blt"
    assert cli.main([str(path), "--method", "stv-scottish", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"method", "seats", "quota", "elected", "rounds"} <= set(data)
    assert data["elected"] == ["Chocolate", "Orange", "Strawberry"]


def test_count_command_overrides_seats_and_seed(
    ballots_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ballots_dir / "textbook/wikipedia-food.blt"
    args = [str(path), "-m", "stv-scottish", "--seats", "1", "--seed", "5", "--format", "json"]
    assert cli.main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["seats"], data["seed"], data["elected"]) == (1, 5, ["Chocolate"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["droop-tests/meek-eq1.blt", "-m", "stv-scottish"], "equal rankings"),
        (["missing.blt", "-m", "irv"], "cannot read the file"),
        (["droop-tests/42.blt", "-m", "borda"], "Invalid value for '--method'"),
        (["droop-tests/42.blt", "-m", "irv", "--seats", "0"], "--seats must be between 1 and 3"),
    ],
)
def test_count_command_fails_with_one_clear_line(
    ballots_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status = cli.main([str(ballots_dir / args[0]), *args[1:]])
    assert status != 0
    assert message in capsys.readouterr().err


def test_python_dash_m_runs_the_count(ballots_dir: Path) -> None:
    path = ballots_dir / "droop-tests/weak-defeat.blt"
    done = subprocess.run(
        [sys.executable, "-m", "governance.counting", str(path), "-m", "stv-scottish"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert "Elected, in order: E, D" in done.stdout


def test_importing_the_counting_core_loads_neither_sqlalchemy_nor_litestar() -> None:
    """Every module of the package, found by walking it (not from a list), in a fresh process.

    Nor any other part of governance: the counting library stands alone.
    """
    probe = (
        "import contextlib, importlib, io, json, pkgutil, sys\n"
        "import governance.counting as package\n"
        "prefix = package.__name__ + '.'\n"
        "names = [m.name for m in pkgutil.walk_packages(package.__path__, prefix)]\n"
        "for name in names:\n"
        "    if name.endswith('.__main__'):  # importing it runs the command: ask for its help\n"
        "        sys.argv = [name, '--help']\n"
        "        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "            importlib.import_module(name)\n"
        "    else:\n"
        "        importlib.import_module(name)\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'litestar'))\n"
        "mine = ('governance', 'governance.counting')\n"
        "others = sorted(\n"
        "    m for m in sys.modules\n"
        "    if m.split('.')[0] == 'governance' and m not in mine and not m.startswith(prefix)\n"
        ")\n"
        "print(json.dumps({'walked': names, 'web': web, 'others': others}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    found = json.loads(done.stdout)
    assert found["web"] == []
    assert found["others"] == []
    # The walk reached every package and module, the ones the old fixed list named among them.
    assert {
        "governance.counting.__main__",
        "governance.counting.model",
        "governance.counting.blt",
        "governance.counting.blt.scan",
        "governance.counting.sheet",
        "governance.counting.simple",
        "governance.counting.irv",
        "governance.counting.scottish",
        "governance.counting.methods",
        "governance.counting.cli",
        "governance.counting.constraints.stage",
        "governance.counting.ers97.state",
        "governance.counting.meek.ballots",
    } <= set(found["walked"])
    package = REPO / "governance" / "counting"
    modules = {p for p in package.rglob("*.py") if p.name != "__init__.py"}
    assert len(found["walked"]) == len(modules) + len(list(package.rglob("__init__.py"))) - 1


def test_governance_count_loads_neither_the_web_app_nor_the_database(ballots_dir: Path) -> None:
    probe = (
        "import sys\n"
        "from governance.cli import main\n"
        "try:\n"
        "    main(['count', sys.argv[1], '--method', 'stv-scottish'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "web = ('sqlalchemy', 'litestar', 'advanced_alchemy', 'granian', 'jinja2')\n"
        "app = ('governance.app', 'governance.web', 'governance.db', 'governance.models')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in web or m.startswith(app))\n"
        "print(bad, 'governance.counting.scottish' in sys.modules, file=sys.stderr)\n"
    )
    path = str(ballots_dir / "textbook/wikipedia-food.blt")
    done = subprocess.run(
        [sys.executable, "-c", probe, path], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "Elected, in order: Chocolate, Orange, Strawberry" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[] True"  # counted, without the app


def test_the_registry_and_command_do_not_load_numpy_until_a_count_runs() -> None:
    probe = (
        "import sys\n"
        "import governance.counting.cli, governance.counting.methods\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "False"
