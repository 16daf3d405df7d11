"""Category constraints: at least / at most so many elected per category, inside any count.

The method is explained in :mod:`.guard` and ``docs/constraints.md``. The modules: ``guard``
(the questions a count asks of the limits), ``search`` (whether the places left can still be
filled within them) and the public names below, which are the package's whole interface.
"""

from __future__ import annotations

from governance.counting.constraints.guard import (
    ConstraintError,
    ConstraintGuard,
    Constraints,
    Limit,
    count_block_with_constraints,
    elect_by_tally,
    read_constraints,
)

__all__ = [
    "ConstraintError",
    "ConstraintGuard",
    "Constraints",
    "Limit",
    "count_block_with_constraints",
    "elect_by_tally",
    "read_constraints",
]
