"""The fast path of :mod:`governance.counting.blt`: plain numeric ballot lines, read with NumPy.

A large file's ballot lines are almost always ``W c1 c2 ... 0`` in digits and spaces. This
module reads a whole block of them at once: it finds the digit runs in the bytes, turns them into
numbers without a Python loop per token, and checks every line (closing 0, candidate numbers in
range, no candidate twice). Anything it is not sure of — another character, a bad line — it
declines by returning None, and the line-by-line reader, which names the line and the problem,
takes over. It never accepts a block the line-by-line reader would refuse.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]

_ALLOWED = np.zeros(256, dtype=np.bool_)
_ALLOWED[list(b"0123456789 \n")] = True
_LARGEST = 2**62  # NumPy's reader saturates on overflow; anything this big goes the careful way


def scan_ballots(lines: list[str], n_candidates: int) -> dict[tuple[int, ...], int] | None:
    """Rankings (0-based) and their total weight, or None to let the careful reader decide."""
    text = "\n".join(lines) + "\n"
    if not _one_ballot_per_line(text, len(lines) - lines.count("")):
        return None
    try:
        data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None
    if not _ALLOWED[data].all():
        return None
    numbers = np.fromstring(text, dtype=np.int64, sep=" ")
    if numbers.size == 0 or numbers[-1] != 0 or int(numbers.max()) >= _LARGEST:
        return None
    return _rankings(numbers, n_candidates)


def _one_ballot_per_line(text: str, content_lines: int) -> bool:
    """Every line ends in its only 0 and none starts with one: then 0s split the lines exactly.

    That is what lets one flat read of all the numbers stand for a line-by-line read.
    """
    if "\n0" in text or text.startswith("0"):
        return False  # a weight of 0
    # Every " 0" must close a line: one inside a line (" 0 ") or a leading zero (" 01") fails.
    return text.count(" 0") == text.count(" 0\n") == content_lines


def _rankings(numbers: Ints, n_candidates: int) -> dict[tuple[int, ...], int] | None:
    ends = np.flatnonzero(numbers == 0)  # each line's closing 0
    firsts = np.concatenate(([0], ends[:-1] + 1))  # each line's weight
    is_mark = np.ones(numbers.size, dtype=np.bool_)
    is_mark[firsts] = False
    is_mark[ends] = False
    marks = numbers[is_mark] - 1
    if marks.size and (int(marks.min()) < 0 or int(marks.max()) >= n_candidates):
        return None
    per_line = ends - firsts - 1
    if _any_repeat(marks, per_line, n_candidates):
        return None
    return _merge(numbers[firsts], marks, per_line)


def _any_repeat(candidates: Ints, per_line: Ints, n_candidates: int) -> bool:
    """True if a line ranks a candidate twice."""
    if not candidates.size:
        return False
    nonempty = per_line > 0
    offsets = (np.cumsum(per_line) - per_line)[nonempty]
    words = (n_candidates + 63) // 64
    if words > 2:
        # Many candidates: sort (line, candidate) pairs and look for a repeat.
        line = np.repeat(np.arange(per_line.size, dtype=np.int64), per_line)
        return bool(np.unique(line * n_candidates + candidates).size != candidates.size)
    # A bit per candidate, OR-ed along each line: fewer bits than marks means a repeat.
    bits = np.zeros((candidates.size, words), dtype=np.uint64)
    bits[np.arange(candidates.size), candidates // 64] = np.left_shift(
        np.uint64(1), (candidates % 64).astype(np.uint64)
    )
    seen = np.bitwise_count(np.bitwise_or.reduceat(bits, offsets, axis=0)).sum(axis=1)
    return bool(np.any(seen != per_line[nonempty]))


def _merge(weights: Ints, marks: Ints, per_line: Ints) -> dict[tuple[int, ...], int]:
    """Identical rankings merged, their weights added.

    Rankings of one length come out of a matrix as tuples made by ``zip`` (in C), which is
    several times quicker than slicing a tuple for each line.
    """
    starts = np.cumsum(per_line) - per_line
    order = np.argsort(per_line, kind="stable")
    rankings: list[tuple[int, ...]] = []
    for lines in np.split(order, np.flatnonzero(np.diff(per_line[order])) + 1):
        length = int(per_line[lines[0]])
        if length == 0:
            rankings.extend([()] * lines.size)
            continue
        cells = marks[starts[lines][:, None] + np.arange(length)]
        rankings.extend(zip(*cells.T.tolist(), strict=True))
    if int(weights.min()) == int(weights.max()) == 1:
        return dict(Counter(rankings))  # counted in C: the usual case of one paper a line
    merged: dict[tuple[int, ...], int] = {}
    get = merged.get
    for ranking, weight in zip(rankings, weights[order].tolist(), strict=True):
        merged[ranking] = get(ranking, 0) + weight
    return merged
