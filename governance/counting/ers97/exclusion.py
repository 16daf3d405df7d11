"""Who may be excluded together, and when surpluses wait: ERS97 5.2.2 and 5.2.5, on plain numbers.

Both rules look at the continuing candidates' votes from the lowest up. Writing ``v`` for those
votes in ascending order and ``P[k]`` for the total of the lowest ``k``, a group of the lowest
``k`` may be excluded together (5.2.5) when ``m - k >= places`` (enough remain) and
``P[k] + deferred <= v[k]`` (with the deferred surpluses they do not exceed the candidate next
above). Surpluses totalling ``s`` are deferred (5.2.2) when ``s <= v[1] - v[0]`` (a) or a group
of two or more that could be excluded under 5.2.5 has ``P[k] + s <= v[k]`` (b).

``choose_exclusion`` applies 5.2.5 to a count in progress: the group, equal lowest settled by
the forward rule then lot, and, with category limits, never a candidate they protect nor a group
they forbid to go together.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from governance.counting.constraints import constraint_notes
from governance.counting.ers97.ties import pick_fewest

if TYPE_CHECKING:
    from governance.counting.ers97.state import Ers97Count


def bulk_size(ascending: list[int], places: int, deferred: int) -> int:
    """ERS97 5.2.5: how many of the lowest to exclude together (at least one)."""
    totals = [0, *accumulate(ascending)]
    size = 1
    for k in range(2, len(ascending) - places + 1):
        if totals[k] + deferred <= ascending[k]:
            size = k
    return size


def deferral_clause(ascending: list[int], places: int, surpluses: int) -> str | None:
    """ERS97 5.2.2: "a" or "b" when surpluses totalling ``surpluses`` are deferred, else None."""
    if len(ascending) >= 2 and surpluses <= ascending[1] - ascending[0]:
        return "a"
    totals = [0, *accumulate(ascending)]
    for k in range(2, len(ascending) - places + 1):
        if totals[k] + surpluses <= ascending[k]:
            return "b"
    return None


def choose_exclusion(count: Ers97Count, continuing: list[int]) -> tuple[list[int], str]:
    """ERS97 5.2.5; with constraints, never a protected candidate nor a group that would
    leave the limits impossible to meet."""
    if count.guard is None:
        return _bulk(count, continuing)
    eligible, protected = count.guard.excludable(continuing, count.sheet.elected, count.fillable)
    count.notes.extend(constraint_notes(count.names, protected))
    if protected:
        group, tie = _lowest(count, eligible, 1)
        return group, f"lowest of those not protected by a constraint{tie} (5.2.5)"
    group, reason = _bulk(count, eligible)
    if count.guard.can_exclude(group, continuing, count.sheet.elected, count.fillable):
        return group, reason
    names = ", ".join(count.name(c) for c in group)
    count.notes.append(f"{names} not excluded together: the category limits forbid it")
    group, tie = _lowest(count, eligible, 1)
    return group, f"lowest vote{tie}; a bulk exclusion was barred by a constraint"


def _bulk(count: Ers97Count, eligible: list[int]) -> tuple[list[int], str]:
    vote: list[int] = count.votes.tolist()
    votes = sorted(map(vote.__getitem__, eligible))
    deferred = sum(count.surplus(c) for c in count.pending)
    size = bulk_size(votes, count.places, deferred)
    group, tie = _lowest(count, eligible, size)
    if size == 1:
        return group, f"lowest vote{tie} (5.2.5)"
    return group, f"one of the {size} lowest, excluded together{tie} (5.2.5)"


def _lowest(count: Ers97Count, eligible: list[int], size: int) -> tuple[list[int], str]:
    """The ``size`` lowest; equal votes at the boundary by the forward rule, then lot.

    Also returns how a tie at the boundary was settled, as a clause for the decision's
    reason (empty when there was none).
    """
    vote: list[int] = count.votes.tolist()
    ranked = sorted(eligible, key=vote.__getitem__)
    edge = vote[ranked[size - 1]]
    low = bisect_left(ranked, edge, key=vote.__getitem__)
    below = ranked[:low]
    tied = ranked[low : bisect_right(ranked, edge, key=vote.__getitem__)]
    wanted = size - len(below)
    if wanted == len(tied):
        return below + tied, ""
    chosen, drawn = pick_fewest(
        tied, wanted, count.history, count.lot, stage=count.stage + 1, purpose="equal lowest"
    )
    how = "by lot" if drawn else "by the forward rule"
    names = ", ".join(count.name(c) for c in chosen)
    count.notes.append(f"Equal lowest votes: {names} excluded {how} (5.2.5)")
    return below + chosen, f", equal lowest settled {how}"
