"""Category constraints: at least / at most so many elected per category, inside any count.

A body may require, say, at least one member per region and at most two per organisation.
No published STV rule provides for this, so the method is ours; ``docs/constraints.md`` explains
it with a worked example whose count sheet is a test.

The method
----------
Each candidate belongs to at most one category per dimension (``{"region": "North",
"organisation": "Acme"}``). A limit gives a category a minimum and/or a maximum number elected.
The guard answers one question exactly: *can the places still unfilled be filled from the
continuing candidates so that every limit holds?* (``feasible``). A count keeps the answer "yes"
from start to finish:

1. Before counting, ``check_feasible`` raises :class:`ConstraintError` if no set of candidates
   can meet the limits (a minimum above a maximum or above the candidates standing, minima
   needing more places than there are, maxima too tight to fill the places, ...).
2. **Barred** (``barred`` / ``would_break_maximum``): a candidate whose election would make the
   limits impossible — most often because it would exceed a maximum — is *excluded instead of
   elected*, and its papers are transferred as an exclusion. Engines also exclude every
   continuing candidate who has become barred (for example when its organisation has filled
   its maximum) at the start of the next stage.
3. **Protected** (``protected``): a continuing candidate without whom the limits could no longer
   be met (typically: a region still short of its minimum has only that many continuing
   candidates) is never excluded; the engine excludes the lowest *unprotected* candidate, and a
   bulk exclusion is made only if excluding the whole group together keeps the limits feasible.
4. **Forced** (``must_elect``): when the protected candidates are exactly as many as the places
   left, they are all elected at once and the other continuing candidates excluded.

Every such decision is written on the count sheet: a :class:`Decision` whose reason names the
limit, and a note on the :class:`Stage` where it happened.

Feasibility is decided exactly. Candidates are grouped by the set of limited categories they
belong to (candidates in the same categories are interchangeable). With limits in one or two
dimensions (region, organisation) the question is a flow with lower bounds — source, first
dimension's categories, groups, second dimension's categories, sink, exactly ``places`` units —
solved by Dinic's algorithm in polynomial time. With three or more dimensions, where the
problem is NP-hard in general, an exhaustive search with pruning on outstanding minima and
remaining maxima answers instead. During a count one solution per state is cached; a candidate
who can change places with a member of it is electable (or excludable) without a new search,
so a 120-candidate, 36-place count with 9 regional minima and 50 organisation maxima spends
well under a second on constraints.

Call points for count engines
-----------------------------
``guard = ConstraintGuard(constraints)`` then:

* before the count: ``guard.check_feasible(election.standing, election.seats)``;
* at the top of every stage, before surpluses or exclusions, in this order:
  ``guard.must_elect(continuing, elected, places_left)`` -> if not empty, elect them all (the
  count is then complete); otherwise ``guard.barred_now(continuing, elected, places_left)`` ->
  exclude those candidates together, with the reasons from the mapping;
* wherever a candidate is about to be deemed elected (quota or otherwise):
  ``reason = guard.barred(candidate, continuing, elected, places_left)``; if ``reason`` is not
  None, exclude the candidate with that reason instead;
* when choosing whom to exclude: skip ``guard.protected(continuing, elected, places_left)``, and
  test a bulk exclusion with ``guard.can_exclude(group, continuing, elected, places_left)``;
* when electing the last continuing candidates (Scottish rule 52, ERS97 5.5.1), nothing extra:
  feasibility guarantees they fit.

``continuing`` never includes candidates already elected, excluded or withdrawn; ``elected``
is every candidate elected so far; ``places_left`` is seats less ``len(elected)``. Every
decision these calls force is to be recorded as a ``Decision`` (reason ``"constraint: "`` and
the returned text) and a ``Stage`` note naming the candidate. Scottish STV (``scottish.py``)
needs exactly these calls; Meek (``meek.py``) too, "exclude" meaning defeat (keep factor 0).
A count that elects from a tally (block, approval) can call :func:`elect_by_tally` or
:func:`count_block_with_constraints`. ``ers97.py`` (``ers97_state.py``) is the reference
integration.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from governance.counting.constraints.search import Category, completion
from governance.counting.model import (
    CategoryMap,
    CountingError,
    CountSheet,
    Decision,
    Election,
    Lot,
    Stage,
)


class ConstraintError(CountingError):
    """Category limits that no result can meet, reported before anything is counted."""


@dataclass(frozen=True, slots=True)
class Limit:
    """How many of a category may be elected: at least ``minimum``, at most ``maximum``."""

    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class Constraints:
    """Candidates' categories and the limits on them, keyed by (dimension, value)."""

    categories: CategoryMap
    limits: Mapping[tuple[str, str], Limit] = field(default_factory=dict)


