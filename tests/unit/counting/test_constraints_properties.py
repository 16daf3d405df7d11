"""Category constraints on random elections: the limits always hold, or are refused up front."""

from __future__ import annotations

from itertools import combinations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from governance.counting import ers97
from governance.counting.constraints import ConstraintError, Constraints, Limit
from governance.counting.model import BallotGroup, Election, Lot

REGIONS = ("North", "South", "East")
ORGANISATIONS = ("Acme", "Beta")
GROUPS = ("X", "Y")  # a third dimension: three limited dimensions take the exhaustive search


@st.composite
def constrained_elections(draw: st.DrawFn) -> tuple[Election, Constraints]:
    candidates = draw(st.integers(2, 7))
    seats = draw(st.integers(1, min(4, candidates)))
    ranking = st.permutations(range(candidates)).flatmap(
        lambda order: st.integers(0, candidates).map(lambda n: tuple(order[:n]))
    )
    lines = draw(st.lists(st.tuples(ranking, st.integers(1, 30)), min_size=1, max_size=20))
    categories = {
        c: {
            "region": draw(st.sampled_from(REGIONS)),
            "organisation": draw(st.sampled_from(ORGANISATIONS)),
            "group": draw(st.sampled_from(GROUPS)),
        }
        for c in range(candidates)
    }
    keys = [("region", r) for r in REGIONS] + [("organisation", o) for o in ORGANISATIONS]
    keys += [("group", g) for g in GROUPS]
    limits = {}
    for key in draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=5)):
        low = draw(st.integers(0, 1))
        limits[key] = Limit(low, draw(st.one_of(st.none(), st.integers(max(low, 1), 3))))
    names = tuple("ABCDEFG"[:candidates])
    election = Election("random", names, seats, tuple(BallotGroup(r, n) for r, n in lines))
    return election, Constraints(categories, limits)


def meets(chosen: tuple[int, ...] | list[int], rules: Constraints) -> bool:
    for (dimension, value), limit in rules.limits.items():
        n = sum(1 for c in chosen if rules.categories[c].get(dimension) == value)
        if n < limit.minimum or (limit.maximum is not None and n > limit.maximum):
            return False
    return True


def some_result_meets(election: Election, rules: Constraints) -> bool:
    places = min(election.seats, len(election.standing))
    return any(meets(chosen, rules) for chosen in combinations(election.standing, places))


@settings(max_examples=300, deadline=None)
@given(constrained_elections(), st.integers(0, 2**32))
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
@given(constrained_elections(), st.integers(0, 2**32))
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
