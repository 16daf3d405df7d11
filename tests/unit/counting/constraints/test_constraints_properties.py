"""Category constraints on random elections: the limits always hold, or are refused up front.

Run for ERS97 and Meek; Scottish STV has the same property in ``test_constraints_scottish.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import pytest
from constraint_cases import THREE_DIMENSIONS, constrained_elections, count_within, meets
from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.counting import ers97, meek
from governance.counting.constraints import ConstraintError, Constraints, Limit
from governance.counting.model import CountSheet, Election, Lot
from governance.counting.sheet import to_json

Count = Callable[..., CountSheet]
ENGINES = pytest.mark.parametrize("engine", [ers97.count, meek.count], ids=["ers97", "meek"])


def some_result_meets(election: Election, rules: Constraints) -> bool:
    places = min(election.seats, len(election.standing))
    return any(meets(chosen, rules) for chosen in combinations(election.standing, places))


@ENGINES
@settings(max_examples=300, deadline=None)
@given(
    constrained_elections(THREE_DIMENSIONS, max_limits=5, withdraw=True, tie_order=True),
    st.integers(0, 2**32),
)
def test_elected_meet_the_limits_or_the_limits_are_refused_before_counting(
    engine: Count, case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    try:
        sheet = count_within(engine, election, Lot(seed), rules)
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


@ENGINES
@settings(max_examples=100, deadline=None)
@given(
    constrained_elections(THREE_DIMENSIONS, max_limits=5, withdraw=True, tie_order=True),
    st.integers(0, 2**32),
)
def test_every_constraint_decision_names_the_constraint_on_the_sheet(
    engine: Count, case: tuple[Election, Constraints], seed: int
) -> None:
    election, rules = case
    if not some_result_meets(election, rules):
        return
    sheet = engine(election, Lot(seed), constraints=rules)
    notes = [note for stage in sheet.stages for note in stage.notes]
    for decision in sheet.decisions:
        if decision.reason.startswith("constraint: "):
            name = sheet.candidates[decision.candidate]
            assert any(note.startswith(name) for note in notes)


@settings(max_examples=100, deadline=None)
@given(constrained_elections(withdraw=True, tie_order=True), st.integers(0, 2**32))
def test_meek_limits_that_bind_no_one_leave_the_count_sheet_unchanged(
    case: tuple[Election, Constraints], seed: int
) -> None:
    election, _ = case
    everyone = {c: {"body": "all"} for c in election.standing}
    loose = Constraints(everyone, {("body", "all"): Limit(minimum=0, maximum=election.seats)})
    plain = to_json(meek.count(election, Lot(seed)))
    assert to_json(meek.count(election, Lot(seed), constraints=loose)) == plain
