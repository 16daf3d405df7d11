"""The running state of an ERS97 count and its stages; the rules are cited in ``rules.py``."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from governance.counting.constraints import ConstraintGuard, constraint_notes
from governance.counting.ers97.exclusion import choose_exclusion, deferral_clause
from governance.counting.ers97.papers import UNITY, BoolArray, IntArray, PaperStore, nonzero_items
from governance.counting.ers97.sheet import CONTINUING, ELECTED, EXCLUDED, StageTables
from governance.counting.ers97.ties import (
    VoteHistory,
    most_first_without_lot,
    pick_most,
)
from governance.counting.model import CountSheet, Decision, Election, Lot, Stage


def quota_for(valid_hundredths: int, seats: int) -> int:
    """ERS97 5.1.6: to two decimals, remainder dropped and 0.01 added unless exact (hundredths)."""
    return -(-valid_hundredths // (seats + 1))


def hundredths(value: int) -> str:
    return f"{value // UNITY}.{value % UNITY:02d}"


class Ers97Count:
    """One count: candidates' votes and status, the quota, and the count sheet being written."""

    def __init__(
        self,
        election: Election,
        lot: Lot,
        store: PaperStore,
        sheet: CountSheet,
        guard: ConstraintGuard | None,
    ) -> None:
        self.names = election.candidates
        self.standing = election.standing
        self.seats = election.seats
        self.lot = lot
        self.store = store
        self.sheet = sheet
        self.guard = guard
        self.status = np.full(len(self.names), CONTINUING, dtype=np.int8)
        self.alive: BoolArray = self.status == CONTINUING  # kept in step by ``set_status``
        self.set_status(list(election.withdrawn), EXCLUDED)
        self.votes: IntArray = np.zeros(len(self.names), dtype=np.int64)
        self.valid = store.valid_papers * UNITY
        self.quota = quota_for(self.valid, self.seats)
        self.nt_votes = 0
        self.nt_papers = 0
        self.pending: list[int] = []  # deemed elected, surplus not yet transferred
        self.barred: dict[int, str] = {}  # excluded by a constraint, papers not yet moved
        self.history = VoteHistory()
        self.stage = 0
        self.batch = 0
        self.notes: list[str] = []
        self.just_barred: list[int] = []  # excluded by a constraint at the stage being written
        self.tables = StageTables(self.standing)

    # -- status -------------------------------------------------------------------------------

    def set_status(self, candidates: int | list[int], status: int) -> None:
        """The one way a status changes, so that ``alive`` (who is continuing) stays in step."""
        self.status[candidates] = status
        self.alive = self.status == CONTINUING

    @property
    def continuing(self) -> list[int]:
        continuing: list[int] = self.alive.nonzero()[0].tolist()
        return continuing

    @property
    def places(self) -> int:
        return self.seats - len(self.sheet.elected)

    @property
    def fillable(self) -> int:
        """Places the continuing candidates can still fill: the ``places`` a guard works to."""
        return min(self.places, int(np.count_nonzero(self.alive)))

    def surplus(self, candidate: int) -> int:
        return int(self.votes[candidate]) - self.quota

    def active_vote(self) -> int:
        """ERS97 5.6.1, 6.20: valid vote less non-transferable and the elected's quotas."""
        kept = int(np.minimum(self.votes[self.sheet.elected], self.quota).sum())
        return self.valid - self.nt_votes - kept

    def decide(self, candidate: int, outcome: str, reason: str) -> None:
        self.sheet.decisions.append(Decision(self.stage, candidate, outcome, reason))

    def name(self, candidate: int) -> str:
        return self.names[candidate]

    # -- the count ----------------------------------------------------------------------------

    def run(self) -> None:
        self.first_stage()
        while self.places > 0:
            if self.guard is not None and self.apply_constraints(self.guard):
                continue
            continuing = self.continuing
            if not continuing:
                break
            if len(continuing) <= self.places:
                self.elect_remaining(continuing, {})
                break
            surplus = self.next_surplus()
            if surplus is not None:
                self.transfer_surplus(surplus)
                continue
            group, reason = choose_exclusion(self, continuing)
            if len(continuing) - len(group) == self.places:
                rest = [c for c in continuing if c not in group]
                self.elect_remaining(rest, dict.fromkeys(group, reason))
                break
            self.exclude(group, dict.fromkeys(group, reason))
        self.formally_exclude()

    def first_stage(self) -> None:
        """ERS97 5.1: first preferences, the quota (5.1.6) and who is deemed elected (5.1.7)."""
        self.stage = 1
        self.votes = self.store.first_preference_votes()
        self.history.record(self.votes)
        notes = [f"Quota {hundredths(self.quota)} (5.1.6)"]
        elected = self.deem_elected("5.1.7", notes)
        self.record("first", "First preferences", {}, elected, notes)

    def deem_elected(self, clause: str, notes: list[str]) -> list[int]:
        """ERS97 5.1.7 / 5.3.13 / 5.4.9 with 5.6.2; a barred candidate is excluded instead."""
        elected: list[int] = []
        while self.places > 0:
            votes = self.votes * self.alive  # continuing candidates' votes, 0 for the others
            top = int(votes[votes.argmax()])
            if top <= 0:  # never elected on no votes
                break
            if top < self.quota and top * (self.places + 1) < self.active_vote():
                break
            tied: list[int] = (votes == top).nonzero()[0].tolist()
            contested = len(tied) > self.places
            if contested:
                tied, held = most_first_without_lot(tied, self.places, self.history)
                notes.append(self.contest_note(tied, held))
            else:
                tied = [c for group in self.history.ascending(tied)[::-1] for c in group]
            for candidate in tied:
                if self.elect_if_allowed(candidate, top, clause, notes):
                    elected.append(candidate)
            if contested:
                break
        return elected

    def contest_note(self, chosen: list[int], held: list[int]) -> str:
        """ERS97 5.6.2: equal votes for the last places."""
        if held:
            names = ", ".join(self.name(c) for c in held)
            return f"{names} equal at every point for the last place: none deemed elected (5.6.2)"
        names = ", ".join(self.name(c) for c in chosen)
        return f"Equal votes for the last places: {names} by the forward rule (5.6.2)"

    def elect_if_allowed(self, candidate: int, vote: int, clause: str, notes: list[str]) -> bool:
        if self.guard is not None:
            reason = self.guard.barred(
                candidate, self.continuing, self.sheet.elected, self.fillable
            )
            if reason is not None:
                self.bar(candidate, reason, notes)
                return False
        which = "a" if vote >= self.quota else "b"
        basis = "the quota" if which == "a" else "the total active vote / (places unfilled + 1)"
        self.elect(candidate, f"reached {basis} ({clause}{which})")
        return True

    def elect(self, candidate: int, reason: str) -> None:
        self.set_status(candidate, ELECTED)
        self.sheet.elected.append(candidate)
        if self.surplus(candidate) > 0:
            self.pending.append(candidate)
        self.decide(candidate, "elected", reason)

    def bar(self, candidate: int, reason: str, notes: list[str]) -> None:
        self.set_status(candidate, EXCLUDED)
        self.barred[candidate] = reason
        self.just_barred.append(candidate)
        self.decide(candidate, "excluded", f"constraint: {reason}")
        notes.append(f"{self.name(candidate)} excluded instead of elected: {reason}")

    def apply_constraints(self, guard: ConstraintGuard) -> bool:
        """Our extension (``constraints/``), before each stage: forced in, barred out."""
        top = guard.top_of_stage(self.continuing, self.sheet.elected, self.fillable)
        if top.forced:
            self.stage += 1
            forced = top.forced_in_order(self.votes)
            for candidate, why in forced.items():
                self.elect(candidate, f"constraint: {why}")
            elected = constraint_notes(self.names, forced, "elected by constraint")
            self.record("election", "Elected to meet the category minimums", {}, [*forced], elected)
            return True
        barred = dict(self.barred)  # barred while being deemed elected: decisions already made
        self.barred = {}
        self.notes.extend(constraint_notes(self.names, top.barred, "excluded"))
        if not barred and not top.barred:
            return False
        reasons = {c: f"constraint: {why}" for c, why in top.barred.items()}
        self.exclude(sorted({*barred, *top.barred}), reasons)
        return True

    # -- surpluses (5.2.2, 5.2.3, 5.3) --------------------------------------------------------

    def next_surplus(self) -> int | None:
        if not self.pending:
            return None
        total = sum(self.surplus(c) for c in self.pending)
        clause = self.deferral(total)
        if clause is not None:
            self.notes.append(f"Surpluses totalling {hundredths(total)} deferred (5.2.2{clause})")
            return None
        largest = max(self.surplus(c) for c in self.pending)
        tied = [c for c in self.pending if self.surplus(c) == largest]
        if len(tied) == 1:
            return tied[0]
        chosen, drawn = pick_most(
            tied, 1, self.history, self.lot, stage=self.stage + 1, purpose="equal surpluses"
        )
        how = "by lot" if drawn else "by the forward rule"
        self.notes.append(f"Equal surpluses: {self.name(chosen[0])} first, {how} (5.2.3)")
        return chosen[0]

    def deferral(self, total: int) -> str | None:
        if self.guard is not None and self.guard.protected(
            self.continuing, self.sheet.elected, self.fillable
        ):
            return None
        ascending: list[int] = np.sort(self.votes[self.alive]).tolist()
        return deferral_clause(ascending, self.places, total)

    def transfer_surplus(self, candidate: int) -> None:
        """ERS97 5.3: the selected papers move at the transfer value; the difference is lost."""
        self.stage += 1
        self.pending.remove(candidate)
        store = self.store
        rows = store.last_batch(candidate)
        surplus = self.surplus(candidate)
        moves = store.next_preferences(rows, self.alive)
        moving = moves.transferable
        papers = store.papers(rows[moving])
        notes = [f"{store.papers(rows)} papers examined (5.3.1-5.3.2)"]
        if store.worth(rows[moving]) > surplus:
            value = np.full(rows.size, surplus // papers, dtype=np.int64)
            notes.append(
                f"Transfer value {hundredths(surplus)} / {papers} = "
                f"{hundredths(surplus // papers)} (5.3.7)"
            )
        else:
            value = store.value[rows].copy()
            notes.append(f"{papers} transferable papers move at their present value (5.3.7)")
        credit = store.tally(rows[moving], moves.target[moving], value[moving])
        difference = surplus - int(credit.sum())
        self.votes += credit
        self.votes[candidate] = self.quota
        self.nt_votes += difference
        self.nt_papers += store.papers(rows[~moving])
        self.batch += 1
        store.move(moves, value, self.batch)
        notes.append(f"Non-transferable difference {hundredths(difference)} (5.3.9)")
        self.history.record(self.votes)
        transfers = self.tables.transfers(nonzero_items(credit))
        transfers[candidate] = Fraction(-surplus, UNITY)
        elected = self.deem_elected("5.3.13", notes)
        self.record("surplus", f"Surplus of {self.name(candidate)}", transfers, elected, notes)

    # -- exclusions (5.4; whom 5.2.5 chooses is in exclusion.py) ------------------------------

    def exclude(self, group: list[int], reasons: dict[int, str]) -> None:
        """ERS97 5.4: papers in batches of descending value, each batch a sub-stage.

        ``reasons`` holds the exclusion decisions made now; candidates barred earlier by a
        constraint already have theirs.
        """
        self.stage += 1
        for candidate, reason in reasons.items():
            self.set_status(candidate, EXCLUDED)
            self.decide(candidate, "excluded", reason)
        batches = self.store.by_value(self.store.rows_of(group))
        names = ", ".join(self.name(c) for c in group)
        if not batches:
            self.record("exclusion", f"Exclusion of {names}", {}, [], [], group, [*reasons])
            return
        for number, (value, rows) in enumerate(batches, start=1):
            notes, elected, transfers = self.transfer_batch(rows, value)
            description = (
                f"Exclusion of {names}: batch {number} of {len(batches)}, "
                f"papers at {hundredths(value)}"
            )
            newly = [*reasons] if number == 1 else []
            self.record("exclusion", description, transfers, elected, notes, group, newly)
            if self.places == 0:
                break

    def transfer_batch(
        self, rows: IntArray, value: int
    ) -> tuple[list[str], list[int], dict[int, Fraction]]:
        store = self.store
        self.batch += 1
        change, lost = store.transfer(rows, self.alive, value, self.batch)
        for candidate, amount in change.items():
            self.votes[candidate] += amount
        self.nt_papers += lost
        self.nt_votes += lost * value
        notes: list[str] = []
        if lost and not self.sheet.elected:
            self.quota = quota_for(self.valid - self.nt_votes, self.seats)
            notes.append(f"Quota reduced to {hundredths(self.quota)} (5.4.8)")
        self.history.record(self.votes)
        elected = self.deem_elected("5.4.9", notes)
        return notes, elected, self.tables.transfers(change)

    # -- the end (5.5) ------------------------------------------------------------------------

    def elect_remaining(self, remaining: list[int], proposed: dict[int, str]) -> None:
        """ERS97 5.5.1: the continuing candidates are as many as the places left.

        Recorded as a stage of its own, without transfers. ``proposed`` are the candidates whose
        exclusion (5.2.5, with why they were chosen) left ``remaining`` to fill the places: they
        are excluded at this stage, their papers not moved, and the reason says both clauses.
        """
        self.stage += 1
        order = [c for group in self.history.ascending(remaining)[::-1] for c in group]
        order.sort(key=lambda c: -int(self.votes[c]))
        for candidate in order:
            self.set_status(candidate, ELECTED)
            self.sheet.elected.append(candidate)
            self.decide(candidate, "elected", "continuing candidates fill the places (5.5.1)")
        notes = []
        if proposed:
            names = ", ".join(self.name(c) for c in proposed)
            notes.append(f"Excluding {names} would leave as many continuing as places (5.5.1)")
        description = "Continuing candidates fill the places left"
        excluded = sorted(proposed)
        self.record("election", description, {}, order, notes, excluded=excluded)
        # Their status changes after the stage is written, so it still shows their votes.
        self.set_status(excluded, EXCLUDED)
        for candidate in excluded:
            why = f"{proposed[candidate]}; the rest then fill the places and are elected (5.5.1)"
            self.decide(candidate, "excluded", why)

    def formally_exclude(self) -> None:
        """ERS97 5.5.2: with every place filled the rest are formally excluded."""
        rest = self.continuing
        if not rest:
            return
        for candidate in rest:
            self.set_status(candidate, EXCLUDED)
            self.decide(candidate, "excluded", "formally excluded: all places filled (5.5.2)")
        last = self.sheet.stages[-1]
        last.excluded.extend(rest)
        last.notes.append(
            "Formally excluded, all places filled (5.5.2): " + ", ".join(self.name(c) for c in rest)
        )

    # -- the count sheet ----------------------------------------------------------------------

    def record(
        self,
        action: str,
        description: str,
        transfers: dict[int, Fraction],
        elected: list[int],
        notes: list[str],
        moving: Sequence[int] = (),
        excluded: Sequence[int] = (),
    ) -> None:
        """Write a stage; ``moving`` are candidates being excluded, shown until their papers go."""
        stage = Stage(
            number=self.stage,
            action=action,
            description=description,
            votes=self.tables.votes(self.votes, self.status, moving),
            transfers=transfers,
            non_transferable_papers=self.nt_papers,
            non_transferable_votes=self.tables.fraction[self.nt_votes],
            elected=list(elected),
            excluded=[*excluded, *self.just_barred],
            quota=self.tables.fraction[self.quota],
            notes=[*self.notes, *notes],
        )
        self.notes = []
        self.just_barred = []
        self.sheet.stages.append(stage)
