"""Meek STV against Droop's PR Foundation reference Meek counts (``meek-prf-o6-fixed-p9``).

Droop settles ties by the order of the candidates in the file, its stand-in for the rule's
"predetermined random order" (procedure T); ``FileOrderLot`` draws the same way, so every stage
can be compared: votes, quota, total surplus, residual and keep factors, to the last of the nine
decimal places. Droop logs an election before it computes that iteration's surplus (B.2.d), so the
surplus of its "elect" rows is the previous iteration's and is not compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from governance.counting.blt import load_blt
from governance.counting.meek import count, fixed
from governance.counting.model import CountSheet, Draw, Lot, Stage

REFERENCE = "meek-prf-o6-fixed-p9-d9"
FILES = ("42", "42t", "42u", "513", "M135", "SC", "SCw", "SCwopt", "SC-Vm-12")


class FileOrderLot(Lot):
    """Droop's tie order: the first of the tied candidates in the order of the file."""

    def choose(self, tied: Sequence[int], *, stage: int, purpose: str) -> int:
        ordered = tuple(sorted(tied))
        self.draws.append(Draw(stage, ordered, ordered[0], purpose))
        return ordered[0]


@dataclass
class Row:
    """One row of a Droop dump: the state of the count after an action."""

    round: str
    action: str
    quota: str
    surplus: str
    residual: str
    candidates: dict[str, tuple[str, str, str]]  # name -> (state, vote, keep factor)


def read_dump(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if fields[1] not in ("begin", "elect", "defeat", "end"):
            continue
        cells = fields[6:]
        candidates = {
            cells[i]: (cells[i + 1], cells[i + 2], cells[i + 3]) for i in range(0, len(cells), 4)
        }
        rows.append(Row(fields[0], fields[1], fields[2], fields[4], fields[5], candidates))
    return rows


def read_actions(path: Path) -> list[tuple[str, str]]:
    """The report's actions as (kind, text after the colon), in order."""
    actions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"Action: (Elect remaining|Defeat remaining|Elect|Defeat|Break tie)", line)
        if match:
            actions.append((match.group(1), line.rsplit(": ", 1)[1]))
    return actions


def expected_stages(rows: list[Row], actions: list[tuple[str, str]]) -> list[Row]:
    """Droop rows matching our stages: begin, one per round's action, then the end if C acted."""
    decisions = [kind for kind, _ in actions if kind != "Break tie"]
    steps = [row for row in rows if row.action in ("elect", "defeat")]
    assert len(decisions) == len(steps)
    in_rounds = [row for row, kind in zip(steps, decisions, strict=True) if "remaining" not in kind]
    stages = [rows[0]]
    for row in in_rounds:
        last = stages[-1]
        if row.action == last.action == "elect" and row.round == last.round:
            stages[-1] = row  # candidates elected in one iteration: one stage, the last row
        else:
            stages.append(row)
    if len(in_rounds) < len(steps):
        stages.append(rows[-1])
    return stages


def keep_factors(stage: Stage) -> dict[str, str]:
    notes = [n.removeprefix("keep factor ") for n in stage.notes if n.startswith("keep factor ")]
    return dict(note.rsplit(": ", 1) for note in notes)


def total_surplus(stage: Stage) -> str:
    return next(n.removeprefix("total surplus ") for n in stage.notes if n.startswith("total s"))


def as_fixed(value: Fraction) -> str:
    return fixed(int(value * 10**9))


@pytest.fixture(params=FILES)
def reference(request: pytest.FixtureRequest, ballots_dir: Path) -> tuple[CountSheet, Path, Path]:
    folder = ballots_dir / "droop-tests"
    name = request.param
    sheet = count(load_blt(folder / f"{name}.blt"), FileOrderLot(0))
    ref = folder / "ref"
    return (
        sheet,
        ref / "report" / f"{name}-{REFERENCE}.txt",
        ref / "dump" / f"{name}-{REFERENCE}.txt",
    )


def test_elected_in_droops_order(reference: tuple[CountSheet, Path, Path]) -> None:
    sheet, report, _ = reference
    expected = [text for kind, text in read_actions(report) if kind.startswith("Elect")]
    assert sheet.elected_names == expected


def test_ties_and_their_breaking_match(reference: tuple[CountSheet, Path, Path]) -> None:
    sheet, report, _ = reference
    ties = [text for kind, text in read_actions(report) if kind == "Break tie"]
    drawn = [
        f"[{', '.join(sheet.candidates[c] for c in d.tied)}] -> {sheet.candidates[d.chosen]}"
        for d in sheet.draws
    ]
    assert drawn == ties


def test_every_stage_matches_the_dump(reference: tuple[CountSheet, Path, Path]) -> None:
    sheet, report, dump = reference
    expected = expected_stages(read_dump(dump), read_actions(report))
    assert len(sheet.stages) == len(expected)
    for stage, row in zip(sheet.stages, expected, strict=True):
        assert stage.quota is not None
        assert as_fixed(stage.quota) == row.quota, stage.description
        assert as_fixed(stage.non_transferable_votes) == row.residual, stage.description
        if stage.action != "election" or row.action == "end":
            assert total_surplus(stage) == row.surplus, stage.description
        votes = {sheet.candidates[c]: as_fixed(v) for c, v in stage.votes.items()}
        assert votes == {name: vote for name, (state, vote, _) in row.candidates.items()}
        elected_kf = {name: kf for name, (state, _, kf) in row.candidates.items() if state == "E"}
        assert keep_factors(stage) == elected_kf, stage.description


def test_withdrawn_candidate_takes_no_part(ballots_dir: Path) -> None:
    for name in ("SCw", "SCwopt"):
        sheet = count(load_blt(ballots_dir / "droop-tests" / f"{name}.blt"), FileOrderLot(0))
        assert sheet.withdrawn == (3,)
        assert all(3 not in stage.votes for stage in sheet.stages)
        assert "Pat LaMarche" not in sheet.elected_names
        assert sheet.valid_votes == 94


def test_nine_digit_meek_elects_y_in_the_voting_matters_trap(ballots_dir: Path) -> None:
    sheet = count(load_blt(ballots_dir / "droop-tests" / "SC-Vm-12.blt"), FileOrderLot(0))
    assert sheet.elected_names == ["A", "B", "Y"]  # exact Meek elects X: the 9 places decide it


def test_green_party_steering_committee(ballots_dir: Path) -> None:
    sheet = count(load_blt(ballots_dir / "droop-tests" / "SC.blt"), FileOrderLot(0))
    expected = ["Pat LaMarche", "Rebecca Rotzler", "Steve Kramer", "Kristen Olsen"]
    assert sheet.elected_names == expected


@pytest.mark.parametrize("seed", range(4))
def test_voting_matters_tie_is_drawn_by_the_seeded_lot(ballots_dir: Path, seed: int) -> None:
    contest = load_blt(ballots_dir / "droop-tests" / "SC-Vm-12.blt")
    sheet = count(contest, Lot(seed))
    (draw,) = sheet.draws
    assert (draw.stage, draw.tied) == (3, (2, 3, 4))  # X, Y and Z within the surplus (B.3)
    assert sheet.elected[:2] == [0, 1]
    assert sheet.elected[2] == (3 if draw.chosen == 2 else 2)  # defeating X elects Y, else X
    assert count(contest, Lot(seed)) == sheet
