"""Who may be excluded together, and when surpluses wait: ERS97 5.2.2 and 5.2.5, on plain numbers.

Both rules look at the continuing candidates' votes from the lowest up. Writing ``v`` for those
votes in ascending order and ``P[k]`` for the total of the lowest ``k``, a group of the lowest
``k`` may be excluded together (5.2.5) when ``m - k >= places`` (enough remain) and
``P[k] + deferred <= v[k]`` (with the deferred surpluses they do not exceed the candidate next
above). Surpluses totalling ``s`` are deferred (5.2.2) when ``s <= v[1] - v[0]`` (a) or a group
of two or more that could be excluded under 5.2.5 has ``P[k] + s <= v[k]`` (b).
"""

from __future__ import annotations

from itertools import accumulate


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
