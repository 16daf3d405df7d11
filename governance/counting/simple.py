"""Counts with one round: plurality, block vote, approval vote, and a yes/no motion.

Ballots are BLT rankings read as each method's paper:

- **plurality**: the first preference is the vote; the ``seats`` candidates with most votes win
  (one seat is first past the post).
- **block**: each paper votes for the candidates it ranks in its first ``seats`` places, one vote
  each; the ``seats`` candidates with most votes win.
- **approval**: each paper votes for every candidate it names; the ``seats`` with most win.
- **yes-no**: a motion. The file's first candidate is *Yes*, the second *No*; a paper's first
  preference is its answer. The motion is carried by a majority of the answers given: a tie is
  not a majority, so the motion falls (no lot). The count sheet "elects" Yes or No accordingly.

A tie for the last seat is decided by lot, and the draw is on the sheet. A paper marking no
standing candidate is invalid.

The block vote also takes category limits (``constraints=``, our extension): the places go to
the highest tallies, except that a candidate whose election would make the limits impossible is
excluded instead (``constraints.count_block_with_constraints``, explained in
``docs/constraints.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from governance.counting.constraints import Constraints, count_block_with_constraints
from governance.counting.model import (
    BallotGroup,
    CountingError,
    CountSheet,
    Decision,
    Election,
    Lot,
    Stage,
)

YES, NO = 0, 1


def plurality(election: Election, lot: Lot) -> CountSheet:
    """First past the post: the first preference is the vote."""
    return _top(election, lot, "plurality", lambda ranking, seats: ranking[:1])


def block(election: Election, lot: Lot, *, constraints: Constraints | None = None) -> CountSheet:
    """Block vote: up to ``seats`` votes a paper, its first ``seats`` preferences.

    ``constraints`` adds category limits; infeasible limits are refused before counting.
    """
    if constraints is not None:
        return count_block_with_constraints(election, lot, constraints)
    return _top(election, lot, "block", lambda ranking, seats: ranking[:seats])


def approval(election: Election, lot: Lot) -> CountSheet:
    """Approval vote: one vote for every candidate a paper names."""
    return _top(election, lot, "approval", lambda ranking, seats: ranking)


def yes_no(election: Election, lot: Lot) -> CountSheet:
    """A motion: carried by a majority of Yes over No; a tie falls."""
    if len(election.candidates) != 2 or election.withdrawn:
        raise CountingError("a yes/no motion needs exactly two answers: Yes (1) and No (2)")
    groups = election.valid_groups()
    sheet = _sheet(election, lot, "yes-no", groups, seats=1)
    votes = _tally(groups, lambda ranking, seats: ranking[:1], 1, election)
    carried = votes[YES] > votes[NO]
    stage = _first_stage(votes)
    sheet.stages.append(stage)
    outcome = YES if carried else NO
    reason = "a majority of the answers given" if carried else "Yes had no majority"
    _elect(sheet, stage, outcome, reason)
    verdict = "carried" if carried else "not carried"
    sheet.notes.append(f"Motion {verdict}: Yes {votes[YES]}, No {votes[NO]}")
    return sheet


Marks = Callable[[tuple[int, ...], int], tuple[int, ...]]


def _top(election: Election, lot: Lot, method: str, marks: Marks) -> CountSheet:
    """Tally each paper's marks one vote each; the ``seats`` highest win, ties at the cut by lot."""
    groups = election.valid_groups()
    sheet = _sheet(election, lot, method, groups, seats=election.seats)
    votes = _tally(groups, marks, election.seats, election)
    stage = _first_stage(votes)
    sheet.stages.append(stage)
    ranked = sorted(votes, key=lambda c: -votes[c])
    cut = votes[ranked[election.seats - 1]] if len(ranked) >= election.seats else -1
    for c in (c for c in ranked if votes[c] > cut):
        _elect(sheet, stage, c, "among the most votes")
    tied = [c for c in ranked if votes[c] == cut]
    places = election.seats - len(sheet.elected)
    if len(tied) <= places:
        for c in tied:
            _elect(sheet, stage, c, "among the most votes")
    else:
        for _ in range(places):
            chosen = lot.choose(tied, stage=1, purpose="equal votes for the last seat")
            tied.remove(chosen)
            _elect(sheet, stage, chosen, "equal votes for the last seat: chosen by lot")
    sheet.draws = list(lot.draws)
    return sheet


def _tally(
    groups: list[BallotGroup], marks: Marks, seats: int, election: Election
) -> dict[int, int]:
    votes = dict.fromkeys(election.standing, 0)
    for group in groups:
        for c in marks(group.ranking, seats):
            votes[c] += group.count
    return votes


def _sheet(
    election: Election, lot: Lot, method: str, groups: list[BallotGroup], seats: int
) -> CountSheet:
    valid = sum(g.count for g in groups)
    return CountSheet(
        method=method,
        title=election.title,
        candidates=election.candidates,
        seats=seats,
        valid_votes=Fraction(valid),
        invalid_papers=sum(g.count for g in election.ballots) - valid,
        quota=None,
        decimals=0,
        seed=lot.seed,
        withdrawn=tuple(sorted(election.withdrawn)),
    )


def _first_stage(votes: dict[int, int]) -> Stage:
    return Stage(
        number=1,
        action="first",
        description="Votes counted",
        votes={c: Fraction(v) for c, v in votes.items()},
    )


def _elect(sheet: CountSheet, stage: Stage, candidate: int, reason: str) -> None:
    sheet.elected.append(candidate)
    stage.elected.append(candidate)
    sheet.decisions.append(Decision(stage.number, candidate, "elected", reason))
