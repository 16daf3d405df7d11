"""What no method can count honestly is refused before counting, saying why; seats a count
leaves empty are said on the sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.counting import cli
from governance.counting.methods import METHOD_NAMES, count
from governance.counting.model import BallotGroup, CountingError, Election

NAMES = ("Ann", "Bob", "Cat")


def _election(
    ballots: tuple[BallotGroup, ...], *, seats: int = 1, withdrawn: frozenset[int] = frozenset()
) -> Election:
    return Election("Test", NAMES, seats, ballots, withdrawn)


PAPERS = (BallotGroup((0, 1), 3), BallotGroup((1,), 2), BallotGroup((2, 0), 1))


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_nobody_standing_is_refused(method: str) -> None:
    election = _election(PAPERS, withdrawn=frozenset({0, 1, 2}))
    with pytest.raises(CountingError, match="no candidate stands: every candidate"):
        count(election, method)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_no_valid_paper_is_refused_rather_than_filling_seats_by_lot(method: str) -> None:
    blanks = (BallotGroup((), 5), BallotGroup((2,), 0), BallotGroup((1,), 4))
    with pytest.raises(CountingError, match="there is no valid ballot paper to count"):
        count(_election(blanks, withdrawn=frozenset({1})), method)


@pytest.mark.parametrize("method", ["irv", "yes-no"])
def test_a_single_seat_method_refuses_more_seats(method: str) -> None:
    with pytest.raises(CountingError, match=f"the {method} method fills one seat, not 2"):
        count(_election(PAPERS, seats=2), method)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_equal_rankings_are_refused_by_rules_that_give_them_no_meaning(method: str) -> None:
    tied = BallotGroup((0, 1, 2), 2, levels=((0, 1), (2,)))
    with pytest.raises(CountingError, match=f"which the {method} rules do not allow"):
        count(_election((*PAPERS, tied)), method)


@pytest.mark.parametrize("method", ["block", "stv-scottish", "stv-ers97", "stv-meek"])
def test_seats_left_empty_are_said_on_the_sheet(method: str) -> None:
    sheet = count(_election(PAPERS, seats=3, withdrawn=frozenset({2})), method)
    assert sheet.elected_names in (["Ann", "Bob"], ["Bob", "Ann"])
    assert "1 of the 3 seats are left unfilled: only 2 candidates stand" in sheet.notes


def test_the_command_line_says_why_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ballots = tmp_path / "two.blt"
    ballots.write_text('3 2\n2 1 2 0\n1 3 0\n0\n"Ann"\n"Bob"\n"Cat"\n"Test"\n', encoding="utf-8")
    assert cli.main([str(ballots), "-m", "irv"]) == 1
    err = capsys.readouterr().err
    assert "the irv method fills one seat, not 2: count with --seats 1" in err
    assert cli.main([str(ballots), "-m", "irv", "--seats", "1"]) == 0
