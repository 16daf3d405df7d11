"""What the count sheet shows at each stage of an ERS97 count: the votes table and the transfers.

A count of 120 candidates runs to hundreds of stages (each batch of an exclusion is one, 5.4),
and each changes only a few candidates' votes. So a stage's table is the one before it with the
candidates whose vote or status changed rewritten, and each number of hundredths becomes a
``Fraction`` once per count: stages share those, which are immutable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from governance.counting.ers97.papers import UNITY, IntArray
from governance.counting.model import ScaledFractions

StatusArray = npt.NDArray[np.int8]

CONTINUING, ELECTED, EXCLUDED = 0, 1, 2  # a candidate's status in ``Ers97Count.status``


class StageTables:
    """Each stage's votes table, written from the one before.

    A standing candidate is shown unless excluded with no votes left; one being excluded
    (``moving``) is shown until its exclusion is over. Candidates are listed in ascending order.
    """

    def __init__(self, standing: Iterable[int]) -> None:
        self.fraction = ScaledFractions(UNITY)
        self.standing = frozenset(standing)
        # the votes, statuses and candidates being excluded at the last stage, and its table
        self.last: tuple[IntArray, StatusArray, tuple[int, ...], dict[int, Fraction]] | None = None

    def votes(
        self, votes: IntArray, status: StatusArray, moving: Sequence[int]
    ) -> dict[int, Fraction]:
        """The table of a stage at which the candidates have ``votes`` and ``status``."""
        moving = tuple(moving)
        if self.last is None:
            table = self.full(votes, status, moving)
        else:
            last_votes, last_status, last_moving, last_table = self.last
            changed = ((votes != last_votes) | (status != last_status)).nonzero()[0].tolist()
            recheck = {*changed, *moving, *last_moving}
            table = self.rewrite(last_table, recheck, votes, status, moving)
        self.last = (votes.copy(), status.copy(), moving, table)
        return table

    def rewrite(
        self,
        table: dict[int, Fraction],
        recheck: set[int],
        votes: IntArray,
        status: StatusArray,
        moving: tuple[int, ...],
    ) -> dict[int, Fraction]:
        """``table`` with the candidates of ``recheck`` rewritten, dropped, or (when one is shown
        who was not, and would be out of order) the table written afresh."""
        table = table.copy()
        for candidate in recheck:
            vote = int(votes[candidate])
            if not self.shown(candidate, vote, status, moving):
                table.pop(candidate, None)
            elif candidate in table:
                table[candidate] = self.fraction[vote]
            else:
                return self.full(votes, status, moving)
        return table

    def shown(
        self, candidate: int, vote: int, status: StatusArray, moving: tuple[int, ...]
    ) -> bool:
        return candidate in self.standing and (
            vote != 0 or status[candidate] != EXCLUDED or candidate in moving
        )

    def full(
        self, votes: IntArray, status: StatusArray, moving: tuple[int, ...]
    ) -> dict[int, Fraction]:
        """The table written afresh, from every standing candidate."""
        vote: list[int] = votes.tolist()
        return {
            candidate: self.fraction[vote[candidate]]
            for candidate in sorted(self.standing)
            if self.shown(candidate, vote[candidate], status, moving)
        }

    def transfers(self, change: dict[int, int]) -> dict[int, Fraction]:
        """The nonzero changes of a stage (``change``, in hundredths) by candidate."""
        return {candidate: self.fraction[value] for candidate, value in change.items() if value}
