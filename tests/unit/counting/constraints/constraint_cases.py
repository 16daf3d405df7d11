"""Random constrained elections for the property tests of every engine that takes constraints."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from hypothesis import strategies as st

from governance.counting.constraints import Constraints, Limit, check_limits
from governance.counting.model import BallotGroup, CountSheet, Election, Lot

TWO_DIMENSIONS: Mapping[str, tuple[str, ...]] = {
    "region": ("North", "South", "East"),
    "organisation": ("Acme", "Beta"),
}
# A third limited dimension makes the feasibility check take the exhaustive search.
THREE_DIMENSIONS: Mapping[str, tuple[str, ...]] = {**TWO_DIMENSIONS, "group": ("X", "Y")}


# The worked example of docs/constraints.md: six candidates, at least one from the North, at
# most one from Acme. Every engine's constraint tests count it.
NAMES = "ABCDEF"
CATEGORIES = {
    0: {"region": "South", "organisation": "Acme"},
    1: {"region": "South", "organisation": "Acme"},
    2: {"region": "South", "organisation": "Beta"},
    3: {"region": "North", "organisation": "Beta"},
    4: {"region": "North", "organisation": "Gamma"},
    5: {"region": "South", "organisation": "Gamma"},
}
LIMITS = {("region", "North"): Limit(minimum=1), ("organisation", "Acme"): Limit(maximum=1)}
RULES = Constraints(CATEGORIES, LIMITS)
NORTH_PROTECTED = "protected: region = North needs 1 more elected and has 1 continuing candidate(s)"
ACME_FULL = "electing would exceed the maximum of 1 for organisation = Acme"
NORTH_SHORT = "electing would leave too few places for the minimum of region = North (minimum 1)"


def decisions(sheet: CountSheet) -> list[tuple[int, str, str, str]]:
    """Each decision on the sheet as (stage, name, outcome, reason), for comparing with docs."""
    return [(d.stage, sheet.candidates[d.candidate], d.outcome, d.reason) for d in sheet.decisions]


def election(seats: int, *lines: tuple[int, str], names: str = NAMES) -> Election:
    """Ballot lines as (count, ranking by letters), e.g. (18, "AB")."""
    groups = tuple(BallotGroup(tuple(names.index(c) for c in order), n) for n, order in lines)
    return Election("constraints", tuple(names), seats, groups)


@st.composite
def constrained_elections(
    draw: st.DrawFn,
    dimensions: Mapping[str, tuple[str, ...]] = TWO_DIMENSIONS,
    max_limits: int = 4,
    withdraw: bool = False,
    tie_order: bool = False,
) -> tuple[Election, Constraints]:
    """An election with random categories and limits; ``withdraw`` may withdraw a candidate,
    ``tie_order`` may give the election a ``[tie]`` order (Meek's procedure T uses it)."""
    candidates = draw(st.integers(2, 7))
    seats = draw(st.integers(1, min(4, candidates)))
    ranking = st.permutations(range(candidates)).flatmap(
        lambda order: st.integers(0, candidates).map(lambda n: tuple(order[:n]))
    )
    lines = draw(st.lists(st.tuples(ranking, st.integers(1, 30)), min_size=1, max_size=20))
    categories = {
        c: {dimension: draw(st.sampled_from(values)) for dimension, values in dimensions.items()}
        for c in range(candidates)
    }
    keys = [(dimension, value) for dimension, values in dimensions.items() for value in values]
    limits = {}
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=max_limits))
    for key in chosen:
        low = draw(st.integers(0, 1))
        limits[key] = Limit(low, draw(st.one_of(st.none(), st.integers(max(low, 1), 3))))
    withdrawn: frozenset[int] = frozenset()
    if withdraw:
        withdrawn = frozenset(draw(st.sets(st.integers(0, candidates - 1), max_size=1)))
    order: tuple[int, ...] = ()
    if tie_order and draw(st.booleans()):
        order = tuple(draw(st.permutations(range(candidates))))
    groups = tuple(BallotGroup(r, n) for r, n in lines)
    names = tuple("ABCDEFG"[:candidates])
    contest = Election("random", names, seats, groups, withdrawn, order)
    return contest, Constraints(categories, limits)


def meets(chosen: Sequence[int], rules: Constraints) -> bool:
    """Whether a set of elected candidates keeps every limit."""
    for (dimension, value), limit in rules.limits.items():
        n = sum(1 for c in chosen if rules.categories[c].get(dimension) == value)
        if n < limit.minimum or (limit.maximum is not None and n > limit.maximum):
            return False
    return True


def count_within(
    engine: Callable[..., CountSheet], election: Election, lot: Lot, rules: Constraints
) -> CountSheet:
    """``engine``'s count within ``rules``, refused first exactly as ``methods.count`` does.

    The engines count limits they are handed as feasible; the one check is ``check_limits``,
    before anything is counted.
    """
    check_limits(election, rules)
    return engine(election, lot, constraints=rules)
