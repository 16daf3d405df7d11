"""Meek STV by the PR Foundation's reference rule: the rule step by step is in :mod:`.rule`.

The modules: ``rule`` (the count's entry point and rounds, citing each step), ``ballots`` (the
B.2.a distribution over a tree of ballot paths) and ``limits`` (where category limits meet the
rule).
"""

from __future__ import annotations

from governance.counting.meek.rule import DECIMALS, METHOD, count, fixed

__all__ = ["DECIMALS", "METHOD", "count", "fixed"]
