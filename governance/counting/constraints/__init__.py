"""Category constraints: at least / at most so many elected per category, inside any count.

The method is explained in :mod:`.guard` and ``docs/constraints.md``. The modules: ``limits``
(the limits as a body writes them, and their JSON file), ``guard`` (the questions a count asks
of them), ``search`` (whether the places left can still be filled within them), ``stage`` (the
step the STV counts share) and ``block`` (counts that elect from one tally). The names below
are the package's interface.
"""

from __future__ import annotations

from governance.counting.constraints.block import count_block_with_constraints, elect_by_tally
from governance.counting.constraints.guard import ConstraintGuard, check_limits
from governance.counting.constraints.limits import (
    ConstraintError,
    Constraints,
    Limit,
    read_constraints,
)
from governance.counting.constraints.stage import StageTop, constraint_notes, quota_order

__all__ = [
    "ConstraintError",
    "ConstraintGuard",
    "Constraints",
    "Limit",
    "StageTop",
    "check_limits",
    "constraint_notes",
    "count_block_with_constraints",
    "elect_by_tally",
    "quota_order",
    "read_constraints",
]
