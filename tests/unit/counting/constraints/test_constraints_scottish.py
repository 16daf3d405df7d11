"""Category constraints inside Scottish STV: the worked examples in docs/constraints.md."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from constraint_cases import (
    ACME_FULL,
    CATEGORIES,
    NAMES,
    NORTH_PROTECTED,
    NORTH_SHORT,
    RULES,
    constrained_elections,
    count_within,
    decisions,
    election,
    meets,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.counting import scottish
from governance.counting.blt import load_blt
from governance.counting.constraints import ConstraintError, Constraints, Limit
from governance.counting.methods import count
from governance.counting.model import BallotGroup, Election, Lot, Stage
from governance.counting.sheet import to_json


def figures(stage: Stage) -> dict[str, str]:
    shown = {NAMES[c]: f"{v:.5f}" for c, v in ((c, float(v)) for c, v in stage.votes.items())}
    shown["non-transferable"] = f"{float(stage.non_transferable_votes):.5f}"
    return shown


# -- worked example 1: a protected candidate passed over for exclusion, then elected by force

EXAMPLE_1 = election(3, (18, "AB"), (17, "BA"), (15, "CF"), (14, "FCA"), (6, "DC"), (3, "ED"))


def test_worked_example_1_without_constraints_elects_two_from_acme_and_none_from_the_north() -> (
    None
):
    assert "".join(scottish.count(EXAMPLE_1, Lot(1)).elected_names) == "CAB"


def test_worked_example_1_count_sheet() -> None:
    sheet = scottish.count(EXAMPLE_1, Lot(1), constraints=RULES)
    assert sheet.quota == 19  # r.46: floor(73 / 4) + 1
    assert [figures(s) for s in sheet.stages] == [
        {"A": "18.00000", "B": "17.00000", "C": "15.00000", "D": "6.00000", "E": "3.00000",
         "F": "14.00000", "non-transferable": "0.00000"},
        {"A": "18.00000", "B": "17.00000", "C": "15.00000", "D": "9.00000", "F": "14.00000",
         "non-transferable": "0.00000"},
        {"A": "18.00000", "B": "17.00000", "C": "29.00000", "D": "9.00000",
         "non-transferable": "0.00000"},
        {"A": "22.82748", "B": "17.00000", "C": "19.00000", "D": "9.00000",
         "non-transferable": "5.17252"},
        {"A": "22.82748", "B": "17.00000", "C": "19.00000", "D": "9.00000",
         "non-transferable": "5.17252"},
    ]  # fmt: skip
    assert [s.description for s in sheet.stages] == [
        "First preferences (r.45)",
        "Exclusion of E (r.50)",
        "Exclusion of F (r.50)",
        "Surplus of C transferred (r.48)",
        "Elected to meet the category minimums",
    ]
    assert decisions(sheet) == [
        (2, "E", "excluded", "fewest votes (r.50(1))"),
        (3, "F", "excluded", "fewest votes of those not protected by a constraint (r.50(1))"),
        (3, "C", "elected", "reached the quota (r.47)"),
        (4, "A", "elected", "reached the quota (r.47)"),
        (5, "D", "elected", f"constraint: {NORTH_PROTECTED}; they exactly fill the places left"),
        (5, "B", "excluded", "not elected: every seat filled"),
    ]
    assert "".join(sheet.elected_names) == "CAD"


def test_worked_example_1_notes_name_each_constraint_decision() -> None:
    stages = scottish.count(EXAMPLE_1, Lot(1), constraints=RULES).stages
    assert stages[1].notes == []  # E and D can stand in for each other: neither is protected
    assert stages[2].notes == [f"D {NORTH_PROTECTED}"]
    assert stages[4].notes == [
        f"D elected by constraint: {NORTH_PROTECTED}; they exactly fill the places left",
        "Not elected, every seat filled: B",
    ]
    assert stages[4].action == "election"
    assert (stages[4].elected, stages[4].excluded) == ([3], [1])


# -- worked example 2: a candidate reaching the quota is excluded instead of elected

EXAMPLE_2 = election(2, (30, "ABD"), (29, "BAE"), (12, "CD"), (8, "DE"), (6, "EC"), names="ABCDE")


def test_worked_example_2_without_constraints_elects_both_acme_candidates() -> None:
    assert "".join(scottish.count(EXAMPLE_2, Lot(1)).elected_names) == "AB"


def test_worked_example_2_count_sheet() -> None:
    sheet = scottish.count(EXAMPLE_2, Lot(1), constraints=RULES)
    one, two = sheet.stages
    assert sheet.quota == 29  # r.46: floor(85 / 3) + 1
    assert (one.elected, one.excluded) == ([0], [1])
    assert one.notes == [f"B excluded instead of elected: {ACME_FULL}"]
    assert two.description == "Exclusion of B, C (category limits)"
    assert two.notes == [f"C excluded: {NORTH_SHORT}", "Not elected, every seat filled: D"]
    assert (two.elected, two.excluded) == ([4], [2, 3])
    assert figures(two) == {
        "A": "30.00000", "D": "20.00000", "E": "35.00000", "non-transferable": "0.00000"
    }  # fmt: skip
    assert two.transfers == {1: -29, 2: -12, 3: 12, 4: 29}
    assert decisions(sheet) == [
        (1, "A", "elected", "reached the quota (r.47)"),
        (1, "B", "excluded", f"constraint: {ACME_FULL}"),
        (2, "C", "excluded", f"constraint: {NORTH_SHORT}"),
        (2, "E", "elected", "reached the quota (r.47)"),
        (2, "D", "excluded", "not elected: every seat filled"),
    ]


# -- infeasible limits are reported before counting


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
    limits: dict[tuple[str, str], Limit], message: str
) -> None:
    # A ballot naming a seventh candidate would stop the count itself: the limits go first.
    broken = Election("x", tuple(NAMES), 3, (*EXAMPLE_1.ballots, BallotGroup((6,), 1)))
    with pytest.raises(ConstraintError, match=message.replace("(", r"\(").replace(")", r"\)")):
        count(broken, "stv-scottish", seed=1, constraints=Constraints(CATEGORIES, limits))


def test_limits_count_the_places_that_can_still_be_filled() -> None:
    """Fewer candidates standing than seats: every standing candidate is elected, none barred."""
    papers = (BallotGroup((0, 1), 4), BallotGroup((2, 1), 3))
    few = Election("few", ("A", "B", "C"), 3, papers, withdrawn=frozenset({2}))
    rules = Constraints({0: {"region": "South"}}, {("region", "South"): Limit(maximum=1)})
    assert scottish.count(few, Lot(1), constraints=rules).elected_names == ["A", "B"]


# -- without constraints nothing changes


def test_limits_that_bind_no_one_leave_real_ward_counts_unchanged(ballots_dir: Path) -> None:
    wards = sorted((ballots_dir / "scotland-2007-2022").glob("*.blt"))[::12]
    assert len(wards) > 10
    for path in wards:
        ward = load_blt(path)
        everyone = {c: {"ward": "all"} for c in ward.standing}
        loose = Constraints(everyone, {("ward", "all"): Limit(maximum=ward.seats)})
        plain = to_json(scottish.count(ward, Lot(7)))
        assert to_json(scottish.count(ward, Lot(7), constraints=None)) == plain
        assert to_json(scottish.count(ward, Lot(7), constraints=loose)) == plain, path.name


# -- on random elections the limits always hold, or are refused up front


@settings(max_examples=300, deadline=None)
@given(constrained_elections(withdraw=True), st.integers(0, 2**32))
def test_elected_meet_feasible_limits_or_the_limits_are_refused_before_counting(
    case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    places = min(election.seats, len(election.standing))
    try:
        sheet = count_within(scottish.count, election, Lot(seed), rules)
    except ConstraintError:
        event("limits refused before counting")
        assert not any(meets(c, rules) for c in combinations(election.standing, places))
        return
    if any(d.reason.startswith("constraint: ") for d in sheet.decisions):
        event("a constraint forced a decision")
    if sheet.valid_votes:
        assert len(sheet.elected) == places
    assert meets(sheet.elected, rules) or not sheet.valid_votes
    for stage in sheet.stages:
        assert sum(stage.votes.values()) + stage.non_transferable_votes == sheet.valid_votes
    notes = [note for stage in sheet.stages for note in stage.notes]
    for decision in sheet.decisions:
        if decision.reason.startswith("constraint: "):
            assert any(n.startswith(sheet.candidates[decision.candidate]) for n in notes)
