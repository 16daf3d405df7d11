"""Category constraints inside Meek STV: where the limits meet the PR Foundation rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from constraint_cases import (
    ACME_FULL,
    CATEGORIES,
    NAMES,
    NORTH_PROTECTED,
    NORTH_SHORT,
    RULES,
    decisions,
    election,
)

from governance.counting import meek
from governance.counting.blt import load_blt
from governance.counting.constraints import ConstraintError, Constraints, Limit
from governance.counting.meek import fixed
from governance.counting.meek import rule as meek_rule
from governance.counting.meek.ballots import SCALE
from governance.counting.methods import count
from governance.counting.model import CountSheet, Election, Lot, Stage
from governance.counting.sheet import to_json

NORTH_MINIMUM = Constraints(CATEGORIES, {("region", "North"): Limit(minimum=1)})
ACME_MAXIMUM = Constraints(CATEGORIES, {("organisation", "Acme"): Limit(maximum=1)})
FORCED = f"{NORTH_PROTECTED}; they exactly fill the places left"


def elected(sheet: CountSheet) -> str:
    return "".join(sheet.elected_names)


def figures(stage: Stage) -> dict[str, str]:
    """Votes held (9 places), the quota and the residual, as the table in the docs shows them."""
    assert stage.quota is not None
    shown = {NAMES[c]: fixed(int(v * SCALE)) for c, v in stage.votes.items() if v}
    shown["quota"] = fixed(int(stage.quota * SCALE))
    shown["residual"] = fixed(int(stage.non_transferable_votes * SCALE))
    return shown


# -- the worked example of docs/constraints.md

EXAMPLE_1 = election(3, (18, "AB"), (17, "BA"), (15, "CF"), (14, "FCA"), (6, "DC"), (3, "ED"))


def test_worked_example_1_without_constraints_elects_two_from_acme_and_none_from_the_north() -> (
    None
):
    assert elected(meek.count(EXAMPLE_1, Lot(1))) == "ACB"


def test_worked_example_1_figures() -> None:
    sheet = meek.count(EXAMPLE_1, Lot(1), constraints=RULES)
    first = {"A": "18.000000000", "B": "17.000000000", "C": "15.000000000", "D": "6.000000000",
             "E": "3.000000000", "F": "14.000000000", "quota": "18.250000001",
             "residual": "0.000000000"}  # fmt: skip
    assert [figures(s) for s in sheet.stages] == [
        first,
        first,
        {"A": "18.000000000", "B": "17.000000000", "C": "15.000000000", "D": "9.000000000",
         "F": "14.000000000", "quota": "18.250000001", "residual": "0.000000000"},
        {"A": "18.000000000", "B": "17.000000000", "C": "29.000000000", "D": "9.000000000",
         "quota": "18.250000001", "residual": "0.000000000"},
        {"A": "23.189655170", "B": "17.000000000", "C": "18.250000005", "D": "9.000000000",
         "quota": "16.859913794", "residual": "5.560344825"},
        {"A": "23.189655170", "C": "18.250000005", "D": "9.000000000",
         "quota": "16.859913794", "residual": "22.560344825"},
    ]  # fmt: skip
    assert "keep factor C: 0.629310345" in sheet.stages[4].notes


def test_worked_example_1_count_sheet() -> None:
    sheet = meek.count(EXAMPLE_1, Lot(1), constraints=RULES)
    assert [s.description for s in sheet.stages] == [
        "First preferences",
        "Round 1: E defeated",
        "Round 2: F defeated",
        "Round 3: C elected",
        "Round 4: A elected; B defeated (category limits)",
        "Count complete: D elected as remaining hopeful",
    ]
    assert decisions(sheet) == [
        (2, "E", "excluded", "lowest vote (B.3)"),
        (3, "F", "excluded", "lowest vote of those not protected by a constraint (B.3)"),
        (4, "C", "elected", "vote reached the quota (B.2.c)"),
        (5, "A", "elected", "vote reached the quota (B.2.c)"),
        (5, "B", "excluded", f"constraint: {ACME_FULL}"),
        (6, "D", "elected", "remaining hopeful, seats unfilled (C.1)"),
    ]
    assert f"D {NORTH_PROTECTED}" in sheet.stages[2].notes
    # B (17) reaches the quota as it falls with C's surplus exhausting, together with A
    assert sheet.stages[4].quota is not None and sheet.stages[4].votes[1] >= sheet.stages[4].quota
    assert f"B defeated instead of elected: {ACME_FULL}" in sheet.stages[4].notes
    assert elected(sheet) == "CAD"


# -- (a) a maximum bars a candidate who reaches the quota

EXAMPLE_2 = election(2, (30, "ABD"), (29, "BAE"), (12, "CD"), (8, "DE"), (6, "EC"), names="ABCDE")


def test_a_candidate_reaching_the_quota_beyond_a_maximum_is_defeated_instead() -> None:
    assert elected(meek.count(EXAMPLE_2, Lot(1))) == "AB"
    sheet = meek.count(EXAMPLE_2, Lot(1), constraints=RULES)
    first_round = sheet.stages[1]
    assert first_round.description == "Round 1: A elected; B defeated (category limits)"
    assert (first_round.elected, first_round.excluded) == ([0], [1])
    assert first_round.notes[1] == f"B defeated instead of elected: {ACME_FULL}"
    assert sheet.stages[2].votes[0] == 59  # B's keep factor is 0: its papers pass on to A
    assert decisions(sheet)[:2] == [
        (2, "A", "elected", "vote reached the quota (B.2.c)"),
        (2, "B", "excluded", f"constraint: {ACME_FULL}"),
    ]
    assert elected(sheet) == "AD"


def test_candidates_the_limits_bar_are_defeated_at_the_top_of_a_round() -> None:
    stages = meek.count(EXAMPLE_2, Lot(1), constraints=RULES).stages
    barred = stages[2]
    assert (barred.action, barred.description) == (
        "exclusion",
        "Round 2: C defeated (category limits)",
    )
    assert barred.excluded == [2]
    assert barred.notes[0] == f"C defeated: {NORTH_SHORT}"
    assert stages[3].votes[2] == 0  # defeated: keep factor 0 from the next round on


def test_candidates_reaching_the_quota_together_are_taken_highest_vote_first() -> None:
    contest = election(2, (29, "A"), (30, "B"), (12, "C"), (10, "D"), names="ABCD")
    sheet = meek.count(contest, Lot(1), constraints=ACME_MAXIMUM)
    assert sheet.stages[1].description == "Round 1: B elected; A defeated (category limits)"
    assert elected(sheet) == "BC"  # A comes first on the paper but has the lower vote


def test_equal_votes_at_the_quota_follow_the_tie_order() -> None:
    tied = election(2, (30, "A"), (30, "B"), (12, "C"), (10, "D"), names="ABCD")
    for order, first in (((1, 0, 2, 3), "B"), ((0, 1, 2, 3), "A")):
        sheet = meek.count(
            dataclasses.replace(tied, tie_order=order), Lot(1), constraints=ACME_MAXIMUM
        )
        assert sheet.draws == []
        notes = sheet.stages[1].notes
        assert "T: tie at the quota between A, B settled by the election's tie-break order" in notes
        assert elected(sheet) == f"{first}C"


def test_equal_votes_at_the_quota_without_a_tie_order_are_drawn_by_lot() -> None:
    tied = election(2, (30, "A"), (30, "B"), (12, "C"), (10, "D"), names="ABCD")
    sheet = meek.count(tied, Lot(1), constraints=ACME_MAXIMUM)
    (draw,) = sheet.draws
    assert (draw.stage, draw.tied, draw.purpose) == (2, (0, 1), "equal votes at the quota (B.2.c)")
    assert sheet.elected[0] == draw.chosen
    assert "T: tie at the quota between A, B settled by lot" in sheet.stages[1].notes


def test_equal_votes_at_the_quota_need_no_order_when_all_can_be_elected() -> None:
    contest = election(2, (30, "A"), (30, "C"), (12, "B"), (10, "D"), names="ABCD")
    sheet = meek.count(contest, Lot(1), constraints=ACME_MAXIMUM)
    assert sheet.draws == []
    assert sheet.stages[1].description == "Round 1: A, C elected"


# -- (b) a minimum protects a low candidate from defeat

PROTECTING = election(2, (9, "A"), (8, "B"), (7, "C"), (3, "D"), names="ABCD")


def test_a_minimum_protects_the_lowest_candidate_from_defeat() -> None:
    plain = meek.count(PROTECTING, Lot(1))
    assert plain.stages[1].description == "Round 1: D defeated"
    sheet = meek.count(PROTECTING, Lot(1), constraints=NORTH_MINIMUM)
    assert sheet.stages[1].description == "Round 1: C defeated"
    assert f"D {NORTH_PROTECTED}" in sheet.stages[1].notes
    assert decisions(sheet) == [
        (2, "C", "excluded", "lowest vote of those not protected by a constraint (B.3)"),
        (3, "A", "elected", "vote reached the quota (B.2.c)"),
        (3, "B", "excluded", f"constraint: {NORTH_SHORT}"),
        (4, "D", "elected", "remaining hopeful, seats unfilled (C.1)"),
    ]
    assert (elected(plain), elected(sheet)) == ("AB", "AD")


# -- (c) protected candidates exactly filling the places are elected

FORCING = election(2, (40, "A"), (20, "B"), (15, "C"), (5, "D"), names="ABCD")


def test_protected_candidates_exactly_filling_the_places_left_are_elected() -> None:
    assert elected(meek.count(FORCING, Lot(1))) == "AB"
    sheet = meek.count(FORCING, Lot(1), constraints=NORTH_MINIMUM)
    forced = sheet.stages[2]
    assert (forced.action, forced.elected) == ("election", [3])
    assert forced.description == "Round 2: D elected to meet the category minimums"
    assert forced.notes[0] == f"D elected by constraint: {FORCED}"
    assert decisions(sheet) == [
        (2, "A", "elected", "vote reached the quota (B.2.c)"),
        (3, "D", "elected", f"constraint: {FORCED}"),
        (4, "B", "excluded", "remaining hopeful, seats filled (C.2)"),
        (4, "C", "excluded", "remaining hopeful, seats filled (C.2)"),
    ]
    assert elected(sheet) == "AD"


# -- (d) infeasible limits are refused before counting


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({("region", "North"): Limit(minimum=3)},
         "region = North: the minimum 3 is more than the 2 candidate(s) standing in it"),
        ({("region", "North"): Limit(minimum=2, maximum=1)},
         "region = North: the minimum 2 is above the maximum 1"),
        ({("region", "North"): Limit(minimum=2), ("region", "South"): Limit(minimum=2)},
         "no choice of 3 of the 6 candidates standing meets all the category limits"),
    ],
)  # fmt: skip
def test_infeasible_limits_are_refused_before_counting(
    monkeypatch: pytest.MonkeyPatch, limits: dict[tuple[str, str], Limit], message: str
) -> None:
    def no_counting(*args: object) -> None:
        raise AssertionError("the ballots were read before the limits were checked")

    monkeypatch.setattr(meek_rule, "BallotTree", no_counting)
    with pytest.raises(ConstraintError, match=message.replace("(", r"\(").replace(")", r"\)")):
        count(EXAMPLE_1, "stv-meek", seed=1, constraints=Constraints(CATEGORIES, limits))


# -- (e) without constraints, or with limits that bind no one, nothing changes


def loosely(contest: Election) -> Constraints:
    everyone = {c: {"body": "all"} for c in contest.standing}
    return Constraints(everyone, {("body", "all"): Limit(minimum=0, maximum=contest.seats)})


@pytest.mark.parametrize("contest", [EXAMPLE_1, EXAMPLE_2, PROTECTING, FORCING])
def test_no_limits_or_limits_that_bind_no_one_leave_the_count_sheet_unchanged(
    contest: Election,
) -> None:
    plain = to_json(meek.count(contest, Lot(3)))
    assert to_json(meek.count(contest, Lot(3), constraints=None)) == plain
    assert to_json(meek.count(contest, Lot(3), constraints=loosely(contest))) == plain


@pytest.mark.parametrize("name", ["42", "513", "M135", "SC", "SCw", "SC-Vm-12"])
def test_limits_that_bind_no_one_leave_the_reference_counts_unchanged(
    ballots_dir: Path, name: str
) -> None:
    contest = load_blt(ballots_dir / "droop-tests" / f"{name}.blt")
    plain = to_json(meek.count(contest, Lot(7)))
    assert to_json(meek.count(contest, Lot(7), constraints=loosely(contest))) == plain


def test_limits_count_the_places_that_can_still_be_filled() -> None:
    """Fewer candidates standing than seats: every standing candidate is elected, none barred."""
    few = dataclasses.replace(
        election(3, (4, "AB"), (3, "CB"), names="ABC"), withdrawn=frozenset({2})
    )
    rules = Constraints({0: {"region": "South"}}, {("region", "South"): Limit(maximum=1)})
    assert elected(meek.count(few, Lot(1), constraints=rules)) == "AB"
