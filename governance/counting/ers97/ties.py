"""Forward tie-breaking for ERS97 (5.2.3, 5.2.5, 5.6.2) and the lot that settles what it cannot.

ERS97 settles ties by the candidates' votes "at the first stage or at the earliest point in the
count, after the transfer of a batch of papers, where they had unequal votes". The count keeps
every candidate's vote after the first stage and after every batch (``VoteHistory``); comparing
candidates point by point from the first is a lexicographic comparison of those rows.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from governance.counting.ers97.papers import IntArray
from governance.counting.model import Lot


class VoteHistory:
    """Votes of every candidate at the first stage and after each later batch of papers."""

    def __init__(self) -> None:
        # One row per point, in a buffer that doubles as it fills: a tie is then settled on a
        # slice of the rows so far, without stacking a thousand separate arrays.
        self._table: IntArray = np.zeros((0, 0), dtype=np.int64)
        self._size = 0

    def record(self, votes: IntArray) -> None:
        if self._size == len(self._table):
            grown = np.zeros((max(2 * self._size, 64), votes.size), dtype=np.int64)
            if self._size:
                grown[: self._size] = self._table
            self._table = grown
        self._table[self._size] = votes
        self._size += 1

    @property
    def _points(self) -> IntArray:
        return self._table[: self._size]

    def key(self, candidate: int) -> tuple[int, ...]:
        key: list[int] = self._points[:, candidate].tolist()
        return tuple(key)

    def ascending(self, candidates: list[int]) -> list[list[int]]:
        """Candidates from fewest to most votes at the earliest point where they differ.

        Each inner list holds candidates whose votes were equal at every point, which the
        forward rule cannot separate.
        """
        if not self._size:
            return [sorted(candidates)]
        if len(candidates) == 1:  # the usual case: nothing to compare
            return [list(candidates)]
        table = self._points[:, candidates]
        order = sorted(range(len(candidates)), key=lambda i: (table[:, i].tolist(), candidates[i]))
        return [
            [candidates[i] for i in group]
            for _, group in groupby(order, key=lambda i: table[:, i].tolist())
        ]


def pick_fewest(
    tied: list[int], wanted: int, history: VoteHistory, lot: Lot, *, stage: int, purpose: str
) -> tuple[list[int], bool]:
    """``wanted`` of ``tied`` with the fewest votes by the forward rule, then by lot.

    Returns the chosen candidates and whether a lot was drawn.
    """
    return _pick(history.ascending(tied), wanted, lot, stage=stage, purpose=purpose)


def pick_most(
    tied: list[int], wanted: int, history: VoteHistory, lot: Lot, *, stage: int, purpose: str
) -> tuple[list[int], bool]:
    """``wanted`` of ``tied`` with the most votes by the forward rule, then by lot."""
    return _pick(history.ascending(tied)[::-1], wanted, lot, stage=stage, purpose=purpose)


def _pick(
    groups: list[list[int]], wanted: int, lot: Lot, *, stage: int, purpose: str
) -> tuple[list[int], bool]:
    chosen: list[int] = []
    drawn = False
    for group in groups:
        if len(chosen) + len(group) <= wanted:
            chosen.extend(group)
            continue
        pool = list(group)
        while len(chosen) < wanted:
            winner = lot.choose(pool, stage=stage, purpose=purpose)
            pool.remove(winner)
            chosen.append(winner)
            drawn = True
        break
    return chosen, drawn


def most_first_without_lot(
    tied: list[int], places: int, history: VoteHistory
) -> tuple[list[int], list[int]]:
    """ERS97 5.6.2: who of ``tied`` is deemed elected into ``places``, and who is held back.

    Candidates are taken in descending order by the forward rule. If the last place falls
    among candidates the rule cannot separate, none of those is deemed elected at this stage:
    they are returned as held back.
    """
    chosen: list[int] = []
    for group in history.ascending(tied)[::-1]:
        if len(chosen) == places:
            break
        if len(chosen) + len(group) > places:
            return chosen, group
        chosen.extend(group)
    return chosen, []
