"""Instant runoff: one seat, won by a majority of the continuing votes.

At each stage every valid paper counts, whole, for its highest-ranked continuing candidate;
a paper with no continuing candidate left is non-transferable. A candidate with more than half
of the votes still on continuing candidates is elected. Otherwise the candidate with fewest
votes is excluded and their papers move on. Equal lowest: the one lower at the end of the most
recent preceding stage at which they differed (the backward look-back of Scottish STV,
SSI 2007/42 Sch. 1 r.51(2)(a)); equal at every stage, by lot. Either way the stage of the
exclusion notes who was tied and how it was settled, as Scottish STV's sheet does. With one
candidate left, that candidate is elected.

The count is exact integer arithmetic (a vote is one paper); ``Stage.quota`` records each stage's
majority threshold, floor(continuing votes / 2) + 1.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from governance.counting.model import (
    BallotGroup,
    CountSheet,
    Decision,
    Election,
    Lot,
    Stage,
    look_back,
)

METHOD = "irv"


def count(election: Election, lot: Lot) -> CountSheet:
    """Count one seat by instant runoff (``methods.count`` refuses more than one seat)."""
    groups = election.valid_groups()
    valid = sum(g.count for g in groups)
    sheet = CountSheet(
        method=METHOD,
        title=election.title,
        candidates=election.candidates,
        seats=1,
        valid_votes=Fraction(valid),
        invalid_papers=sum(g.count for g in election.ballots) - valid,
        quota=None,
        decimals=0,
        seed=lot.seed,
        withdrawn=tuple(sorted(election.withdrawn)),
    )
    if election.standing:
        _Runoff(election, groups, sheet, lot).run()
        sheet.quota = sheet.stages[0].quota  # the first stage's majority, as textbooks quote it
    sheet.draws = list(lot.draws)
    return sheet


@dataclass(slots=True)
class _Runoff:
    election: Election
    groups: list[BallotGroup]
    sheet: CountSheet
    lot: Lot
    continuing: set[int] = field(init=False)
    piles: dict[int, list[tuple[BallotGroup, int]]] = field(init=False)  # (papers, position)
    history: list[dict[int, int]] = field(default_factory=list)
    lost_papers: int = 0
    notes: list[str] = field(default_factory=list)  # for the stage being counted

    def __post_init__(self) -> None:
        self.continuing = set(self.election.standing)
        self.piles = defaultdict(list)
        for group in self.groups:
            self._place(group, 0)

    def _place(self, group: BallotGroup, start: int) -> None:
        """Give the papers to their first continuing preference from ``start`` on."""
        for position in range(start, len(group.ranking)):
            if group.ranking[position] in self.continuing:
                self.piles[group.ranking[position]].append((group, position))
                return
        self.lost_papers += group.count

    def votes(self) -> dict[int, int]:
        return {c: sum(g.count for g, _ in self.piles[c]) for c in sorted(self.continuing)}

    def run(self) -> None:
        before: dict[int, int] = {}
        excluded: list[int] = []
        while True:
            votes = self.votes()
            stage = self._record(votes, before, excluded)
            majority = sum(votes.values()) // 2 + 1
            leader = max(votes, key=lambda c: votes[c])
            if votes[leader] >= majority or len(votes) == 1:
                reason = "a majority of continuing votes" if len(votes) > 1 else "last continuing"
                self._elect(stage, leader, reason)
                return
            loser = self._lowest(votes)
            self.continuing.discard(loser)
            for group, position in self.piles.pop(loser):
                self._place(group, position + 1)
            self.sheet.decisions.append(
                Decision(stage.number + 1, loser, "excluded", "fewest votes")
            )
            before, excluded = votes, [loser]

    def _lowest(self, votes: dict[int, int]) -> int:
        """Fewest votes; equal: look back to the most recent stage where they differed; lot."""
        fewest = min(votes.values())
        tied = [c for c in votes if votes[c] == fewest]
        if len(tied) == 1:
            return tied[0]
        # The first stage looked at is this one, where they are equal: it narrows nothing.
        chosen, note = look_back(
            tied,
            self.history,
            self.lot,
            highest=False,
            stage=len(self.sheet.stages) + 1,
            purpose="equal lowest",
            names=self.election.candidates,
        )
        self.notes.append(note)
        return chosen

    def _record(self, votes: dict[int, int], before: dict[int, int], excluded: list[int]) -> Stage:
        self.history.append(votes)
        number = len(self.sheet.stages) + 1
        transfers = {c: Fraction(v - before.get(c, 0)) for c, v in votes.items()} if before else {}
        transfers.update({c: Fraction(-before[c]) for c in excluded})
        stage = Stage(
            number=number,
            action="first" if number == 1 else "exclusion",
            description="First preferences"
            if number == 1
            else f"Exclusion of {self.election.candidates[excluded[0]]}",
            votes={c: Fraction(v) for c, v in votes.items()},
            transfers={c: v for c, v in transfers.items() if v},
            non_transferable_papers=self.lost_papers,
            non_transferable_votes=Fraction(self.lost_papers),
            excluded=excluded,
            quota=Fraction(sum(votes.values()) // 2 + 1),
            notes=self.notes,
        )
        self.notes = []
        self.sheet.stages.append(stage)
        return stage

    def _elect(self, stage: Stage, candidate: int, reason: str) -> None:
        stage.elected.append(candidate)
        self.sheet.elected.append(candidate)
        self.sheet.decisions.append(Decision(stage.number, candidate, "elected", reason))
