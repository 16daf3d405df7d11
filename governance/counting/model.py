"""The shared vocabulary of every counting method: an election's ballots, the lot, the count sheet.

Imports only the standard library: this package is used from the command line and imported by
the web app, and must load neither SQLAlchemy nor Litestar. A big ballot file's rankings stay in
NumPy arrays (:class:`RankingTable`), which the STV engines read directly; NumPy is loaded only
when a table is built, so the registry and the command line start without it.

Votes on the count sheet are exact :class:`fractions.Fraction` values whatever arithmetic the rule
uses internally (scaled integers for Scottish STV's 5 decimals, ERS97's 2 decimals, Meek's 9);
``CountSheet.decimals`` says how many places the rule works in, for display.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol, overload

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class CountingError(ValueError):
    """A problem with the input of a count that a person can correct (bad file, bad option)."""


# The most papers one count may hold: every engine's 64-bit sums stay exact up to it. The
# tightest is Scottish STV, which multiplies a paper's value (up to 10^5, r.48(3)'s five decimal
# places) by a surplus of up to papers x 10^5; Meek's (papers x 10^9) and ERS97's (papers x 100)
# sums have room to spare. Readers refuse more, so no count can overflow.
MAX_PAPERS = (2**63 - 1) // 10**10  # 922,337,203


@dataclass(frozen=True, slots=True)
class BallotGroup:
    """``count`` identical papers ranking candidates ``ranking`` (0-based indices, best first).

    ``levels`` is empty for a strict ranking. Only a file read with equal rankings allowed sets it:
    then it holds the candidates rank by rank (``((1,), (0, 2))`` for ``2 1=3``) and ``ranking``
    is the same candidates flattened in that order.
    """

    ranking: tuple[int, ...]
    count: int
    levels: tuple[tuple[int, ...], ...] = ()


class RankingTable(Sequence[BallotGroup]):
    """Distinct strict rankings held as arrays: the ballots of a big file, read without objects.

    Row ``i`` is the group of ``counts[i]`` papers whose ranking is the next ``lengths[i]``
    entries of ``marks`` (0-based candidates, best first; rows end to end). As a sequence it
    yields the same :class:`BallotGroup` values a tuple of groups would, made on demand, so any
    method can count it; the STV engines read the arrays instead (``RankingTable.of``). Iterate
    rather than index: ``table[i]`` adds up the lengths before row ``i``.
    """

    __slots__ = ("counts", "lengths", "marks")

    def __init__(
        self,
        marks: npt.NDArray[np.integer],
        lengths: npt.NDArray[np.int64],
        counts: npt.NDArray[np.int64],
    ) -> None:
        self.marks = marks
        self.lengths = lengths
        self.counts = counts

    @classmethod
    def of(cls, ballots: Sequence[BallotGroup]) -> RankingTable:
        """``ballots`` as a table (itself if it is one); ``levels`` are not carried over."""
        if isinstance(ballots, RankingTable):
            return ballots
        import numpy as np  # only for a count: importing this module must not load NumPy

        rankings = [g.ranking for g in ballots]
        lengths = np.fromiter(map(len, rankings), np.int64, len(rankings))
        try:
            marks = np.fromiter(chain.from_iterable(rankings), np.int64, int(lengths.sum()))
        except OverflowError as error:
            raise CountingError("a ballot names a candidate that does not exist") from error
        try:
            counts = np.fromiter((g.count for g in ballots), np.int64, len(rankings))
        except OverflowError as error:
            papers = max((g.count for g in ballots), key=abs)
            raise CountingError(
                f"a ballot group of {papers} papers is more than can be counted exactly"
            ) from error
        return cls(marks, lengths, counts)

    def valid(self, candidates: int, withdrawn: Iterable[int] = ()) -> RankingTable:
        """The valid papers: ``withdrawn`` candidates struck out of every ranking, then the
        papers with no preference left (and lines of no papers) dropped; rankings not merged.
        """
        import numpy as np

        marks, lengths, counts = self.marks, self.lengths, self.counts
        struck = self._struck(candidates, withdrawn)
        if struck.any():
            kept = ~struck[marks]
            row = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
            lengths = np.bincount(row[kept], minlength=lengths.size).astype(np.int64)
            marks = marks[kept]
        valid = (lengths > 0) & (counts > 0)
        if valid.all():
            return RankingTable(marks, lengths, counts)
        return RankingTable(marks[np.repeat(valid, lengths)], lengths[valid], counts[valid])

    def has_valid_paper(self, candidates: int, withdrawn: Iterable[int] = ()) -> bool:
        """Does any paper rank a candidate not ``withdrawn``? What ``valid`` would keep, asked
        without building the table (the engines build it once, later)."""
        import numpy as np

        standing_marks = ~self._struck(candidates, withdrawn)[self.marks]
        return bool((standing_marks & np.repeat(self.counts > 0, self.lengths)).any())

    def _struck(self, candidates: int, withdrawn: Iterable[int]) -> npt.NDArray[np.bool_]:
        """Which candidates are withdrawn, after refusing a mark outside ``0 .. candidates - 1``
        (no count may index past its tallies)."""
        import numpy as np

        marks = self.marks
        if marks.size and (marks.min() < 0 or marks.max() >= candidates):
            raise CountingError("a ballot ranks a candidate number that is not on the paper")
        struck = np.zeros(candidates, np.bool_)
        struck[list(withdrawn)] = True
        return struck

    def padded(self, end: int) -> npt.NDArray[np.integer]:
        """The rankings as a matrix, a row a ranking, each padded with ``end`` (at least once).

        Small (one byte a preference) when ``end`` fits: a million papers fit in memory.
        """
        import numpy as np

        width = int(self.lengths.max(initial=0)) + 1
        dtype = np.uint8 if end < 255 else np.int32
        ranks = np.full((self.lengths.size, width), end, dtype=dtype)
        ranks.ravel()[_cell_indices(self.lengths, width)] = self.marks
        return ranks

    def __len__(self) -> int:
        return len(self.counts)

    @overload
    def __getitem__(self, index: int) -> BallotGroup: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[BallotGroup, ...]: ...

    def __getitem__(self, index: int | slice) -> BallotGroup | tuple[BallotGroup, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        row = range(len(self))[index]
        start = int(self.lengths[:row].sum())
        ranking = tuple(self.marks[start : start + int(self.lengths[row])].tolist())
        return BallotGroup(ranking, int(self.counts[row]))

    def __iter__(self) -> Iterator[BallotGroup]:
        marks: list[int] = self.marks.tolist()
        at = 0
        for length, count in zip(self.lengths.tolist(), self.counts.tolist(), strict=True):
            yield BallotGroup(tuple(marks[at : at + length]), count)
            at += length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))  # equal to the tuple of the same groups, so hashed like it

    def __repr__(self) -> str:
        return f"RankingTable({len(self)} rankings, {int(self.counts.sum())} papers)"


def _cell_indices(lengths: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.integer]:
    """Where each preference goes in the flattened matrix: row i's marks fill its first cells.

    One running sum instead of repeating row and column numbers per mark: a step of one along
    a row, and at the start of row i a jump from the end of row i - 1 to ``i * width``. Held in
    32 bits when the matrix is small enough, to halve the memory a million papers need.
    """
    import numpy as np

    dtype: type[np.int32 | np.int64] = np.int32 if lengths.size * width < 2**31 else np.int64
    steps: npt.NDArray[np.integer] = np.ones(int(lengths.sum()), dtype=dtype)
    if steps.size == 0:
        return steps
    starts = np.cumsum(lengths)[:-1]
    steps[0] = 0
    steps[starts] = width - lengths[:-1] + 1
    return np.cumsum(steps, dtype=dtype)


@dataclass(frozen=True, slots=True)
class Election:
    """A contest's candidates and ballots, identical rankings already grouped.

    ``withdrawn`` candidates stand in the file but not in the count: methods pass over them as if
    they were not on the paper. Blank papers (empty rankings) are kept in ``ballots`` so that a
    count sheet can report them as invalid; ``valid_groups()`` leaves them out. ``ballots`` is a
    tuple of groups, or a :class:`RankingTable` when a big file was read.
    """

    title: str
    candidates: tuple[str, ...]
    seats: int
    ballots: Sequence[BallotGroup]
    withdrawn: frozenset[int] = frozenset()
    tie_order: tuple[int, ...] = ()  # a BLT ``[tie ...]`` line: candidates in tie-break order

    def valid_groups(self) -> list[BallotGroup]:
        """Ballots with withdrawn candidates struck out, blanks dropped, identical ones merged."""
        merged: dict[tuple[int, ...], int] = {}
        for group in self.ballots:
            ranking = tuple(c for c in group.ranking if c not in self.withdrawn)
            if ranking:
                merged[ranking] = merged.get(ranking, 0) + group.count
        return [BallotGroup(r, n) for r, n in merged.items()]

    @property
    def standing(self) -> list[int]:
        """Candidates who stand in the count (not withdrawn), in file order."""
        return [c for c in range(len(self.candidates)) if c not in self.withdrawn]


def group_ballots(rankings: Iterable[tuple[tuple[int, ...], int]]) -> tuple[BallotGroup, ...]:
    """Merge identical rankings, keeping first-seen order so counts are deterministic."""
    merged: dict[tuple[int, ...], int] = {}
    for ranking, count in rankings:
        merged[ranking] = merged.get(ranking, 0) + count
    return tuple(BallotGroup(r, n) for r, n in merged.items())


@dataclass(frozen=True, slots=True)
class Draw:
    """One drawing of lots: who was tied, who the lot chose, and why the lot was needed."""

    stage: int
    tied: tuple[int, ...]
    chosen: int
    purpose: str


class Lot:
    """Ties the rules leave unsettled are decided by lot from a seed, and every draw is recorded.

    Same seed, same sequence of draws (invariant 8: deterministic counts). The seed is recorded in
    the audit chain before a count runs, so anyone can re-run the count and get the same draws.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._random = random.Random(seed)  # noqa: S311 - a reproducible lot, not a secret
        self.draws: list[Draw] = []

    def choose(self, tied: Sequence[int], *, stage: int, purpose: str) -> int:
        """Pick one of ``tied`` (sorted first so the input order cannot change the outcome)."""
        ordered = tuple(sorted(tied))
        chosen = ordered[self._random.randrange(len(ordered))]
        self.draws.append(Draw(stage, ordered, chosen, purpose))
        return chosen


