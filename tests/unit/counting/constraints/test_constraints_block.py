"""Category constraints inside the block vote: the worked example in docs/constraints.md."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import pytest
from constraint_cases import (
    ACME_FULL,
    CATEGORIES,
    NAMES,
    NORTH_SHORT,
    RULES,
    constrained_elections,
    count_within,
    election,
    meets,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.counting import simple
from governance.counting.constraints import ConstraintError, Constraints, Limit
from governance.counting.methods import count
from governance.counting.model import BallotGroup, Election, Lot
from governance.counting.sheet import to_json

# Tallies (each paper's first three names): A 20, B 18, C 16, F 14, D 9, E 7.
EXAMPLE = election(
    3, (12, "AB"), (8, "ACF"), (6, "B"), (8, "C"), (6, "FD"), (3, "DE"), (4, "E"), (1, "")
)


def test_worked_example_without_constraints_elects_the_three_highest() -> None:
    sheet = simple.block(EXAMPLE, Lot(1))
    assert "".join(sheet.elected_names) == "ABC"


def test_worked_example_count_sheet() -> None:
    sheet = simple.block(EXAMPLE, Lot(1), constraints=RULES)
    (stage,) = sheet.stages
    assert {NAMES[c]: int(v) for c, v in stage.votes.items()} == {
        "A": 20, "B": 18, "C": 16, "D": 9, "E": 7, "F": 14
    }  # fmt: skip
    assert (sheet.valid_votes, sheet.invalid_papers) == (Fraction(47), 1)
    assert [(NAMES[d.candidate], d.outcome, d.reason) for d in sheet.decisions] == [
        ("A", "elected", "highest tally"),
        ("B", "excluded", f"constraint: {ACME_FULL}"),
        ("C", "elected", "highest tally"),
        ("F", "excluded", f"constraint: {NORTH_SHORT}"),
        ("D", "elected", "highest tally"),
    ]
    assert stage.notes == [f"B: constraint: {ACME_FULL}", f"F: constraint: {NORTH_SHORT}"]
    assert (stage.elected, stage.excluded) == ([0, 2, 3], [1, 5])
    assert sheet.draws == []
    assert "".join(sheet.elected_names) == "ACD"


def test_infeasible_limits_are_refused_before_counting() -> None:
    broken = Election("x", tuple(NAMES), 3, (*EXAMPLE.ballots, BallotGroup((9,), 1)))
    too_many = Constraints(CATEGORIES, {("region", "North"): Limit(minimum=3)})
    with pytest.raises(ConstraintError, match="the minimum 3 is more than the 2 candidate"):
        count(broken, "block", seed=1, constraints=too_many)


def test_without_constraints_the_block_count_is_unchanged() -> None:
    assert to_json(simple.block(EXAMPLE, Lot(3), constraints=None)) == to_json(
        simple.block(EXAMPLE, Lot(3))
    )


@settings(max_examples=300, deadline=None)
@given(constrained_elections(), st.integers(0, 2**32))
def test_elected_meet_feasible_limits_or_the_limits_are_refused_before_counting(
    case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    places = min(election.seats, len(election.standing))
    try:
        sheet = count_within(simple.block, election, Lot(seed), rules)
    except ConstraintError:
        event("limits refused before counting")
        assert not any(meets(c, rules) for c in combinations(election.standing, places))
        return
    if any(d.reason.startswith("constraint: ") for d in sheet.decisions):
        event("a constraint forced a decision")
    assert len(sheet.elected) == places
    assert meets(sheet.elected, rules)
    tally = sheet.stages[0].votes
    for decision in sheet.decisions:
        if decision.outcome == "excluded":
            assert decision.reason.startswith("constraint: ")
    # Nobody unconstrained is passed over: each elected tally is at least every loser's that
    # was not excluded by a constraint.
    excluded = {d.candidate for d in sheet.decisions if d.outcome == "excluded"}
    losers = set(election.standing) - set(sheet.elected) - excluded
    if sheet.elected and losers:
        assert min(tally[c] for c in sheet.elected) >= max(tally[c] for c in losers)
