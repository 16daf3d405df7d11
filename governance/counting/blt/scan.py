"""The fast path of :mod:`governance.counting.blt`: a plain ballot section, read with NumPy.

A large file's ballot lines are almost always ``W c1 c2 ... 0`` in digits and single spaces.
This module reads the section a mebibyte of lines at a time, straight from the bytes into
arrays: it finds the numbers, turns them into integers without a Python loop per token, checks
every line (candidate numbers in range, no candidate twice) and packs each ranking into a few
64-bit words; then it groups identical rankings of the whole section exactly, ending with a
:class:`RankingTable` and no Python object per ballot. Anything it is not sure of — another
character, a blank line, a leading zero, a bad line — it declines by returning None, and the
line-by-line reader, which names the line and the problem, takes over. It never accepts a
section the line-by-line reader would refuse, nor reads one differently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from governance.counting.model import MAX_PAPERS, RankingTable

Ints = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]

_DIGITS = 18  # a weight of 19 digits might not fit in int64: such a file goes the careful way
_BIT_SETS_UP_TO = 128  # candidates; above this the repeat check sorts instead
# Text read per pass. Each pass's arrays (a few MiB) are freed before the next, so the passes
# reuse the same memory: peak memory and the cost of fresh pages stay flat as files grow.
CHUNK_CHARS = 1 << 20


@dataclass(frozen=True, slots=True)
class _Lines:
    """A run of ballot lines: candidate numbers (1 to N) end to end, and per line its number
    of preferences, its weight and its packed words (see ``_pack``)."""

    numbers: npt.NDArray[np.integer]
    lengths: Ints
    weights: Ints
    words: Words


def scan_section(section: str, n_candidates: int, max_weight: int) -> RankingTable | None:
    """The ballots of ``section`` (whole lines, each ending in a newline), or None to decline.

    A line of more than ``max_weight`` papers, or more than ``MAX_PAPERS`` papers in all, is
    declined too: the careful reader refuses the file with the line and the reason.
    """
    runs = []
    for chunk in _chunks(section):
        run = _scan_lines(chunk, n_candidates)
        if run is None:
            return None
        runs.append(run)
    if not runs:
        return None
    weights = np.concatenate([run.weights for run in runs])
    # Once no weight is above max_weight, the int64 sum is exact for any section that fits in
    # memory: so it is added up only after that check.
    if int(weights.max()) > max_weight or int(weights.sum()) > MAX_PAPERS:
        return None
    lines = _Lines(
        np.concatenate([run.numbers for run in runs]),
        np.concatenate([run.lengths for run in runs]),
        weights,
        np.concatenate([run.words for run in runs]),
    )
    return _group(lines, n_candidates)


def _chunks(section: str) -> Iterator[str]:
    """``section`` in pieces of about ``CHUNK_CHARS``, each a run of whole lines."""
    at = 0
    while at < len(section):
        cut = section.find("\n", min(at + CHUNK_CHARS, len(section)) - 1)
        end = len(section) if cut < 0 else cut + 1
        yield section[at:end]
        at = end


def _scan_lines(chunk: str, n_candidates: int) -> _Lines | None:
    tokens = _numbers(chunk)
    if tokens is None:
        return None
    ends = np.flatnonzero(tokens == 0)  # each line's closing 0: no other number can be 0
    firsts = np.empty_like(ends)
    firsts[0] = 0
    firsts[1:] = ends[:-1] + 1
    is_mark = np.ones(tokens.size, dtype=np.bool_)
    is_mark[firsts] = False
    is_mark[ends] = False
    numbers = tokens[is_mark]
    if numbers.size and int(numbers.max()) > n_candidates:
        return None
    lengths = ends - firsts - 1
    if _any_repeat(numbers, lengths, n_candidates):
        return None
    small = np.uint16 if n_candidates < 2**16 else np.int32
    words = _pack(numbers, lengths, n_candidates)
    return _Lines(numbers.astype(small), lengths, tokens[firsts], words)


def _numbers(section: str) -> Ints | None:
    """Every number of a plain section, in order, or None if the section is not plain.

    Plain: only digits, single spaces and newlines; every line ``W c1 ... 0`` with at least a
    weight and the closing 0, and no number but the closing one starting with 0. Then the zeros
    split the numbers into lines exactly as the line-by-line reader would.
    """
    if not section.isascii() or not section.endswith("\n"):
        return None
    data = np.frombuffer(section.encode("ascii"), dtype=np.uint8)
    if int(data.max()) > ord("9"):
        return None
    gaps = np.flatnonzero(data < ord("0"))  # the one space or newline closing each number
    closing = data[gaps] == ord("\n")
    if not np.all(closing | (data[gaps] == ord(" "))):
        return None  # a tab, a comma, a minus sign, ...: the careful reader decides
    starts = np.empty_like(gaps)
    starts[0] = 0
    starts[1:] = gaps[:-1] + 1
    widths = gaps - starts
    if int(widths.min()) < 1 or int(widths.max()) > _DIGITS:
        return None  # two spaces, a space at either end of a line, a blank line; or too long
    leading_zero = data[starts] == ord("0")
    if not np.array_equal(leading_zero, closing) or np.any(widths[closing] != 1):
        return None  # a line not ending in " 0", a weight of 0, a leading zero, " 0 " inside
    if closing[0] or np.any(closing[1:] & closing[:-1]):
        return None  # a line "0" alone closes the ballots: the careful reader stops there
    values = data[starts].astype(np.int64) - ord("0")
    for k in range(1, int(widths.max())):
        longer = np.flatnonzero(widths > k)
        values[longer] = values[longer] * 10 + (data[starts[longer] + k] - ord("0"))
    return values


def _per_word(n_candidates: int) -> tuple[int, int]:
    """Bits per candidate number, and numbers per 64-bit word."""
    width = n_candidates.bit_length()
    return width, 64 // width


def _pack(numbers: Ints, lengths: Ints, n_candidates: int) -> Words:
    """Each line's candidate numbers, a few to a 64-bit word in fixed-width bits, line by line.

    A number is never 0, so two lines with the same count of words have the same words exactly
    when they rank the same candidates in the same order.
    """
    if not numbers.size:
        return np.zeros(0, dtype=np.uint64)
    width, per_word = _per_word(n_candidates)
    place = np.arange(int(lengths.max()), dtype=np.int64) % per_word
    starts = np.cumsum(lengths) - lengths
    position = np.arange(numbers.size, dtype=np.int64) - np.repeat(starts, lengths)
    shift = (place * width).astype(np.uint64)[position]
    packed = np.left_shift(numbers.view(np.uint64), shift)
    return np.bitwise_or.reduceat(packed, np.flatnonzero((place == 0)[position]))


def _group(lines: _Lines, n_candidates: int) -> RankingTable:
    """Identical rankings merged exactly, in the order each first appears; weights added.

    Lines with the same number of words are sorted on their words; equal neighbours are one
    ranking.
    """
    _, per_word = _per_word(n_candidates)
    lengths = lines.lengths
    n_words = (lengths + per_word - 1) // per_word
    first_word = np.cumsum(n_words) - n_words
    firsts: list[Ints] = []
    totals: list[Ints] = []
    for k in np.unique(n_words).tolist():
        rows = np.flatnonzero(n_words == k)
        keys = lines.words[first_word[rows][:, None] + np.arange(k)]
        if k == 0:
            order = np.arange(rows.size)
        elif k == 1:
            order = np.argsort(keys[:, 0])
        else:
            order = np.lexsort(keys.T[::-1])
        ordered = keys[order]
        new = np.ones(rows.size, dtype=np.bool_)
        new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
        heads = np.flatnonzero(new)
        firsts.append(np.minimum.reduceat(rows[order], heads))  # the earliest line of each
        totals.append(np.add.reduceat(lines.weights[rows[order]], heads))
    first = np.concatenate(firsts)
    order = np.argsort(first)
    first = first[order]
    keep = np.zeros(lengths.size, dtype=np.bool_)
    keep[first] = True
    kept = lines.numbers[np.repeat(keep, lengths)].astype(np.int32) - 1
    return RankingTable(kept, lengths[first], np.concatenate(totals)[order])


def _any_repeat(numbers: Ints, lengths: Ints, n_candidates: int) -> bool:
    """True if a line names a candidate twice (``numbers`` 1 to N, lines end to end)."""
    named = lengths > 0
    if not named.any():
        return False
    marks = numbers - 1
    if n_candidates > _BIT_SETS_UP_TO:
        row = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        return bool(np.unique(row * n_candidates + marks).size != marks.size)
    # A bit per candidate, OR-ed along each line: fewer bits set than marks is a repeat.
    starts = (np.cumsum(lengths) - lengths)[named]
    bit = np.left_shift(np.uint64(1), (marks & 63).astype(np.uint64))
    word = marks >> 6
    seen = np.zeros(starts.size, dtype=np.int64)
    for w in range((n_candidates + 63) // 64):
        in_word = np.where(word == w, bit, np.uint64(0))
        seen += np.bitwise_count(np.bitwise_or.reduceat(in_word, starts))
    return bool(np.any(seen != lengths[named]))
