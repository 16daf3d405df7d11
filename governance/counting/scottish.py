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

Category constraints (``constraints=``) are our extension, not the Order's; the method is in
``constraints/`` and ``docs/constraints.md``. Infeasible limits are refused before r.45 (by
``methods.count``). At the top of every stage, protected candidates exactly filling the places left
are elected (a stage of its own), else every candidate who could no longer be elected is excluded
(one exclusion stage, papers moving at their value as under r.50(4)); a candidate reaching the
quota whose election the limits bar is excluded instead of deemed elected (r.47), and r.50's lowest
candidate is the lowest of those not protected. Equal votes on reaching the quota are then ordered
as r.49(2),(3) orders equal surpluses, since the order can decide who is barred.

Arithmetic: votes are integers in units of 10^-5 (the five places of r.48(3)), held in NumPy
int64 arrays over the distinct rankings, so a million papers count in well under a second; values
never pass through binary floating point. The count sheet reports exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from governance.counting.constraints import (
    ConstraintGuard,
    Constraints,
    constraint_notes,
    quota_order,
)
from governance.counting.model import (
    MAX_PAPERS,
    CountingError,
    CountSheet,
    Decision,
    Election,
    Lot,
    RankingTable,
    Stage,
    look_back,
)

SCALE = 100_000  # r.48(3): five decimal places
METHOD = "stv-scottish"
# Per-paper values reach SCALE and candidates' surpluses papers x SCALE: their product (r.48(3)'s
# A) stays inside int64 up to model.MAX_PAPERS papers, the limit every count shares (a test
# checks it).

IntArray = npt.NDArray[np.int64]


