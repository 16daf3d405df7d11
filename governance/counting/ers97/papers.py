"""The ballot papers of an ERS97 count, held as NumPy arrays for speed on a million ballots.

Identical rankings always travel together (same pile, same value, same next preference), so
one row stands for a group of ``count`` identical papers. Rankings are stored ragged: ``flat``
holds every preference of every row end to end and ``start``/``length`` locate a row's
preferences. Per row the store keeps the candidate holding the papers (``holder``, -1 once they
are non-transferable), the position of that preference in the ranking (``position``), the value
of each paper in hundredths (``value``: 100 is unity, ERS97 glossary 6.25) and the batch in
which the papers reached their holder (``batch``: 0 for first preferences, then one number per
transfer, ERS97 glossary 6.1). All arithmetic is on integers; nothing is a binary float.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from governance.counting.model import CountingError, Election, RankingTable

IntArray = npt.NDArray[np.int64]
SmallArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

UNITY = 100  # the value of a paper in hundredths before any transfer (6.25)
FEW_ROWS = 48  # up to this many rows, walking them one by one beats NumPy's cost per call


@dataclass(slots=True)
class Moves:
    """Where a selection of rows goes next: a continuing candidate, or -1 (non-transferable)."""

    rows: IntArray
    target: SmallArray
    position: SmallArray

    @property
    def transferable(self) -> BoolArray:
        return self.target >= 0


class PaperStore:
    """Every valid paper of the count, grouped by identical ranking."""

    def __init__(self, election: Election) -> None:
        candidates = len(election.candidates)
        groups = election.ballots
        if not isinstance(groups, RankingTable) and any(map(attrgetter("levels"), groups)):
            raise CountingError("ERS97 does not allow equal rankings (5.1.2, 6.17)")
        table = RankingTable.of(groups)  # a big file's table is used as it is, without objects
        length, count = table.lengths, table.counts
        rows = length.size
        _check_input(table.marks, count, candidates)
        flat = table.marks.astype(np.int32, copy=False)
        self.flat: SmallArray = flat
        self.start: IntArray = np.cumsum(length) - length
        self.length: IntArray = length
        self.count: IntArray = count
        self.holder: SmallArray = np.full(rows, -1, dtype=np.int32)
        self.position: SmallArray = np.full(rows, -1, dtype=np.int32)
        self.value: IntArray = np.full(rows, UNITY, dtype=np.int64)
        self.batch: SmallArray = np.zeros(rows, dtype=np.int32)
        self.candidates = candidates
        self._sort_first_preferences(election.withdrawn)

    def _sort_first_preferences(self, withdrawn: frozenset[int]) -> None:
        """ERS97 5.1.2: sort by first preference; withdrawn names are passed over.

        A paper naming no standing candidate has no first preference and is invalid (6.9, 6.24):
        its rows are dropped, and their papers counted in ``invalid_papers``.
        """
        standing = np.ones(self.candidates, dtype=np.bool_)
        standing[list(withdrawn)] = False
        moves = self.next_preferences(np.arange(self.holder.size, dtype=np.int64), standing)
        valid = moves.transferable
        self.invalid_papers = int(self.count[~valid].sum())
        keep = np.flatnonzero(valid)
        self.start = self.start[keep]
        self.length = self.length[keep]
        self.count = self.count[keep]
        self.holder = moves.target[valid]
        self.position = moves.position[valid]
        self.value = self.value[keep]
        self.batch = self.batch[keep]

    @property
    def valid_papers(self) -> int:
        return int(self.count.sum())

    def next_preferences(self, rows: IntArray, continuing: BoolArray) -> Moves:
        """Next available preference for a continuing candidate of each row (6.10).

        Most batches of a count are a few rows, for which NumPy's cost per call outweighs the
        work: those are walked row by row (``walk_rows``), the others all together
        (``walk_arrays``) until only a few are left; both give the same moves.
        """
        if rows.size <= FEW_ROWS:
            return self.walk_rows(rows, continuing)
        return self.walk_arrays(rows, continuing, few=FEW_ROWS)

    def walk_rows(self, rows: IntArray, continuing: BoolArray) -> Moves:
        """``next_preferences`` one row at a time, in Python."""
        target, position = self._walk(
            self.start[rows].tolist(),
            self.length[rows].tolist(),
            self.position[rows].tolist(),
            continuing.tolist(),
        )
        return Moves(rows, np.array(target, np.int32), np.array(position, np.int32))

    def _walk(
        self, starts: list[int], lengths: list[int], positions: list[int], alive: list[bool]
    ) -> tuple[list[int], list[int]]:
        """Targets and positions of rows at ``starts``/``lengths``, each from ``positions``."""
        flat = self.flat
        target: list[int] = []
        position: list[int] = []
        for start, length, at in zip(starts, lengths, positions, strict=True):
            for candidate in flat[start + at + 1 : start + length].tolist():
                at += 1
                if alive[candidate]:
                    target.append(candidate)
                    position.append(at)
                    break
            else:  # no continuing candidate left: the row is past its end
                target.append(-1)
                position.append(max(length, at + 1))
        return target, position

    def walk_arrays(self, rows: IntArray, continuing: BoolArray, few: int = 0) -> Moves:
        """``next_preferences`` for all rows together.

        Rows advance together; each pass only looks again at rows whose preference named a
        candidate no longer continuing, so the work is the number of preferences passed over.
        Once ``few`` rows or fewer are left, those are walked on one by one.
        """
        start = self.start[rows]
        end = start + self.length[rows]
        cursor = start + self.position[rows]  # where in ``flat`` each row has got to
        target = np.full(rows.size, -1, dtype=np.int32)
        todo = np.arange(rows.size, dtype=np.int64)
        while todo.size > few:
            cursor[todo] += 1
            todo = todo[cursor[todo] < end[todo]]
            named = self.flat[cursor[todo]]
            found = continuing[named]
            target[todo[found]] = named[found]
            todo = todo[~found]
        position = (cursor - start).astype(np.int32)
        if todo.size:
            target[todo], position[todo] = self._walk(
                start[todo].tolist(),
                (end - start)[todo].tolist(),
                position[todo].tolist(),
                continuing.tolist(),
            )
        return Moves(rows, target, position)

    def rows_of(self, candidates: list[int]) -> IntArray:
        if len(candidates) == 1:
            return np.flatnonzero(self.holder == candidates[0])
        return np.flatnonzero(np.isin(self.holder, candidates))

    def by_value(self, rows: IntArray) -> list[tuple[int, IntArray]]:
        """ERS97 5.4: ``rows`` in batches of equal value, the highest value first (each batch's
        rows in ascending order)."""
        if not rows.size:
            return []
        values = self.value[rows]
        if values.min() == values.max():  # the usual case: one batch
            return [(int(values[0]), rows)]
        order = np.argsort(-values, kind="stable")
        rows, values = rows[order], values[order]
        bounds = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist(), rows.size]
        return [(int(values[a]), rows[a:b]) for a, b in pairwise(bounds)]

    def last_batch(self, candidate: int) -> IntArray:
        """ERS97 5.3.1-5.3.2: the last received batch (all papers, if only the first stage's)."""
        rows = self.rows_of([candidate])
        batches = self.batch[rows]
        return rows[batches == batches.max()] if rows.size else rows

    def papers(self, rows: IntArray) -> int:
        return int(self.count[rows].sum())

    def worth(self, rows: IntArray) -> int:
        """Total value of the papers of ``rows``, in hundredths."""
        return int(np.dot(self.count[rows], self.value[rows]))

    def tally(self, rows: IntArray, target: SmallArray, value: IntArray) -> IntArray:
        """Value credited to each candidate when ``rows`` move to ``target`` at ``value`` each."""
        credit = np.zeros(self.candidates, dtype=np.int64)
        np.add.at(credit, target, self.count[rows] * value)
        return credit

    def transfer(
        self, rows: IntArray, continuing: BoolArray, value: int, batch: int
    ) -> tuple[dict[int, int], int]:
        """Move the papers of ``rows``, all at ``value``, to their next preference (6.10) as
        transfer ``batch``. Returns the nonzero changes in candidates' votes, by candidate in
        ascending order (the transferable papers credited to their next preference, all of them
        debited from their holder), and the number of papers that became non-transferable.

        A few rows are walked and added up in Python, more with NumPy, as in
        ``next_preferences``.
        """
        if rows.size <= FEW_ROWS:
            return self._transfer_rows(rows, continuing, value, batch)
        moves = self.walk_arrays(rows, continuing, few=FEW_ROWS)
        moving = moves.transferable
        count = self.count[rows]
        change = np.zeros(self.candidates, dtype=np.int64)
        np.add.at(change, moves.target[moving], count[moving] * value)
        np.subtract.at(change, self.holder[rows], count * value)
        self.move(moves, value, batch)
        return nonzero_items(change), int(count.sum()) - int(count[moving].sum())

    def _transfer_rows(
        self, rows: IntArray, continuing: BoolArray, value: int, batch: int
    ) -> tuple[dict[int, int], int]:
        targets, positions = self._walk(
            self.start[rows].tolist(),
            self.length[rows].tolist(),
            self.position[rows].tolist(),
            continuing.tolist(),
        )
        change: dict[int, int] = {}
        lost = 0
        holders, counts = self.holder[rows].tolist(), self.count[rows].tolist()
        for holder, target, count in zip(holders, targets, counts, strict=True):
            worth = count * value
            change[holder] = change.get(holder, 0) - worth
            if target < 0:
                lost += count
            else:
                change[target] = change.get(target, 0) + worth
        self.holder[rows] = targets
        self.position[rows] = positions
        self.value[rows] = value
        self.batch[rows] = batch
        return {c: change[c] for c in sorted(change) if change[c]}, lost

    def move(self, moves: Moves, value: IntArray | int, batch: int) -> None:
        """Hand the transferable rows to their next preference; the rest become non-transferable."""
        rows = moves.rows
        self.holder[rows] = moves.target
        self.position[rows] = moves.position
        self.value[rows] = value
        self.batch[rows] = batch

    def first_preference_votes(self) -> IntArray:
        return self.tally(np.arange(self.holder.size, dtype=np.int64), self.holder, self.value)


def nonzero_items(change: IntArray) -> dict[int, int]:
    """The nonzero entries of ``change`` by index, in ascending order."""
    moved = change.nonzero()[0]
    return dict(zip(moved.tolist(), change[moved].tolist(), strict=True))


def _check_input(flat: npt.NDArray[np.integer], count: IntArray, candidates: int) -> None:
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= candidates):
        raise CountingError("a ballot names a candidate that does not exist")
    if count.size and int(count.min()) < 0:
        raise CountingError("a ballot line has a negative multiplier")
