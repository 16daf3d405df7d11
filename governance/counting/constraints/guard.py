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

1. Before counting, ``check_feasible`` (through :func:`check_limits`) raises
   :class:`ConstraintError` if no set of candidates can meet the limits (a minimum above a
   maximum or above the candidates standing, minima needing more places than there are, maxima
   too tight to fill the places, ...).
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
Before the count, :func:`check_limits` (called once, by ``methods.count``) refuses limits no
result can meet; an engine is handed only feasible ones. Then ``guard =
ConstraintGuard(constraints)`` and:

* at the top of every stage, before surpluses or exclusions: ``top = guard.top_of_stage(
  continuing, elected, places)``; elect ``top.forced_in_order(votes)`` (a stage
  of its own: the count is then complete), else exclude ``top.barred`` together, each with its
  reason (:mod:`.stage`);
* wherever a candidate is about to be deemed elected (quota or otherwise):
  ``reason = guard.barred(candidate, continuing, elected, places)``; if ``reason`` is not
  None, exclude the candidate with that reason instead. Several reaching the quota together
  are taken in :func:`.stage.quota_order`;
* when choosing whom to exclude: ``eligible, protected = guard.excludable(continuing, elected,
  places)``, the lowest of ``eligible`` going; test a bulk exclusion with
  ``guard.can_exclude(group, continuing, elected, places)``;
* when electing the last continuing candidates (Scottish rule 52, ERS97 5.5.1, Meek C.1),
  nothing extra: feasibility guarantees they fit.

``continuing`` never includes candidates already elected, excluded or withdrawn; ``elected``
is every candidate elected so far; ``places`` is the places that can still be filled: seats
less ``len(elected)``, or fewer when fewer candidates continue. Every decision these calls force
is recorded as a ``Decision`` (reason ``"constraint: "`` and the returned text) and a ``Stage``
note naming the candidate (:func:`.stage.constraint_notes`). Scottish STV (``scottish.py``), ERS97
(``ers97/state.py``) and Meek (``meek/rule.py`` with ``meek/limits.py``, "exclude" meaning
defeat: keep factor 0) make exactly these calls. A count that elects from a tally (block,
approval) calls :func:`.block.elect_by_tally` or :func:`.block.count_block_with_constraints`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from governance.counting.constraints.limits import ConstraintError, Constraints, Limit
from governance.counting.constraints.search import Category, completion
from governance.counting.constraints.stage import StageTop
from governance.counting.model import Election


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

    # -- the steps the STV counts share (stage.py) ---------------------------------------------

    def top_of_stage(
        self, continuing: Sequence[int], elected: Collection[int], places: int
    ) -> StageTop:
        """At the top of a stage: protected candidates exactly filling the places left, to be
        elected; else every continuing candidate who could no longer be elected, to be excluded.
        """
        forced = self.must_elect(continuing, elected, places)
        if forced:
            return StageTop(forced, {})
        return StageTop({}, dict(sorted(self.barred_now(continuing, elected, places).items())))

    def excludable(
        self, continuing: Sequence[int], elected: Collection[int], places: int
    ) -> tuple[list[int], dict[int, str]]:
        """Those the rule may exclude as the lowest, and those the limits protect, with why."""
        protected = self.protected(continuing, elected, places)
        return [c for c in continuing if c not in protected], protected

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


def check_limits(election: Election, constraints: Constraints) -> None:
    """Refuse, with the reason, limits that no choice of the standing candidates can meet.

    Called once, by ``methods.count``, before anything is counted; the engines rely on it.
    """
    ConstraintGuard(constraints).check_feasible(election.standing, election.seats)