class StageVotes(Protocol):
    """A stage's votes by candidate: a mapping, a list or an engine's array of integers."""

    def __getitem__(self, candidate: int, /) -> Any: ...


def look_back(
    tied: Sequence[int],
    history: Sequence[StageVotes],
    lot: Lot,
    *,
    highest: bool,
    stage: int,
    purpose: str,
    names: Sequence[str],
    lot_rule: str = "",
) -> tuple[int, str]:
    """Settle a tie by the most recent stage at which the tied candidates' votes differed,
    narrowing to those still highest (or lowest) there and looking further back with them;
    equal at every stage, by ``lot``. Returns the one chosen and the note for the count sheet.

    Scottish STV r.49(2),(3) and r.51(2); our IRV settles its ties the same way.
    ``history`` holds each stage's votes, oldest first; ``lot_rule`` cites the lot's clause.
    """
    remaining = list(tied)
    how = ""
    for votes in reversed(history):
        values = [int(votes[c]) for c in remaining]
        best = max(values) if highest else min(values)
        remaining = [c for c, v in zip(remaining, values, strict=True) if v == best]
        if len(remaining) == 1:
            how = "decided by an earlier stage"
            break
    if len(remaining) > 1:
        remaining = [lot.choose(remaining, stage=stage, purpose=purpose)]
        how = f"equal at every stage: decided by lot{lot_rule}"
    chosen = remaining[0]
    between = ", ".join(names[c] for c in sorted(tied))
    return chosen, f"Tie ({purpose}) between {between}; {how}: {names[chosen]}"


