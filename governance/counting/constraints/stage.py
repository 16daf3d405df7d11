"""The constraint step the STV counts share: the top of a stage, the quota order, the notes.

Scottish STV, ERS97 and Meek meet the category limits at the same points (:mod:`.guard`, "Call
points"), and what the limits decide there is the same in all three, so it is decided here:

* at the top of every stage, before surpluses or exclusions, the candidates the limits force
  in, in the order they are elected, or else those they bar (``ConstraintGuard.top_of_stage``,
  giving a :class:`StageTop`);
* when several reach the quota at once and the order decides who is barred, the order
  (:func:`quota_order`), ties settled by each rule's own procedure;
* when the rule excludes the lowest, who may go and who the limits protect
  (``ConstraintGuard.excludable``).

Each count writes these decisions on its sheet in its own rule's words (a Meek candidate is
"defeated", a Scottish or ERS97 one "excluded") with :func:`constraint_notes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from governance.counting.model import StageVotes


@dataclass(frozen=True, slots=True)
class StageTop:
    """What the limits decide at the top of a stage, before the rule's own step.

    ``forced``: protected candidates exactly filling the places left, to be elected now, the
    stage's only business. Otherwise ``barred``: every continuing candidate who could no longer
    be elected, to be excluded now, in candidate order. Both give each candidate's reason.
    """

    forced: Mapping[int, str]
    barred: Mapping[int, str]

    def forced_in_order(self, votes: StageVotes) -> dict[int, str]:
        """The forced candidates as they are elected, with their reasons: most votes first,
        equal votes by candidate number (they are elected together, so no rule's tie-break is
        needed to decide anything).
        """
        order = sorted(self.forced, key=lambda c: (-int(votes[c]), c))
        return {c: self.forced[c] for c in order}


def quota_order(
    reached: Sequence[int], votes: StageVotes, first_of: Callable[[list[int]], int]
) -> list[int]:
    """Candidates reaching the quota together, most votes first; equal votes as ``first_of`` says.

    The limits may bar one of them once the others are elected, so the order among equal votes
    matters. ``first_of(tied)`` is the rule's way of putting one of two or more equal candidates
    first (Scottish STV: r.49(2),(3), look back then lot; Meek: procedure T) and writes its own
    note; it is asked again for the rest until one is left.
    """
    ordered: list[int] = []
    by_votes = sorted(reached, key=lambda c: -int(votes[c]))
    for _, equal in groupby(by_votes, key=lambda c: int(votes[c])):
        tied = list(equal)
        while len(tied) > 1:
            first = first_of(tied)
            ordered.append(first)
            tied.remove(first)
        ordered.extend(tied)
    return ordered


def constraint_notes(names: Sequence[str], reasons: Mapping[int, str], what: str = "") -> list[str]:
    """One count sheet note per candidate, in the order of ``reasons``.

    "NAME what: reason", or "NAME reason" when the reason says it all (a protection: "protected:
    region = North needs ...").
    """
    return [
        f"{names[c]} {what}: {why}" if what else f"{names[c]} {why}" for c, why in reasons.items()
    ]
