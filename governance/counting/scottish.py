"""Scottish STV: the Scottish Local Government Elections Order 2007 (SSI 2007/42), Sch. 1 r.45-52.

Clause by clause, as applied here:

- **r.45 First stage.** Valid papers are sorted by first preference and each candidate is credited
  one vote per paper. A paper with no preference for a standing candidate (a blank paper, or one
  naming only withdrawn candidates) is not a valid paper: it is reported as invalid.
- **r.46 Quota.** floor(valid papers / (seats + 1)) + 1, an integer fixed for the whole count.
- **r.47 Return.** A candidate whose votes equal or exceed the quota at any stage is deemed
  elected (several at one stage are listed by votes, highest first).
- **r.48 Surplus.** All the papers the candidate holds are sorted by next available preference
  for a *continuing* candidate (art. 2: neither deemed elected nor excluded) and each is moved
  with transfer value (surplus x value of the paper when received) / candidate's total votes,
  calculated to five decimal places, any remainder ignored (48(3)); a first-preference paper has
  value one (48(4)). Papers with no such preference form the non-transferable parcel; the part
  of the surplus they and the truncation leave behind is shown as non-transferable votes. The
  candidate keeps the quota. A surplus exists only when the votes *exceed* the quota.
- **r.49 Order of surpluses.** One surplus per stage, the largest first (49(1)); equal surpluses
  go by the higher votes at the end of the most recent preceding stage at which the candidates
  were unequal (49(2)), and if equal at every stage by lot (49(3)).
- **r.50 Exclusion.** When no surplus is left to transfer, the continuing candidate with the
  fewest votes is excluded and each of their papers moves at the value it had when received
  (one for a first preference, 50(4)). One exclusion per stage.
- **r.51 Equal lowest.** The candidate lowest at the end of the most recent preceding stage at
  which the tied candidates were unequal is excluded (51(2)(a)); equal at every stage, by lot
  (51(2)(b)). With three or more tied, a stage that separates some of them narrows the tie to
  those still lowest there, and the look-back continues with them.
- **r.52 Last vacancies.** When the continuing candidates are no more than the vacancies left,
  they are deemed elected and no further transfer is made; the count also ends once every seat
  is filled.

Arithmetic: votes are integers in units of 10^-5 (the five places of r.48(3)), held in NumPy
int64 arrays over the distinct rankings, so a million papers count in well under a second; values
never pass through binary floating point. The count sheet reports exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain

import numpy as np
import numpy.typing as npt

from governance.counting.model import (
    BallotGroup,
    CountingError,
    CountSheet,
    Decision,
    Election,
    Lot,
    Stage,
)

SCALE = 100_000  # r.48(3): five decimal places
METHOD = "stv-scottish"
# Per-paper values reach SCALE and candidates' surpluses papers x SCALE: their product (r.48(3)'s
# A) must stay inside int64.
MAX_PAPERS = (2**63 - 1) // (SCALE * SCALE)

IntArray = npt.NDArray[np.int64]


def count(election: Election, lot: Lot) -> CountSheet:
    """Count ``election`` under SSI 2007/42 Sch. 1 r.45-52, drawing any lots from ``lot``."""
    papers = _Papers.build(election)
    sheet = CountSheet(
        method=METHOD,
        title=election.title,
        candidates=election.candidates,
        seats=election.seats,
        valid_votes=Fraction(papers.total),
        invalid_papers=sum(g.count for g in election.ballots) - papers.total,
        quota=Fraction(papers.total // (election.seats + 1) + 1),  # r.46
        decimals=5,
        seed=lot.seed,
        withdrawn=tuple(sorted(election.withdrawn)),
    )
    _Count(election, papers, sheet, lot).run()
    sheet.draws = list(lot.draws)
    return sheet


@dataclass(slots=True)
class _Papers:
    """Distinct rankings as a padded matrix; ``ranks[i, pos[i]]`` is the paper's current holder."""

    ranks: npt.NDArray[np.integer]
    copies: IntArray  # papers with this ranking
    values: IntArray  # value of each paper, in units of 10^-5
    pos: IntArray
    total: int
    end: int  # the padding mark: no further preference

    @classmethod
    def build(cls, election: Election) -> _Papers:
        n_candidates = len(election.candidates)
        groups = _valid_groups(election)
        rankings = [g.ranking for g in groups]
        copies = np.fromiter((g.count for g in groups), np.int64, len(groups))
        lengths = np.fromiter(map(len, rankings), np.int64, len(groups))
        width = int(lengths.max(initial=0)) + 1
        dtype = np.uint8 if n_candidates < 255 else np.int32
        flat = np.fromiter(chain.from_iterable(rankings), np.int64, int(lengths.sum()))
        if flat.size and (flat.min() < 0 or flat.max() >= n_candidates):
            raise CountingError("a ballot ranks a candidate number that is not on the paper")
        ranks = np.full((len(groups), width), n_candidates, dtype=dtype)
        ranks.ravel()[_cell_indices(lengths, width)] = flat
        total = int(copies.sum())
        if total > MAX_PAPERS:
            raise CountingError(f"more than {MAX_PAPERS} papers: too many to count exactly here")
        values = np.full(len(groups), SCALE, dtype=np.int64)  # r.48(4)(b)(i): value one
        pos = np.zeros(len(groups), dtype=np.int64)
        return cls(ranks, copies, values, pos, total, n_candidates)