@dataclass(slots=True)
class Stage:
    """One stage (or sub-stage) of a count, as a returning officer's count sheet shows it.

    ``votes`` is every continuing or elected candidate's total at the end of the stage;
    ``transfers`` what each received (negative for the candidate whose papers moved);
    ``non_transferable_votes`` is cumulative, so that for every stage
    ``sum(votes) + non_transferable_votes == valid votes`` exactly (for Meek, with ``kept``).
    """

    number: int
    action: str  # "first", "surplus", "exclusion", "iteration", "election"
    description: str
    votes: dict[int, Fraction]
    transfers: dict[int, Fraction] = field(default_factory=dict)
    non_transferable_papers: int = 0
    non_transferable_votes: Fraction = Fraction(0)
    elected: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    quota: Fraction | None = None  # where the rule lets the quota change from stage to stage
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Decision:
    """Why a candidate was elected or excluded (quota, last vacancies, lowest, constraint, …)."""

    stage: int
    candidate: int
    outcome: str  # "elected" or "excluded"
    reason: str


@dataclass(slots=True)
class CountSheet:
    """The full record of a count: everything a results page or a recount needs."""

    method: str
    title: str
    candidates: tuple[str, ...]
    seats: int
    valid_votes: Fraction
    invalid_papers: int
    quota: Fraction | None
    decimals: int | None  # places the rule computes in; None for exact fractions
    seed: int
    stages: list[Stage] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    elected: list[int] = field(default_factory=list)  # in the order elected
    draws: list[Draw] = field(default_factory=list)
    withdrawn: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def elected_names(self) -> list[str]:
        return [self.candidates[c] for c in self.elected]


class ScaledFractions(dict[int, Fraction]):
    """An engine's scaled integer (``value`` units of 1/``scale``) -> exact Fraction, each made
    once per count: a Fraction is immutable, so stages share them (zeros and unchanged votes
    repeat), and making one costs a gcd."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def __missing__(self, value: int) -> Fraction:
        fraction = self[value] = Fraction(value, self.scale)
        return fraction


CategoryMap = Mapping[int, Mapping[str, str]]
"""Candidate index -> {dimension: value}, e.g. {3: {"region": "East Midlands"}}."""
