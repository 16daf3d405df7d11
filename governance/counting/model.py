"""The shared vocabulary of every counting method: an election's ballots, the lot, the count sheet.

Pure standard library: this package is used from the command line and imported by the web app,
and must load neither SQLAlchemy nor Litestar.

Votes on the count sheet are exact :class:`fractions.Fraction` values whatever arithmetic the rule
uses internally (scaled integers for Scottish STV's 5 decimals, ERS97's 2 decimals, Meek's 9);
``CountSheet.decimals`` says how many places the rule works in, for display.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction


class CountingError(ValueError):
    """A problem with the input of a count that a person can correct (bad file, bad option)."""


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


@dataclass(frozen=True, slots=True)
class Election:
    """A contest's candidates and ballots, identical rankings already grouped.

    ``withdrawn`` candidates stand in the file but not in the count: methods pass over them as if
    they were not on the paper. Blank papers (empty rankings) are kept in ``ballots`` so that a
    count sheet can report them as invalid; ``valid_groups()`` leaves them out.
    """

    title: str
    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[BallotGroup, ...]
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


def candidate_names(sheet: CountSheet, indices: Iterable[int]) -> list[str]:
    return [sheet.candidates[i] for i in indices]


CategoryMap = Mapping[int, Mapping[str, str]]
"""Candidate index -> {dimension: value}, e.g. {3: {"region": "East Midlands"}}."""
