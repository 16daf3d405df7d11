"""Category constraints on random elections: the limits always hold, or are refused up front."""

from __future__ import annotations

from itertools import combinations

from constraint_cases import THREE_DIMENSIONS, constrained_elections, meets
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.counting import ers97
from governance.counting.constraints import ConstraintError, Constraints
from governance.counting.model import Election, Lot


def some_result_meets(election: Election, rules: Constraints) -> bool:
    places = min(election.seats, len(election.standing))
    return any(meets(chosen, rules) for chosen in combinations(election.standing, places))


@settings(max_examples=300, deadline=None)
@given(constrained_elections(THREE_DIMENSIONS, max_limits=5), st.integers(0, 2**32))
def test_elected_meet_the_limits_or_the_limits_are_refused_before_counting(
    case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    try:
        sheet = ers97.count(election, Lot(seed), constraints=rules)
    except ConstraintError:
        event("limits refused before counting")
        assert not some_result_meets(election, rules)
        return
    if any(d.reason.startswith("constraint: ") for d in sheet.decisions):
        event("a constraint forced a decision")
    event(f"{len({key[0] for key in rules.limits})} limited dimension(s)")
    assert len(sheet.elected) == min(election.seats, len(election.standing))
    assert meets(sheet.elected, rules)
    for stage in sheet.stages:
        assert sum(stage.votes.values()) + stage.non_transferable_votes == sheet.valid_votes


@settings(max_examples=100, deadline=None)
@given(constrained_elections(THREE_DIMENSIONS, max_limits=5), st.integers(0, 2**32))
def test_every_constraint_decision_names_the_constraint_on_the_sheet(
    case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    if not some_result_meets(election, rules):
        return
    sheet = ers97.count(election, Lot(seed), constraints=rules)
    notes = [note for stage in sheet.stages for note in stage.notes]
    for decision in sheet.decisions:
        if decision.reason.startswith("constraint: "):
            name = sheet.candidates[decision.candidate]
            assert any(note.startswith(name) for note in notes)
