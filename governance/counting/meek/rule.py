"""Meek STV by the Proportional Representation Foundation's reference Meek rule, as Droop counts it.

Rule text: http://prfound.org/resources/reference/reference-meek-rule/ (quoted step by step in
Droop's ``rules/meek_prf.py``, whose ``meek-prf-o6-fixed-p9`` reference counts are our golden
tests). Clause by clause, and where this module applies each:

- **A. Initialise.** Every candidate is hopeful or withdrawn; a hopeful candidate's keep factor is
  1, a withdrawn one's 0; omega is 0.000001. Withdrawn candidates are struck out of the ballots,
  which is what a keep factor of 0 does: the whole weight goes on.
- **B.1 Test count complete.** Go to C when every seat is filled or when elected plus hopeful
  candidates are no more than the seats (``_MeekCount.run``).
- **B.2.a Distribute votes.** Each ballot starts with weight 1; each candidate in rank order gets
  w × kf, to 9 decimal places rounded up, and w is reduced by as much, until the ballot runs out
  or w is 0 (``ballots.BallotTree.distribute``).
- **B.2.b Update quota.** q = the sum of all votes / (seats + 1), truncated to 9 decimal places,
  plus 0.000000001 — recomputed every iteration, so it falls as ballots exhaust.
- **B.2.c Find winners.** Elect every hopeful candidate with v ≥ q. Candidates elected in the same
  iteration are elected together; the count sheet lists them in ballot order, as Droop does.
- **B.2.d Total surplus.** s = the sum of (v − q) over the elected, but not less than 0.
- **B.2.e Iteration finished?** After an election, back to B.1 (a new round). Otherwise stop
  iterating when s < omega, or (after the first iteration) when s is no smaller than the previous
  iteration's, and go to B.3.
- **B.2.f Update keep factors.** kf := kf × q (9 places, rounded up) / v (9 places, rounded up);
  iterate again from B.2.a.
- **B.3 Defeat low candidate.** Defeat the hopeful candidate with the lowest vote; every hopeful
  candidate whose vote is at most that vote plus s is tied with it (procedure T). Its keep factor
  becomes 0. The reference rule has no batch defeats: one candidate per round.
- **B.4 Continue** with the next round at B.1.
- **C.1 / C.2 Count complete.** If seats are unfilled, elect the remaining hopeful candidates;
  otherwise defeat them.
- **T. Ties.** The rule breaks a tie by a predetermined random order of the candidates. A BLT
  ``[tie ...]`` line (``Election.tie_order``) is such an order, fixed before the count; without
  one, the shared lot drawn from the recorded seed decides (``Lot.choose``), each draw written on
  the count sheet. Droop's reference counts use the order of the candidates in the file when there
  is no ``[tie]`` line; a lot that picks the first of the tied in that order reproduces them.

Category constraints (``constraints=``) are our extension, not the rule's; the method is in
``constraints/`` and ``docs/constraints.md``, "exclude" meaning defeat (keep factor 0, as B.3).
Infeasible limits are refused before A (by ``methods.count``). At the top of every round, before
B.2, protected candidates exactly filling the places left are elected, else every candidate who
could no longer be elected is defeated: either is a round of its own, shown with the votes for the
keep factors as they stand (one B.2.a distribution), and the count goes back to B.1. At B.2.c a
candidate whose election the limits bar is defeated instead of elected; when not all who reach the
quota can be elected together, they are taken highest vote first, equal votes in the order
procedure T gives (the ``[tie]`` order, else lot), since the order decides who is barred. B.3
defeats the lowest of those the limits do not protect. C needs nothing more: every decision keeps
the limits reachable with the places left, so the remaining hopeful candidates fit (C.1), or every
limit is already met (C.2).

Arithmetic is the rule's fixed point: every value is an integer number of 10^-9 units, never a
binary float. Every product the rule rounds is rounded before it is used again, so no product of
three scaled values is formed: in NumPy's 64-bit integers w × kf ≤ 10^9 × 10^9 (the limits that
keep every tally below 2^63 are in ``ballots``); keep-factor updates use Python integers.

The count sheet has one stage for the first preferences and one per round: the votes, quota and
total surplus when the round's iterations stopped (stage ``notes`` give the number of iterations
and every elected candidate's keep factor), who was elected or defeated; then, if hopeful
candidates remain, one stage for C, showing the final result: only elected candidates hold votes.
Accounting: each ballot's weight is either kept by a candidate or left on the ballot when its
preferences run out (Droop's "residual"). Amounts kept are subtracted from the ballot's weight
exactly, so nothing is lost to rounding, and ``non_transferable_votes`` is that residual:
``sum(votes) + non_transferable_votes == valid votes`` exactly at every stage. (At the C stage
the residual also holds the votes of candidates not elected, which the complete count leaves
where they are.)
``non_transferable_papers`` counts the papers whose preferences ran out with weight left (no
hopeful candidate left on them) at the stage's distribution.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from governance.counting.constraints import ConstraintGuard, Constraints, constraint_notes
from governance.counting.meek.ballots import SCALE, BallotTree, Ints
from governance.counting.meek.limits import MeekLimits
from governance.counting.model import CountSheet, Decision, Election, Lot, ScaledFractions, Stage

METHOD = "stv-meek"
DECIMALS = 9
OMEGA = SCALE // 10**6  # A: omega = 0.000001
EPSILON = 1  # B.2.b: 0.000000001


def count(election: Election, lot: Lot, *, constraints: Constraints | None = None) -> CountSheet:
    """Count ``election`` by the PR Foundation reference Meek rule, ties settled by ``lot``.

    ``constraints`` adds category limits (our extension, ``constraints/``), already checked
    feasible (``methods.count`` refuses others before A).
    """
    limits = None
    if constraints is not None:
        limits = MeekLimits(ConstraintGuard(constraints), election.seats, election.candidates)
    meek = _MeekCount(election, lot, limits)
    meek.run()
    return meek.sheet


def fixed(value: int) -> str:
    """A non-negative amount in 10^-9 units as the rule writes it: 9 decimal places."""
    return f"{value // SCALE}.{value % SCALE:09d}"


class _MeekCount:
    """One count in progress: candidates' states and keep factors, and the sheet being written."""

    def __init__(self, election: Election, lot: Lot, limits: MeekLimits | None = None) -> None:
        self.lot = lot
        self.limits = limits
        self.seats = election.seats
        self.tree = BallotTree(election.ballots, len(election.candidates), election.withdrawn)
        papers = self.tree.papers
        self.total = papers * SCALE
        # A: hopeful candidates keep 1, withdrawn 0; the extra last entry is the tree's root.
        self.keep_factors: Ints = np.zeros(len(election.candidates) + 1, np.int64)
        self.keep_factors[election.standing] = SCALE
        self.standing = election.standing
        self.tie_order = election.tie_order
        self.hopeful = list(election.standing)
        self.elected: list[int] = []
        self.votes = [0] * len(election.candidates)
        self.quota = self.total // (self.seats + 1) + EPSILON
        self.surplus = 0
        self.recorded: list[int] | None = None  # the votes at the last stage written
        self.fraction = ScaledFractions(SCALE)
        self.sheet = CountSheet(
            method=METHOD,
            title=election.title,
            candidates=election.candidates,
            seats=election.seats,
            valid_votes=Fraction(papers),
            invalid_papers=sum(g.count for g in election.ballots) - papers,
            quota=None,
            decimals=DECIMALS,
            seed=lot.seed,
            withdrawn=tuple(sorted(election.withdrawn)),
        )

    def run(self) -> None:
        self._distribute()
        self._record("first", "First preferences", [], [], [])
        rounds = 0
        while len(self.hopeful) > self.seats - len(self.elected) > 0:  # B.1
            rounds += 1
            hopeful = len(self.hopeful)
            self._round(rounds)
            # Every round elects or defeats someone, so a count ends after at most as many
            # rounds as candidates; a round that decided nothing is a defect, never a hang.
            if len(self.hopeful) >= hopeful:
                raise RuntimeError(f"Meek round {rounds} elected and defeated nobody")
        self._complete()
        self.sheet.quota = Fraction(self.quota, SCALE)
        self.sheet.draws = list(self.lot.draws)

    def _round(self, rounds: int) -> None:
        if self.limits is not None and self._constrain(rounds, self.limits):
            return  # our extension: a round of its own, then B.1 again
        winners, barred, notes = self._iterate()
        if winners or barred:
            self._elect(rounds, winners, barred, notes)  # B.2.e: continue at B.1
        else:
            self._defeat_low(rounds, notes)  # B.3, then B.4

    def _distribute(self) -> None:
        self.votes = self.tree.distribute(self.keep_factors).tolist()

    def _tally(self) -> None:
        """B.2.a and B.2.b: the votes for the keep factors as they stand, and the quota."""
        self._distribute()
        self.quota = sum(self.votes) // (self.seats + 1) + EPSILON

    def _total_surplus(self) -> int:
        """B.2.d: the sum of (v - q) over the elected, but not less than 0."""
        surplus = sum(map(self.votes.__getitem__, self.elected)) - self.quota * len(self.elected)
        return max(surplus, 0)

    def _iterate(self) -> tuple[list[int], dict[int, str], list[str]]:
        """B.2: iterate until someone reaches the quota or the surplus is small or stops falling.

        Returns those elected, those the category limits bar instead (with why), and the notes.
        """
        previous: int | None = None
        iterations = 0
        while True:
            iterations += 1
            self._tally()  # B.2.a, B.2.b
            reached, winners, barred, notes = self._find_winners()  # B.2.c
            self.surplus = self._total_surplus()  # B.2.d
            why = self._finished(reached, previous)  # B.2.e
            if why:
                return winners, barred, [f"B.2: {iterations} iteration(s); {why}", *notes]
            previous = self.surplus
            self._update_keep_factors()  # B.2.f

    def _find_winners(self) -> tuple[list[int], list[int], dict[int, str], list[str]]:
        """B.2.c: every hopeful candidate with v >= q is elected, unless the limits bar it."""
        votes = self.votes
        if max(map(votes.__getitem__, self.hopeful)) < self.quota:
            return [], [], {}, []
        reached = [c for c in self.hopeful if votes[c] >= self.quota]
        winners: list[int] = reached
        barred: dict[int, str] = {}
        notes: list[str] = []
        if self.limits is not None:
            winners, barred, notes = self.limits.admit(
                reached, self.hopeful, self.elected, votes, self._break_tie
            )
        self.hopeful = [c for c in self.hopeful if c not in reached]
        self.elected.extend(winners)
        return reached, winners, barred, notes

    def _update_keep_factors(self) -> None:
        """B.2.f in Python integers (kf x q exceeds 64 bits), written back in one go."""
        factors: list[int] = self.keep_factors.tolist()
        for c in self.elected:
            product = -(-factors[c] * self.quota // SCALE)  # kf x q, rounded up to 9 places
            factors[c] = -(-product * SCALE // self.votes[c])  # / v, rounded up to 9 places
        self.keep_factors = np.array(factors, np.int64)

    def _finished(self, reached: list[int], previous: int | None) -> str:
        if reached:
            return "a candidate reached the quota (B.2.c)"
        if self.surplus < OMEGA:
            return "total surplus below omega (B.2.e)"
        if previous is not None and self.surplus >= previous:
            return "total surplus no longer falling (B.2.e)"
        return ""

    def _constrain(self, round_no: int, limits: MeekLimits) -> bool:
        """Our extension, at the top of a round: forced in, else barred out. True if a stage ran.

        The stage shows the votes for the keep factors as they stand (one B.2.a distribution).
        """
        top = limits.top_of_round(self.hopeful, self.elected)
        if not top.forced and not top.barred:
            return False
        self._tally()
        forced = top.forced_in_order(self.votes)
        self.hopeful = [c for c in self.hopeful if c not in forced]
        self.elected.extend(forced)
        self.surplus = self._total_surplus()
        names = self.sheet.candidates
        notes = constraint_notes(names, forced, "elected by constraint")
        notes += constraint_notes(names, top.barred, "defeated")
        self._elect(round_no, [*forced], dict(top.barred), notes, forced=forced)
        return True

    def _elect(
        self,
        round_no: int,
        winners: list[int],
        barred: dict[int, str],
        notes: list[str],
        *,
        forced: dict[int, str] | None = None,
    ) -> None:
        """Record the winners (B.2.c, or ``forced`` by the limits); defeat ``barred`` instead."""
        how = "elected to meet the category minimums" if forced else "elected"
        done = [f"{self._names(winners)} {how}"] if winners else []
        done += [f"{self._names(barred)} defeated (category limits)"] if barred else []
        action = "election" if winners else "exclusion"
        stage = self._record(
            action, f"Round {round_no}: {'; '.join(done)}", winners, [*barred], notes
        )
        for c in winners:
            reason = f"constraint: {forced[c]}" if forced else "vote reached the quota (B.2.c)"
            self._decide(stage, c, "elected", reason)
            self.tree.elect(c)
        for c, why in barred.items():
            self._decide(stage, c, "excluded", f"constraint: {why}")
        self._defeat(list(barred))

    def _defeat(self, losers: list[int]) -> None:
        """Keep factor 0 (B.3: "set the keep factor kf of c to 0"); the tree is replanned."""
        self.hopeful = [c for c in self.hopeful if c not in losers]
        for c in losers:
            self.keep_factors[c] = 0
            self.tree.defeat(c)
        self.tree.replan()

    def _defeat_low(self, round_no: int, notes: list[str]) -> None:
        """B.3: defeat the lowest hopeful candidate; ties are votes within s of the lowest.

        With category limits, the lowest of those the limits do not protect.
        """
        eligible, reason = self.hopeful, "lowest vote (B.3)"
        if self.limits is not None:
            eligible, protected = self.limits.defeatable(self.hopeful, self.elected)
            notes.extend(constraint_notes(self.sheet.candidates, protected))
            if protected:
                reason = "lowest vote of those not protected by a constraint (B.3)"
        low = min(self.votes[c] for c in eligible)
        tied = [c for c in eligible if self.votes[c] <= low + self.surplus]
        loser = tied[0]
        if len(tied) > 1:
            purpose = "defeat low candidate (B.3): votes within the total surplus of the lowest"
            loser, how = self._break_tie(tied, purpose)
            notes.append(f"T: tie between {self._names(sorted(tied))} settled {how}")
        name = self.sheet.candidates[loser]
        stage = self._record("exclusion", f"Round {round_no}: {name} defeated", [], [loser], notes)
        self._decide(stage, loser, "excluded", reason)
        self._defeat([loser])

    def _break_tie(self, tied: list[int], purpose: str) -> tuple[int, str]:
        """T: the first of the tied in the predetermined order: the file's, else the lot's."""
        order = self.tie_order
        if all(c in order for c in tied):
            return min(tied, key=order.index), "by the election's tie-break order"
        stage_no = len(self.sheet.stages) + 1  # the stage being counted
        return self.lot.choose(tied, stage=stage_no, purpose=purpose), "by lot"

    def _names(self, candidates: Iterable[int]) -> str:
        return ", ".join(self.sheet.candidates[c] for c in candidates)

    def _complete(self) -> None:
        """C.1: elect the remaining hopeful candidates if seats are unfilled; C.2: else defeat."""
        if not self.hopeful:
            return
        remaining, self.hopeful = self.hopeful, []
        if len(self.elected) < self.seats:
            self.elected.extend(remaining)
            action, outcome, reason = "election", "elected", "seats unfilled (C.1)"
        else:
            action, outcome, reason = "exclusion", "excluded", "seats filled (C.2)"
        # The count is complete: votes not held by an elected candidate go nowhere, so they are
        # shown with the residual, as in Droop's final row.
        self.votes = [v if c in self.elected else 0 for c, v in enumerate(self.votes)]
        names = ", ".join(self.sheet.candidates[c] for c in remaining)
        description = f"Count complete: {names} {outcome} as remaining hopeful"
        elected, excluded = (remaining, []) if outcome == "elected" else ([], remaining)
        stage = self._record(action, description, elected, excluded, [], distributed=False)
        for c in remaining:
            self._decide(stage, c, outcome, f"remaining hopeful, {reason}")

    def _decide(self, stage: int, candidate: int, outcome: str, reason: str) -> None:
        self.sheet.decisions.append(Decision(stage, candidate, outcome, reason))
        if outcome == "elected":
            self.sheet.elected.append(candidate)

    def _record(
        self,
        action: str,
        description: str,
        elected: list[int],
        excluded: list[int],
        notes: list[str],
        *,
        distributed: bool = True,
    ) -> int:
        fraction, now = self.fraction.__getitem__, self.votes
        votes = {c: fraction(now[c]) for c in self.standing}
        last = self.sheet.stages[-1] if self.sheet.stages else None
        # what each candidate received since the last stage (all of it at the first stage)
        before = self.recorded or [0] * len(now)
        transfers = {c: fraction(now[c] - before[c]) for c in self.standing}
        self.recorded = list(now)
        # C distributes nothing: the papers that ran out are those of the last distribution.
        exhausted = (
            self.tree.exhausted_papers()
            if distributed or not last
            else last.non_transferable_papers
        )
        names = self.sheet.candidates
        keep = [f"keep factor {names[c]}: {fixed(int(self.keep_factors[c]))}" for c in self.elected]
        stage = Stage(
            number=len(self.sheet.stages) + 1,
            action=action,
            description=description,
            votes=votes,
            transfers=transfers,
            non_transferable_papers=exhausted,
            non_transferable_votes=fraction(self.total - sum(now)),
            elected=list(elected),
            excluded=list(excluded),
            quota=fraction(self.quota),
            notes=[*notes, f"total surplus {fixed(self.surplus)}", *keep],
        )
        self.sheet.stages.append(stage)
        return stage.number