def _cell_indices(lengths: IntArray, width: int) -> IntArray:
    """Where each preference goes in the flattened matrix: row i's marks fill its first cells.

    One running sum instead of repeating row and column numbers per mark: a step of one along
    a row, and at the start of row i a jump from the end of row i - 1 to ``i * width``.
    """
    steps = np.ones(int(lengths.sum()), dtype=np.int64)
    if steps.size == 0:
        return steps
    starts = np.cumsum(lengths)[:-1]
    steps[0] = 0
    steps[starts] = width - lengths[:-1] + 1
    return np.cumsum(steps)


def _valid_groups(election: Election) -> list[BallotGroup]:
    """r.45: the valid papers. Groups need not be merged: identical rankings move together."""
    if election.withdrawn:
        return election.valid_groups()
    return [g for g in election.ballots if g.ranking and g.count > 0]


@dataclass(slots=True)
class _Count:
    election: Election
    papers: _Papers
    sheet: CountSheet
    lot: Lot
    votes: IntArray = field(init=False)
    continuing: npt.NDArray[np.bool_] = field(init=False)
    holder: IntArray = field(init=False)
    quota: int = field(init=False)
    history: list[IntArray] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # deemed elected, surplus not yet moved
    lost: int = 0  # non-transferable votes so far, in units of 10^-5
    lost_papers: int = 0
    notes: list[str] = field(default_factory=list)  # for the stage being counted

    def __post_init__(self) -> None:
        n = len(self.election.candidates)
        self.quota = (self.papers.total // (self.election.seats + 1) + 1) * SCALE  # r.46
        self.continuing = np.zeros(n + 1, dtype=np.bool_)  # index n: no further preference
        self.continuing[self.election.standing] = True
        self.holder = self.papers.ranks[:, 0].astype(np.int64)
        self.votes = np.zeros(n, dtype=np.int64)
        # r.45: one vote per paper for the first preference.
        np.add.at(self.votes, self.holder, self.papers.copies * SCALE)

    @property
    def stage_number(self) -> int:
        return len(self.sheet.stages)

    @property
    def seats_left(self) -> int:
        return self.sheet.seats - len(self.sheet.elected)

    def run(self) -> None:
        self._record("first", "First preferences (r.45)", np.zeros_like(self.votes), [])
        while True:
            self._elect_quota_holders()
            if self._last_vacancies():
                return
            if any(self.votes[c] > self.quota for c in self.pending):
                self._transfer_surplus()
            else:
                self._exclude_lowest()

    def _continuing(self) -> list[int]:
        return [int(c) for c in np.flatnonzero(self.continuing[:-1])]

    def _elect_quota_holders(self) -> None:
        """r.47: every continuing candidate at or above the quota is deemed elected."""
        reached = [c for c in self._continuing() if self.votes[c] >= self.quota]
        for c in sorted(reached, key=lambda c: -int(self.votes[c])):
            if self.seats_left == 0:
                return
            self._elect(c, "reached the quota (r.47)")
            self.pending.append(c)

    def _elect(self, candidate: int, reason: str) -> None:
        self.continuing[candidate] = False
        self.sheet.elected.append(candidate)
        self.sheet.stages[-1].elected.append(candidate)
        self.sheet.decisions.append(Decision(self.stage_number, candidate, "elected", reason))

    def _last_vacancies(self) -> bool:
        """r.52: fill the last vacancies without further transfer, or stop when all are filled."""
        continuing = self._continuing()
        if self.seats_left > 0 and len(continuing) > self.seats_left:
            return False
        if self.seats_left > 0:
            for c in sorted(continuing, key=lambda c: -int(self.votes[c])):
                self._elect(c, "continuing candidates no more than vacancies left (r.52(1))")
        else:
            for c in continuing:
                self.sheet.decisions.append(
                    Decision(self.stage_number, c, "excluded", "not elected: every seat filled")
                )
        return True

    def _transfer_surplus(self) -> None:
        """r.48, r.49: move the largest surplus, all the candidate's papers, at reduced value."""
        surplus_of = {c: int(self.votes[c]) - self.quota for c in self.pending}
        largest = max(surplus_of.values())
        tied = [c for c in self.pending if surplus_of[c] == largest]
        source = self._break_tie(tied, highest=True, purpose="equal surpluses (r.49(2),(3))")
        self.pending.remove(source)
        total = int(self.votes[source])
        rows = np.flatnonzero(self.holder == source)
        # r.48(3): transfer value = surplus x value when received / total, 5 places, truncated.
        new_values = (largest * self.papers.values[rows]) // total
        before = self.votes.copy()
        moved = self._move(rows, new_values)
        self.votes[source] = self.quota
        self.lost += largest - moved
        self._record(
            "surplus",
            f"Surplus of {self.election.candidates[source]} transferred (r.48)",
            before,
            [],
        )

    def _exclude_lowest(self) -> None:
        """r.50, r.51: exclude the lowest continuing candidate; papers move at their value."""
        continuing = self._continuing()
        lowest = min(int(self.votes[c]) for c in continuing)
        tied = [c for c in continuing if self.votes[c] == lowest]
        excluded = self._break_tie(tied, highest=False, purpose="equal lowest (r.51(2))")
        self.continuing[excluded] = False
        rows = np.flatnonzero(self.holder == excluded)
        before = self.votes.copy()
        moved = self._move(rows, self.papers.values[rows])  # r.50(4)
        self.lost += int(self.votes[excluded]) - moved
        self.votes[excluded] = 0
        self.sheet.decisions.append(
            Decision(self.stage_number + 1, excluded, "excluded", "fewest votes (r.50(1))")
        )
        self._record(
            "exclusion",
            f"Exclusion of {self.election.candidates[excluded]} (r.50)",
            before,
            [excluded],
        )

    def _move(self, rows: IntArray, new_values: IntArray) -> int:
        """Move ``rows`` to their next continuing preference; return the votes that arrived."""
        papers = self.papers
        position, receiver = self._next_preferences(rows)
        papers.pos[rows] = position
        self.holder[rows] = receiver
        papers.values[rows] = new_values
        arriving = papers.copies[rows] * new_values
        transferable = receiver != papers.end
        np.add.at(self.votes, receiver[transferable], arriving[transferable])
        self.lost_papers += int(papers.copies[rows][~transferable].sum())
        return int(arriving[transferable].sum())

    def _next_preferences(self, rows: IntArray) -> tuple[IntArray, IntArray]:
        """Each row's next preference for a continuing candidate (r.48(1)(a), r.50(2)(a))."""
        ranks, end = self.papers.ranks, self.papers.end
        position = self.papers.pos[rows] + 1
        receiver = ranks[rows, position].astype(np.int64)
        passed_over = np.flatnonzero(~self.continuing[receiver] & (receiver != end))
        while passed_over.size:
            position[passed_over] += 1
            receiver[passed_over] = ranks[rows[passed_over], position[passed_over]]
            still = ~self.continuing[receiver[passed_over]] & (receiver[passed_over] != end)
            passed_over = passed_over[still]
        return position, receiver

    def _break_tie(self, tied: list[int], *, highest: bool, purpose: str) -> int:
        """r.49(2)/r.51(2)(a): look back stage by stage to where they differed; else lot."""
        if len(tied) == 1:
            return tied[0]
        remaining = list(tied)
        for votes in reversed(self.history):
            values = [int(votes[c]) for c in remaining]
            best = max(values) if highest else min(values)
            remaining = [c for c, v in zip(remaining, values, strict=True) if v == best]
            if len(remaining) == 1:
                self._note_tie(tied, remaining[0], purpose, "decided by an earlier stage")
                return remaining[0]
        chosen = self.lot.choose(remaining, stage=self.stage_number + 1, purpose=purpose)
        self._note_tie(
            tied, chosen, purpose, "equal at every stage: decided by lot (r.49(3)/r.51(2)(b))"
        )
        return chosen

    def _note_tie(self, tied: list[int], chosen: int, purpose: str, how: str) -> None:
        names = ", ".join(self.election.candidates[c] for c in sorted(tied))
        self.notes.append(
            f"Tie ({purpose}) between {names}; {how}: {self.election.candidates[chosen]}"
        )

    def _record(self, action: str, description: str, before: IntArray, excluded: list[int]) -> None:
        shown = set(self._continuing()) | set(self.sheet.elected)
        change = self.votes - before
        self.history.append(self.votes.copy())
        self.sheet.stages.append(
            Stage(
                number=self.stage_number + 1,
                action=action,
                description=description,
                votes={c: Fraction(int(self.votes[c]), SCALE) for c in sorted(shown)},
                transfers={int(c): Fraction(int(change[c]), SCALE) for c in np.flatnonzero(change)}
                if action != "first"
                else {},
                non_transferable_papers=self.lost_papers,
                non_transferable_votes=Fraction(self.lost, SCALE),
                excluded=excluded,
                notes=self.notes,
            )
        )
        self.notes = []
