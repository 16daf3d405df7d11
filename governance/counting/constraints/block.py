"""Category limits in a count that elects from one tally: the block vote (and approval).

The places go to the highest tallies, except that a candidate whose election would make the
limits impossible is excluded instead (:mod:`.guard`, point 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from governance.counting.constraints.guard import ConstraintGuard
from governance.counting.constraints.limits import Constraints
from governance.counting.model import CountSheet, Decision, Election, Lot, Stage


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
