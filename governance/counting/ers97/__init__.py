"""STV by the Electoral Reform Society's rules, 1997, clause by clause in :mod:`.rules`.

The modules: ``rules`` (the count's entry point, citing each clause), ``state`` (the running
count and its stages), ``papers`` (the papers and their values), ``exclusion`` (5.2.2 and
5.2.5 on plain numbers), ``ties`` (the forward rule and lot) and ``sheet`` (stage tables).
"""

from __future__ import annotations

from governance.counting.ers97.rules import DECIMALS, METHOD, count, quota_for

__all__ = ["DECIMALS", "METHOD", "count", "quota_for"]