def read_constraints(text: str, candidates: Sequence[str]) -> Constraints:
    """Parse the JSON form of category limits (``docs/constraints.md``, "The file").

    ``{"categories": {CANDIDATE: {DIMENSION: VALUE, ...}, ...}, "limits": {DIMENSION: {VALUE:
    {"minimum": N, "maximum": N}, ...}, ...}}``: a candidate is its number in the ballot file
    (1 to N) or its name there; the value ``"*"`` in ``limits`` stands for every value of that
    dimension that has no limit of its own. Anything else is a :class:`ConstraintError` saying
    what to correct.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConstraintError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    top = _object(data, "the file", {"categories", "limits"})
    if "categories" not in top:
        raise ConstraintError('the file has no "categories" object')
    categories = _read_categories(_object(top["categories"], "categories"), candidates)
    limits = _read_limits(_object(top.get("limits", {}), "limits"), categories)
    return Constraints(categories, limits)


def _object(value: object, where: str, allowed: set[str] | None = None) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConstraintError(f"{where}: expected a JSON object")
    unknown = sorted(set(value) - allowed) if allowed is not None else []
    if unknown:
        raise ConstraintError(f"{where}: unknown key {unknown[0]!r}")
    return value


def _read_categories(
    raw: dict[str, object], candidates: Sequence[str]
) -> dict[int, dict[str, str]]:
    by_name: dict[str, int | None] = {}
    for number, name in enumerate(candidates):
        by_name[name] = None if name in by_name else number  # None: a name two candidates share
    categories: dict[int, dict[str, str]] = {}
    for key, entry in raw.items():
        if key.isdecimal() and key.isascii():
            candidate = int(key) - 1
            if not 0 <= candidate < len(candidates):
                raise ConstraintError(
                    f"categories: there is no candidate number {key} (1 to {len(candidates)})"
                )
        elif key not in by_name:
            raise ConstraintError(f"categories: {key!r} is not a candidate number or name")
        elif (found := by_name[key]) is None:
            raise ConstraintError(f"categories: two candidates are called {key!r}: use numbers")
        else:
            candidate = found
        if candidate in categories:
            raise ConstraintError(f"categories: {key!r} is given twice (by number and by name)")
        values = _object(entry, f"categories: {key}")
        if not all(isinstance(v, str) and v.strip() for v in values.values()):
            raise ConstraintError(f"categories: {key}: each category must be a non-empty text")
        categories[candidate] = {dimension: str(v) for dimension, v in values.items()}
    return categories


def _read_limits(
    raw: dict[str, object], categories: Mapping[int, Mapping[str, str]]
) -> dict[tuple[str, str], Limit]:
    limits: dict[tuple[str, str], Limit] = {}
    for dimension, entry in raw.items():
        per_value = _object(entry, f"limits: {dimension}")
        everyone = per_value.pop("*", None)
        seen = {c[dimension] for c in categories.values() if dimension in c}
        _check_named(dimension, per_value, seen)
        for value, bounds in per_value.items():
            limits[dimension, value] = _limit(bounds, f"limits: {dimension} = {value}")
        if everyone is not None:
            shared = _limit(everyone, f"limits: {dimension} = *")
            for value in sorted(seen - set(per_value)):
                limits[dimension, value] = shared
    return limits


def _check_named(dimension: str, per_value: Mapping[str, object], seen: set[str]) -> None:
    """A limit on a category no candidate is in is a slip (a misspelt name), not a rule: it
    would bind nobody, silently, so it is refused with the names the candidates do have."""
    if not seen:
        raise ConstraintError(
            f"limits: no candidate has a {dimension!r} category: check the spelling"
        )
    for value in per_value:
        if value not in seen:
            known = ", ".join(repr(v) for v in sorted(seen))
            raise ConstraintError(
                f"limits: {dimension} = {value!r}: no candidate is in this category "
                f"(the candidates' {dimension} values are {known})"
            )


def _limit(raw: object, where: str) -> Limit:
    bounds = _object(raw, where, {"minimum", "maximum"})
    if not bounds:
        raise ConstraintError(f'{where}: give a "minimum", a "maximum" or both')
    numbers: dict[str, int] = {}
    for name, number in bounds.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConstraintError(f"{where}: the {name} must be a whole number, 0 or more")
        numbers[name] = number
    return Limit(numbers.get("minimum", 0), numbers.get("maximum"))


class ConstraintGuard:
    """The operations a count engine calls to keep category limits satisfiable."""

    def __init__(self, constraints: Constraints) -> None:
        self._limits = dict(constraints.limits)
        self._keys = sorted(self._limits)
        self._minimum = [self._limits[key].minimum for key in self._keys]
        self._maximum = [self._limits[key].maximum for key in self._keys]
        self._members: dict[int, frozenset[tuple[str, str]]] = {
            candidate: frozenset(
                (dimension, value)
                for dimension, value in categories.items()
                if (dimension, value) in self._limits
            )
            for candidate, categories in constraints.categories.items()
        }
        index = {key: k for k, key in enumerate(self._keys)}
        self._signature = {c: frozenset(index[key] for key in m) for c, m in self._members.items()}
        self._cache: dict[tuple[frozenset[int], frozenset[int], int], frozenset[int] | None] = {}

    # -- before the count ---------------------------------------------------------------------

    def check_feasible(self, standing: Collection[int], seats: int) -> None:
        """Raise :class:`ConstraintError` with the reason if no result can meet the limits."""
        for key, limit in self._limits.items():
            self._check_limit(key, limit, standing)
        places = min(seats, len(standing))
        if not self.feasible(standing, [], places):
            raise ConstraintError(
                f"no choice of {places} of the {len(standing)} candidates standing meets all "
                f"the category limits ({self._describe_limits()})"
            )

    def _check_limit(self, key: tuple[str, str], limit: Limit, standing: Collection[int]) -> None:
        label = _label(key)
        members = sum(1 for c in standing if key in self._members.get(c, ()))
        if limit.minimum < 0 or (limit.maximum is not None and limit.maximum < 0):
            raise ConstraintError(f"{label}: a limit cannot be negative")
        if limit.maximum is not None and limit.minimum > limit.maximum:
            raise ConstraintError(
                f"{label}: the minimum {limit.minimum} is above the maximum {limit.maximum}"
            )
        if limit.minimum > members:
            raise ConstraintError(
                f"{label}: the minimum {limit.minimum} is more than the {members} "
                f"candidate(s) standing in it"
            )

    # -- during the count ---------------------------------------------------------------------

    def feasible(self, continuing: Collection[int], elected: Collection[int], places: int) -> bool:
        """Can ``places`` more be elected from ``continuing`` with every limit met?"""
        return self.completion(continuing, elected, places) is not None

    def completion(
        self, continuing: Collection[int], elected: Collection[int], places: int
    ) -> frozenset[int] | None:
        """One choice of ``places`` continuing candidates meeting every limit, or None."""
        key = (frozenset(continuing), frozenset(elected), places)
        if key not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = self._solve(key[0], key[1], places)
        return self._cache[key]

    def _solve(
        self, continuing: frozenset[int], elected: frozenset[int], places: int
    ) -> frozenset[int] | None:
        groups: dict[frozenset[int], list[int]] = {}
        for candidate in sorted(continuing):
            groups.setdefault(self._signature_of(candidate), []).append(candidate)
        sizes = {signature: len(members) for signature, members in groups.items()}
        takes = completion(self._categories(elected), sizes, places)
        if takes is None:
            return None
        return frozenset(c for g, n in takes.items() for c in groups[g][:n])

    def would_break_maximum(self, candidate: int, elected: Collection[int]) -> str | None:
        """The reason electing ``candidate`` would exceed a maximum, or None."""
        for key in sorted(self._members.get(candidate, ())):
            maximum = self._limits[key].maximum
            if maximum is not None and self._elected_in(key, elected) + 1 > maximum:
                return f"electing would exceed the maximum of {maximum} for {_label(key)}"
        return None

    def barred(
        self, candidate: int, continuing: Collection[int], elected: Collection[int], places: int
    ) -> str | None:
        """Why ``candidate`` cannot be elected without making the limits impossible, or None."""
        return self.barred_now(continuing, elected, places, only=[candidate]).get(candidate)

    def barred_now(
        self,
        continuing: Collection[int],
        elected: Collection[int],
        places: int,
        *,
        only: Collection[int] | None = None,
    ) -> dict[int, str]:
        """Every continuing candidate (or each of ``only``) who could no longer be elected.

        A candidate in the found completion is electable; so is one who can change places with
        a member of it without breaking a limit; only the rest need a search of their own.
        """
        chosen = self.completion(continuing, elected, places) or frozenset()
        counts = self._counts([*chosen, *elected])
        reasons = {}
        for candidate in continuing if only is None else only:
            if candidate in chosen or any(self._swaps(counts, c, candidate) for c in chosen):
                continue
            others = [c for c in continuing if c != candidate]
            if not self.feasible(others, [*elected, candidate], places - 1):
                reasons[candidate] = self.would_break_maximum(
                    candidate, elected
                ) or self._squeeze_reason(candidate, elected)
        return reasons

    def protected(
        self, continuing: Collection[int], elected: Collection[int], places: int
    ) -> dict[int, str]:
        """Continuing candidates who may not be excluded, with the reason.

        Only members of the found completion can be protected, and only if no candidate
        outside it can take their place without breaking a limit.
        """
        chosen = self.completion(continuing, elected, places) or frozenset()
        counts = self._counts([*chosen, *elected])
        outside = [c for c in continuing if c not in chosen]
        reasons = {}
        for candidate in sorted(chosen):
            if any(self._swaps(counts, candidate, c) for c in outside):
                continue
            if not self.feasible([c for c in continuing if c != candidate], elected, places):
                reasons[candidate] = self._protection_reason(candidate, continuing, elected)
        return reasons

    def must_elect(
        self, continuing: Collection[int], elected: Collection[int], places: int
    ) -> dict[int, str]:
        """Protected candidates when they are exactly enough to fill the places left."""
        protected = self.protected(continuing, elected, places)
        if places == 0 or len(protected) != places or len(continuing) == places:
            return {}
        return {c: f"{why}; they exactly fill the places left" for c, why in protected.items()}

    def can_exclude(
        self,
        group: Collection[int],
        continuing: Collection[int],
        elected: Collection[int],
        places: int,
    ) -> bool:
        """Would the limits stay reachable with all of ``group`` excluded together?"""
        chosen = self.completion(continuing, elected, places) or frozenset()
        if not chosen & set(group):
            return bool(chosen) or places == 0
        return self.feasible([c for c in continuing if c not in group], elected, places)

    def _counts(self, candidates: Collection[int]) -> list[int]:
        counts = [0] * len(self._keys)
        for candidate in candidates:
            for k in self._signature_of(candidate):
                counts[k] += 1
        return counts

    def _swaps(self, counts: list[int], out: int, into: int) -> bool:
        """Do the limits still hold if ``into`` takes the place of ``out``?"""
        leaving, joining = self._signature_of(out), self._signature_of(into)
        if any(counts[k] - 1 < self._minimum[k] for k in leaving - joining):
            return False
        return not any(
            (high := self._maximum[k]) is not None and counts[k] + 1 > high
            for k in joining - leaving
        )

    def _signature_of(self, candidate: int) -> frozenset[int]:
        return self._signature.get(candidate, frozenset())

    # -- explanations -------------------------------------------------------------------------

    def _protection_reason(
        self, candidate: int, continuing: Collection[int], elected: Collection[int]
    ) -> str:
        for key in sorted(self._members.get(candidate, ())):
            needed = self._limits[key].minimum - self._elected_in(key, elected)
            left = sum(1 for c in continuing if key in self._members.get(c, ()))
            if needed > 0 and left <= needed:
                return (
                    f"protected: {_label(key)} needs {needed} more elected and has "
                    f"{left} continuing candidate(s)"
                )
        return "protected: excluding would leave the category limits impossible to meet"

    def _squeeze_reason(self, candidate: int, elected: Collection[int]) -> str:
        short = [
            f"{_label(key)} (minimum {limit.minimum})"
            for key, limit in sorted(self._limits.items())
            if key not in self._members.get(candidate, ())
            and self._elected_in(key, elected) < limit.minimum
        ]
        if short:
            return "electing would leave too few places for the minimum of " + ", ".join(short)
        return "electing would leave the category limits impossible to meet"

    def _elected_in(self, key: tuple[str, str], elected: Collection[int]) -> int:
        return sum(1 for c in elected if key in self._members.get(c, ()))

    def _categories(self, elected: Collection[int]) -> list[Category]:
        categories = []
        for key, limit in sorted(self._limits.items()):
            done = self._elected_in(key, elected)
            room = None if limit.maximum is None else limit.maximum - done
            categories.append(Category(key[0], limit.minimum - done, room))
        return categories

    def _describe_limits(self) -> str:
        parts = []
        for key, limit in sorted(self._limits.items()):
            bounds = [f"at least {limit.minimum}"] if limit.minimum else []
            if limit.maximum is not None:
                bounds.append(f"at most {limit.maximum}")
            parts.append(f"{_label(key)}: {' and '.join(bounds) or 'no limit'}")
        return "; ".join(parts)


def _label(key: tuple[str, str]) -> str:
    return f"{key[0]} = {key[1]}"


def elect_by_tally(
    tally: Mapping[int, Fraction],
    seats: int,
    guard: ConstraintGuard,
    lot: Lot,
    *,
    stage: int = 1,
) -> tuple[list[int], list[Decision]]:
    """Elect the highest tallies one at a time, skipping (excluding) any candidate the limits bar.

    Used by counts that rank candidates by a single tally (block, approval). Equal tallies are
    ordered by lot. Each constraint-forced exclusion is returned as a Decision naming the limit.
    """
    continuing = sorted(tally, key=lambda c: -tally[c])
    elected: list[int] = []
    decisions: list[Decision] = []
    places = min(seats, len(continuing))
    while continuing and len(elected) < places:
        top = max(tally[c] for c in continuing)
        tied = [c for c in continuing if tally[c] == top]
        best = tied[0] if len(tied) == 1 else lot.choose(tied, stage=stage, purpose="equal tally")
        left = places - len(elected)
        reason = guard.barred(best, continuing, elected, left)
        continuing.remove(best)
        if reason is None:
            elected.append(best)
            decisions.append(Decision(stage, best, "elected", "highest tally"))
        else:
            decisions.append(Decision(stage, best, "excluded", f"constraint: {reason}"))
    return elected, decisions


def count_block_with_constraints(
    election: Election, lot: Lot, constraints: Constraints
) -> CountSheet:
    """Block vote (each paper gives one vote to each of its first ``seats`` standing names).

    The places go to the highest tallies, except that a candidate whose election would make the
    category limits impossible is excluded instead (``elect_by_tally``).
    """
    guard = ConstraintGuard(constraints)
    guard.check_feasible(election.standing, election.seats)
    tally: dict[int, Fraction] = {c: Fraction(0) for c in election.standing}
    invalid = 0
    for group in election.ballots:
        names = list(dict.fromkeys(c for c in group.ranking if c not in election.withdrawn))
        if not names:
            invalid += group.count
        for candidate in names[: election.seats]:
            tally[candidate] += group.count
    elected, decisions = elect_by_tally(tally, election.seats, guard, lot)
    excluded = [d for d in decisions if d.outcome == "excluded"]
    stage = Stage(1, "first", "Block vote tally", dict(tally), elected=list(elected))
    stage.excluded = [d.candidate for d in excluded]
    stage.notes = [f"{election.candidates[d.candidate]}: {d.reason}" for d in excluded]
    valid = sum(g.count for g in election.ballots) - invalid
    return CountSheet(
        method="block",
        title=election.title,
        candidates=election.candidates,
        seats=election.seats,
        valid_votes=Fraction(valid),
        invalid_papers=invalid,
        quota=None,
        decimals=0,
        seed=lot.seed,
        stages=[stage],
        decisions=decisions,
        elected=elected,
        draws=list(lot.draws),
        withdrawn=tuple(sorted(election.withdrawn)),
    )