def count(election: Election, lot: Lot, *, constraints: Constraints | None = None) -> CountSheet:
    """Count ``election`` under SSI 2007/42 Sch. 1 r.45-52, drawing any lots from ``lot``.

    ``constraints`` adds category limits (our extension, ``constraints/``), already checked
    feasible (``methods.count`` refuses others before r.45).
    """
    guard = None if constraints is None else ConstraintGuard(constraints)
    papers = _Papers.build(election)
    sheet = CountSheet(
        method=METHOD,
        title=election.title,
        candidates=election.candidates,
        seats=election.seats,
        valid_votes=Fraction(papers.total),
        invalid_papers=papers.submitted - papers.total,
        quota=Fraction(papers.total // (election.seats + 1) + 1),  # r.46
        decimals=5,
        seed=lot.seed,
        withdrawn=tuple(sorted(election.withdrawn)),
    )
    _Count(election, papers, sheet, lot, guard).run()
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
    submitted: int  # every paper, valid or not

    @classmethod
    def build(cls, election: Election) -> _Papers:
        n_candidates = len(election.candidates)
        table = RankingTable.of(election.ballots)
        # r.45: a paper with no preference for a standing candidate is not valid; identical
        # rankings need not be merged: they move together, at the same values, to the same places.
        valid = table.valid(n_candidates, election.withdrawn)
        lengths, copies = valid.lengths, valid.counts
        ranks = valid.padded(n_candidates)
        total = int(copies.sum())
        if total > MAX_PAPERS:
            raise CountingError(f"more than {MAX_PAPERS} papers: too many to count exactly here")
        values = np.full(lengths.size, SCALE, dtype=np.int64)  # r.48(4)(b)(i): value one
        pos = np.zeros(lengths.size, dtype=np.int64)
        submitted = int(table.counts.sum())
        return cls(ranks, copies, values, pos, total, n_candidates, submitted)


@dataclass(slots=True)
class _Count:
    election: Election
    papers: _Papers
    sheet: CountSheet
    lot: Lot
    guard: ConstraintGuard | None = None
    votes: IntArray = field(init=False)
    continuing: npt.NDArray[np.bool_] = field(init=False)
    holder: IntArray = field(init=False)
    quota: int = field(init=False)
    history: list[IntArray] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # deemed elected, surplus not yet moved
    barred: list[int] = field(default_factory=list)  # excluded by a constraint, papers not moved
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
            if self.guard is not None and self.seats_left > 0 and self._constrain(self.guard):
                continue
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
        for c in self._quota_order(reached):
            if self.seats_left == 0:
                return
            reason = None if self.guard is None else self.guard.barred(c, *self._guard_state())
            if reason is not None:
                self._bar(c, reason)
                continue
            self._elect(c, "reached the quota (r.47)")
            self.pending.append(c)

    def _quota_order(self, reached: list[int]) -> list[int]:
        """r.47 lists those deemed elected at one stage by votes, highest first.

        With category limits the order among equal votes can decide who is barred, so it is
        settled as r.49(2),(3) settle equal surpluses: look back, then lot.
        """
        if self.guard is None:
            return sorted(reached, key=lambda c: -int(self.votes[c]))
        return quota_order(reached, self.votes, self._first_at_the_quota)

    def _first_at_the_quota(self, tied: list[int]) -> int:
        return self._break_tie(tied, highest=True, purpose="equal votes at the quota")

    def _guard_state(self) -> tuple[list[int], list[int], int]:
        """Continuing, elected, and the places that can still be filled, as the guard takes them."""
        continuing = self._continuing()
        return continuing, self.sheet.elected, min(self.seats_left, len(continuing))

    def _bar(self, candidate: int, reason: str) -> None:
        """Our extension: excluded instead of deemed elected; the papers move at the next stage."""
        self.continuing[candidate] = False
        self.barred.append(candidate)
        stage = self.sheet.stages[-1]
        stage.excluded.append(candidate)
        name = self.election.candidates[candidate]
        stage.notes.append(f"{name} excluded instead of elected: {reason}")
        self.sheet.decisions.append(
            Decision(self.stage_number, candidate, "excluded", f"constraint: {reason}")
        )

    def _constrain(self, guard: ConstraintGuard) -> bool:
        """Our extension, at the top of a stage: forced in, else barred out. True if a stage ran."""
        top = guard.top_of_stage(*self._guard_state())
        names = self.election.candidates
        if top.forced:
            forced = top.forced_in_order(self.votes)
            self.notes.extend(constraint_notes(names, forced, "elected by constraint"))
            self._record("election", "Elected to meet the category minimums", self.votes, [])
            for c, why in forced.items():
                self._elect(c, f"constraint: {why}")
            return True
        if not top.barred and not self.barred:
            return False
        self.notes.extend(constraint_notes(names, top.barred, "excluded"))
        group = [*self.barred, *top.barred]
        self.barred = []
        listed = ", ".join(names[c] for c in group)
        self._exclude(
            group,
            {c: f"constraint: {reason}" for c, reason in top.barred.items()},
            f"Exclusion of {listed} (category limits)",
        )
        return True

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
        elif continuing:
            # Shown as ERS97 (5.5.2) and Meek (C.2) show those left over: excluded at the end.
            last = self.sheet.stages[-1]
            last.excluded.extend(continuing)
            names = ", ".join(self.election.candidates[c] for c in continuing)
            last.notes.append(f"Not elected, every seat filled: {names}")
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
        """r.50, r.51: exclude the lowest continuing candidate; papers move at their value.

        With category limits, the lowest of those the limits do not protect.
        """
        eligible = self._continuing()
        reason = "fewest votes (r.50(1))"
        if self.guard is not None:
            eligible, protected = self.guard.excludable(*self._guard_state())
            self.notes.extend(constraint_notes(self.election.candidates, protected))
            if protected:
                reason = "fewest votes of those not protected by a constraint (r.50(1))"
        lowest = min(int(self.votes[c]) for c in eligible)
        tied = [c for c in eligible if self.votes[c] == lowest]
        excluded = self._break_tie(tied, highest=False, purpose="equal lowest (r.51(2))")
        name = self.election.candidates[excluded]
        self._exclude([excluded], {excluded: reason}, f"Exclusion of {name} (r.50)")

    def _exclude(self, group: list[int], reasons: dict[int, str], description: str) -> None:
        """Exclude ``group`` in one stage: every paper they hold moves at its value (r.50(4))."""
        self.continuing[group] = False
        if len(group) == 1:
            rows = np.flatnonzero(self.holder == group[0])
        else:
            rows = np.flatnonzero(np.isin(self.holder, group))
        before = self.votes.copy()
        moved = self._move(rows, self.papers.values[rows])
        self.lost += int(self.votes[group].sum()) - moved
        self.votes[group] = 0
        for candidate, reason in reasons.items():
            self.sheet.decisions.append(
                Decision(self.stage_number + 1, candidate, "excluded", reason)
            )
        self._record("exclusion", description, before, list(reasons))

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
        chosen, note = look_back(
            tied,
            self.history,
            self.lot,
            highest=highest,
            stage=self.stage_number + 1,
            purpose=purpose,
            names=self.election.candidates,
            lot_rule=" (r.49(3)/r.51(2)(b))",
        )
        self.notes.append(note)
        return chosen

    def _record(self, action: str, description: str, before: IntArray, excluded: list[int]) -> None:
        shown = set(self._continuing()) | set(self.sheet.elected) | set(self.barred)
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
