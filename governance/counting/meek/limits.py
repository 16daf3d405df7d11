"""Category limits inside the Meek count: our extension, not the PR Foundation rule.

The method is the ``constraints`` package's (``docs/constraints.md``); this module decides what it
requires where the rule meets it, "exclude" meaning defeat (keep factor 0, as in B.3), and
``rule.py`` writes each decision on the count sheet:

- **Top of a round, before B.2** (``top_of_round``): protected candidates exactly filling the
  places left are elected; else every hopeful candidate who could no longer be elected is
  defeated (the step every STV count shares, ``ConstraintGuard.top_of_stage``).
- **B.2.c** (``admit``): if all who reach the quota can be elected together, they are, as the rule
  says. Otherwise they are taken highest vote first, equal votes in the order procedure T gives
  (the election's tie order, else lot; the shared ``quota_order``), and each is elected unless
  the limits then bar it; a barred candidate is defeated instead. The order matters only here,
  so T is called only here.
- **B.3** (``defeatable``): the lowest of the hopeful candidates the limits do not protect.
- **C.1 / C.2**: nothing. Every decision above keeps the limits reachable with the places left,
  so when the hopeful candidates are no more than those places electing them all is the one way
  left, and it meets the limits; when every seat is filled the limits are already met.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from governance.counting.constraints import ConstraintGuard, StageTop, quota_order

TieBreak = Callable[[list[int], str], tuple[int, str]]
"""Procedure T: (tied, purpose) -> (the first of them in the predetermined order, how)."""


class MeekLimits:
    """The guard's calls, with the places a Meek count can still fill taken from its state."""

    def __init__(self, guard: ConstraintGuard, seats: int, names: Sequence[str]) -> None:
        self.guard = guard
        self.seats = seats
        self.names = names

    def places(self, hopeful: Sequence[int], elected: Sequence[int]) -> int:
        """Seats left, or fewer when fewer hopeful candidates are left to fill them."""
        return min(self.seats - len(elected), len(hopeful))

    def top_of_round(self, hopeful: Sequence[int], elected: Sequence[int]) -> StageTop:
        """Before B.2: those to elect by constraint, else those to defeat, with the reasons."""
        return self.guard.top_of_stage(hopeful, elected, self.places(hopeful, elected))

    def admit(
        self,
        reached: list[int],
        hopeful: Sequence[int],
        elected: Sequence[int],
        votes: Sequence[int],
        break_tie: TieBreak,
    ) -> tuple[list[int], dict[int, str], list[str]]:
        """B.2.c: who of ``reached`` is elected, who the limits bar (and why), and the notes."""
        others = [c for c in hopeful if c not in reached]
        places = self.places(hopeful, elected) - len(reached)
        if self.guard.feasible(others, [*elected, *reached], places):
            return reached, {}, []
        notes: list[str] = []
        continuing, now_elected = list(hopeful), list(elected)
        barred: dict[int, str] = {}

        def first_in_t_order(tied: list[int]) -> int:
            """Procedure T among equal votes at the quota, noted on the sheet."""
            first, how = break_tie(tied, "equal votes at the quota (B.2.c)")
            names = ", ".join(self.names[c] for c in sorted(tied))
            notes.append(f"T: tie at the quota between {names} settled {how}")
            return first

        for c in quota_order(reached, votes, first_in_t_order):
            reason = self.guard.barred(
                c, continuing, now_elected, self.places(continuing, now_elected)
            )
            continuing.remove(c)
            if reason is None:
                now_elected.append(c)
            else:
                barred[c] = reason
                notes.append(f"{self.names[c]} defeated instead of elected: {reason}")
        winners = [c for c in now_elected if c in reached]
        return winners, barred, notes

    def defeatable(
        self, hopeful: Sequence[int], elected: Sequence[int]
    ) -> tuple[list[int], dict[int, str]]:
        """B.3: the hopeful candidates the limits let be defeated, and those they protect."""
        return self.guard.excludable(hopeful, elected, self.places(hopeful, elected))
