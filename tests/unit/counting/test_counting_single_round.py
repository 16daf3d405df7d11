"""IRV and the one-round methods: textbook answers, one-seat Scottish wards, ties by lot."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from governance.counting import irv, simple
from governance.counting.blt import load_blt, read_blt
from governance.counting.model import CountingError, Lot


def test_irv_elects_chocolate_with_quota_11_in_the_wikipedia_food_example(
    ballots_dir: Path,
) -> None:
    sheet = irv.count(load_blt(ballots_dir / "textbook/wikipedia-food.blt"), Lot(0))
    assert sheet.elected_names == ["Chocolate"]
    assert sheet.quota == 11


def test_irv_elects_alice_in_the_opavote_example(ballots_dir: Path) -> None:
    sheet = irv.count(load_blt(ballots_dir / "textbook/opavote-example.blt"), Lot(0))
    assert sheet.elected_names == ["Alice"]


def test_irv_elects_the_reference_winner_of_every_one_seat_scottish_ward(
    ballots_dir: Path, one_seat_case: dict[str, Any]
) -> None:
    path = ballots_dir / one_seat_case["folder"] / one_seat_case["file"]
    sheet = irv.count(load_blt(path), Lot(0))
    assert [c + 1 for c in sheet.elected] == one_seat_case["reference_elected_ids"]


def test_irv_excludes_the_lowest_and_moves_their_papers() -> None:
    text = '3 1\n4 1 0\n3 2 0\n2 3 2 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    sheet = irv.count(read_blt(text), Lot(0))
    assert sheet.elected_names == ["B"]
    assert [s.votes for s in sheet.stages] == [
        {0: 4, 1: 3, 2: 2},
        {0: 4, 1: 5},
    ]
    assert sheet.stages[1].transfers == {1: Fraction(2), 2: Fraction(-2)}


def test_irv_equal_lowest_looks_back_to_the_previous_stage() -> None:
    # Stage 1: A 6, B 4, C 3, D 1 -> D out, to C. Stage 2: B and C tie on 4; at stage 1 C had
    # fewer, so C is excluded without a lot.
    text = '4 1\n6 1 0\n4 2 0\n3 3 0\n1 4 3 0\n0\n"A"\n"B"\n"C"\n"D"\n"t"\n'
    sheet = irv.count(read_blt(text), Lot(0))
    assert sheet.stages[1].votes == {0: 6, 1: 4, 2: 4}
    assert sheet.stages[2].excluded == [2]
    assert sheet.draws == []
    assert sheet.elected_names == ["A"]


# Stage 3: C1 and C4 both have 15; at stage 2 C4 had 14 to C1's 15, so C4 goes at stage 4.
LOOKED_BACK = (
    "5 1\n14 5 2 0\n15 4 0\n6 2 0\n8 0\n5 3 2 5 0\n8 1 3 4 2 0\n1 1 5 3 2 0\n4 2 4 3 1 0\n"
    '0\n"C0"\n"C1"\n"C2"\n"C3"\n"C4"\n"look-back"\n'
)


def test_irv_notes_a_tie_settled_by_an_earlier_stage_on_the_stage_it_decides() -> None:
    sheet = irv.count(read_blt(LOOKED_BACK), Lot(0))
    assert sheet.stages[2].votes == {1: 15, 3: 23, 4: 15}
    assert sheet.stages[1].votes[1] > sheet.stages[1].votes[4]
    assert sheet.stages[3].excluded == [4]
    assert sheet.stages[3].notes == [
        "Tie (equal lowest) between C1, C4; decided by an earlier stage: C4"
    ]
    assert [s.notes for s in sheet.stages[:3]] == [[], [], []]
    assert sheet.draws == []
    assert sheet.elected_names == ["C1"]


def test_irv_tie_at_every_stage_is_drawn_by_lot_reproducibly() -> None:
    text = '2 1\n3 1 0\n3 2 0\n0\n"A"\n"B"\n"t"\n'
    first = irv.count(read_blt(text), Lot(11))
    again = irv.count(read_blt(text), Lot(11))
    assert len(first.draws) == 1
    assert first.elected == again.elected
    (draw,) = first.draws
    loser = "AB"[draw.chosen]
    assert first.stages[1].notes == [
        f"Tie (equal lowest) between A, B; equal at every stage: decided by lot: {loser}"
    ]


def test_plurality_elects_the_most_first_preferences() -> None:
    text = '3 1\n4 1 2 0\n5 2 0\n3 3 1 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    sheet = simple.plurality(read_blt(text), Lot(0))
    assert sheet.elected_names == ["B"]
    assert sheet.stages[0].votes == {0: 4, 1: 5, 2: 3}


def test_block_vote_counts_the_first_seats_preferences() -> None:
    text = '4 2\n4 1 2 3 0\n3 3 4 0\n2 4 2 0\n0\n"A"\n"B"\n"C"\n"D"\n"t"\n'
    sheet = simple.block(read_blt(text), Lot(0))
    assert sheet.stages[0].votes == {0: 4, 1: 6, 2: 3, 3: 5}
    assert sheet.elected_names == ["B", "D"]


def test_approval_counts_every_named_candidate() -> None:
    text = '3 2\n4 1 2 3 0\n3 3 0\n2 2 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    sheet = simple.approval(read_blt(text), Lot(0))
    assert sheet.stages[0].votes == {0: 4, 1: 6, 2: 7}
    assert sheet.elected_names == ["C", "B"]


def test_a_tie_for_the_last_seat_is_drawn_by_lot_and_recorded() -> None:
    text = '3 2\n5 1 0\n3 2 0\n3 3 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    sheet = simple.plurality(read_blt(text), Lot(5))
    assert sheet.elected[0] == 0
    assert len(sheet.draws) == 1
    assert set(sheet.draws[0].tied) == {1, 2}
    assert sheet.elected[1] == sheet.draws[0].chosen


@pytest.mark.parametrize(
    ("yes", "no", "carried"),
    [(6, 4, True), (4, 6, False), (5, 5, False)],
)
def test_a_motion_is_carried_only_by_a_majority(yes: int, no: int, carried: bool) -> None:
    text = f'2 1\n{yes} 1 0\n{no} 2 0\n1 0\n0\n"Yes"\n"No"\n"Motion"\n'
    sheet = simple.yes_no(read_blt(text), Lot(0))
    assert sheet.elected_names == (["Yes"] if carried else ["No"])
    assert sheet.stages[0].votes == {0: yes, 1: no}
    assert sheet.invalid_papers == 1
    assert sheet.notes == [f"Motion {'carried' if carried else 'not carried'}: Yes {yes}, No {no}"]
    assert sheet.draws == []


def test_a_motion_needs_exactly_two_answers() -> None:
    with pytest.raises(CountingError, match="exactly two"):
        simple.yes_no(read_blt('3 1\n1 1 0\n0\n"A"\n"B"\n"C"\n"t"\n'), Lot(0))
