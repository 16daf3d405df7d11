"""Meek STV on small hand-made elections: the clauses and edges the reference files do not reach."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from governance.counting.meek import count
from governance.counting.meek.ballots import SCALE, BallotTree
from governance.counting.model import BallotGroup, CountingError, CountSheet, Election, Lot

NAMES = ("Ash", "Birch", "Cedar", "Damson")


def election(
    lines: list[tuple[tuple[int, ...], int]],
    seats: int,
    *,
    withdrawn: frozenset[int] = frozenset(),
    tie_order: tuple[int, ...] = (),
) -> Election:
    ballots = tuple(BallotGroup(ranking, n) for ranking, n in lines)
    return Election("hand-made", NAMES, seats, ballots, withdrawn, tie_order)


def _defeated(sheet: CountSheet) -> list[int]:
    return [d.candidate for d in sheet.decisions if d.reason == "lowest vote (B.3)"]


def test_count_sheet_names_the_rule_and_its_nine_places() -> None:
    sheet = count(election([((0, 1), 5), ((1,), 3), ((2,), 2)], 1), Lot(11))
    assert (sheet.method, sheet.decimals, sheet.seed) == ("stv-meek", 9, 11)
    assert sheet.stages[0].quota == Fraction(5_000_000_001, 10**9)  # 10 / 2, plus 10^-9 (B.2.b)
    assert sheet.elected_names == ["Ash"]


def test_withdrawn_first_preference_goes_to_the_next() -> None:
    sheet = count(
        election([((0, 2), 4), ((1,), 3), ((2,), 1)], 1, withdrawn=frozenset({0})), Lot(0)
    )
    assert sheet.stages[0].votes == {1: 3, 2: 5, 3: 0}
    assert sheet.withdrawn == (0,)
    assert sheet.elected_names == ["Cedar"]


def test_blank_papers_and_papers_for_withdrawn_only_are_invalid() -> None:
    lines = [((), 2), ((0,), 1), ((1, 2), 4), ((2,), 3)]
    sheet = count(election(lines, 1, withdrawn=frozenset({0})), Lot(0))
    assert sheet.valid_votes == Fraction(7)
    assert sheet.invalid_papers == 3


def test_seats_for_every_candidate_elects_them_all_at_once() -> None:
    sheet = count(election([((3, 1), 2), ((0,), 1)], 4), Lot(0))
    assert [s.action for s in sheet.stages] == ["first", "election"]
    assert sheet.elected == [0, 1, 2, 3]  # C.1: the remaining hopeful, in ballot order
    assert {d.reason for d in sheet.decisions} == {"remaining hopeful, seats unfilled (C.1)"}


def test_no_valid_ballots_fill_the_seats_by_lot() -> None:
    sheet = count(election([((), 3)], 2), Lot(5))
    assert len(sheet.elected) == 2
    assert len(sheet.draws) == 2  # every round's defeat is a four- then three-way tie
    assert all(s.non_transferable_votes == 0 for s in sheet.stages)


def test_tie_order_line_breaks_a_tie_without_a_lot() -> None:
    tied = election([((0,), 2), ((1,), 2), ((2,), 5), ((3,), 5)], 3, tie_order=(3, 1, 0, 2))
    sheet = count(tied, Lot(0))
    assert sheet.draws == []
    assert _defeated(sheet) == [1]  # Ash and Birch tie on 2; Birch comes first in the order
    assert "Ash, Birch settled by the election's tie-break order" in sheet.stages[2].notes[1]


def test_a_tie_without_an_order_is_drawn_and_recorded() -> None:
    sheet = count(election([((0,), 2), ((1,), 2), ((2,), 5), ((3,), 5)], 3), Lot(3))
    (draw,) = sheet.draws
    assert (draw.tied, draw.stage) == ((0, 1), 3)
    assert _defeated(sheet) == [draw.chosen]


def test_stage_notes_give_iterations_and_keep_factors() -> None:
    sheet = count(election([((0, 1), 6), ((1,), 2), ((2,), 3), ((3,), 1)], 2), Lot(0))
    defeat = next(s for s in sheet.stages if s.action == "exclusion")
    assert defeat.notes[0].startswith("B.2: ")
    assert any(n.startswith("keep factor Ash: 0.") for n in defeat.notes)


def test_more_papers_than_exact_tallies_allow_is_refused() -> None:
    with pytest.raises(CountingError, match="ballot papers"):
        count(election([((0,), 10**10)], 1), Lot(0))


def test_a_ranking_deeper_than_the_tree_allows_is_refused() -> None:
    many = tuple(f"C{i}" for i in range(2**15))
    huge = Election("huge", many, 1, (BallotGroup(tuple(range(2**15)), 1),))
    with pytest.raises(CountingError, match="ranks more than"):
        count(huge, Lot(0))


def test_a_keep_factor_beyond_exact_arithmetic_is_refused() -> None:
    tree = BallotTree([BallotGroup((0, 1), 1)], 2)
    with pytest.raises(CountingError, match="keep factor above 2"):
        tree.distribute(np.array([3 * SCALE, SCALE, 0], np.int64))


def test_count_complete_shows_only_the_elected_holding_votes() -> None:
    sheet = count(election([((0, 1), 6), ((1,), 2), ((2,), 3), ((3,), 1)], 2), Lot(0))
    *_, last_round, complete = sheet.stages
    assert complete.description == "Count complete: Cedar excluded as remaining hopeful"
    assert complete.votes[2] == 0 < last_round.votes[2]
    assert complete.non_transferable_votes == last_round.non_transferable_votes + 3
    assert complete.non_transferable_papers == last_round.non_transferable_papers == 1


def test_a_line_of_no_papers_changes_nothing() -> None:
    lines = [((0, 1), 5), ((1,), 3), ((2,), 2)]
    with_empty_line = count(election([((2, 0), 0), *lines], 2), Lot(0))
    assert with_empty_line.stages == count(election(lines, 2), Lot(0)).stages


@pytest.mark.parametrize(
    ("factors", "expected"),
    [
        # B.2.a below 1: Ash keeps 0.4 of 1, Cedar 0.5 of the 0.6 left, Birch the rest (and all
        # of the second paper)
        ((400_000_000, SCALE, 500_000_000), [400_000_000, 1_300_000_000, 300_000_000]),
        # a keep factor above 1 (weight below 0 after Ash): nothing more is given on that paper
        ((1_500_000_000, SCALE, 500_000_000), [1_500_000_000, SCALE, 0]),
        # rounded up to 9 places at every step
        ((333_333_333, SCALE, 1), [333_333_333, 1_666_666_666, 1]),
    ],
)
def test_distribution_gives_each_candidate_w_times_kf_rounded_up(
    factors: tuple[int, int, int], expected: list[int]
) -> None:
    tree = BallotTree([BallotGroup((0, 2, 1), 1), BallotGroup((1,), 1)], 3)
    tree.elect(0)
    tree.elect(2)
    tree.replan()
    votes = tree.distribute(np.array([*factors, 0], np.int64))
    assert votes.tolist() == expected
