"""Properties of the Meek count on generated elections, and agreement with a plain transcription.

``transcribed_count`` follows the PR Foundation reference Meek rule line by line, one ballot at a
time, in Python integers; the module under test computes B.2.a over a tree of shared ballot paths
with NumPy. They must agree on every round's votes and quota, the draws and the result.
"""

from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting.meek import count
from governance.counting.model import Election, Lot, group_ballots

SCALE = 10**9
OMEGA = 1000

counts = settings(max_examples=60, deadline=None)


@st.composite
def elections(draw: st.DrawFn) -> Election:
    candidates = draw(st.integers(2, 6))
    ranking = st.lists(st.integers(0, candidates - 1), unique=True, max_size=candidates)
    lines = draw(st.lists(st.tuples(ranking.map(tuple), st.integers(0, 9)), max_size=14))
    withdrawn = draw(st.sets(st.integers(0, candidates - 1), max_size=1))
    return Election(
        title="generated",
        candidates=tuple(f"C{i}" for i in range(candidates)),
        seats=draw(st.integers(1, candidates)),
        ballots=group_ballots(lines),
        withdrawn=frozenset(withdrawn),
    )


def _up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded up: the rule's "to 9 decimal places, rounded up"."""
    return -(-numerator // denominator)


def transcribed_count(
    election: Election, lot: Lot
) -> tuple[list[int], list[tuple[list[int], int]]]:
    """The rule as written: the elected in order, and each round's votes and quota."""
    groups = election.valid_groups()
    keep = [SCALE if c in election.standing else 0 for c in range(len(election.candidates))]
    hopeful, elected = list(election.standing), list[int]()
    rounds: list[tuple[list[int], int]] = []
    seats = election.seats
    while len(hopeful) > seats - len(elected) > 0:
        previous = None
        while True:
            votes = [0] * len(keep)
            for group in groups:
                weight = SCALE
                for c in group.ranking:
                    if keep[c]:
                        share = _up(weight * keep[c], SCALE)
                        votes[c] += share * group.count
                        weight -= share
                        if weight <= 0:
                            break
            quota = sum(votes) // (seats + 1) + 1
            winners = [c for c in hopeful if votes[c] >= quota]
            hopeful = [c for c in hopeful if c not in winners]
            elected += winners
            surplus = max(0, sum(votes[c] - quota for c in elected))
            if winners or surplus < OMEGA or (previous is not None and surplus >= previous):
                break
            previous = surplus
            for c in elected:
                keep[c] = _up(_up(keep[c] * quota, SCALE) * SCALE, votes[c])
        rounds.append((votes, quota))
        if not winners:
            low = min(votes[c] for c in hopeful)
            tied = [c for c in hopeful if votes[c] <= low + surplus]
            loser = tied[0] if len(tied) == 1 else lot.choose(tied, stage=0, purpose="")
            hopeful.remove(loser)
            keep[loser] = 0
    if len(elected) < seats:
        elected += hopeful
    return elected, rounds


@counts
@given(elections(), st.integers(0, 2**32))
def test_agrees_with_the_rule_transcribed_ballot_by_ballot(election: Election, seed: int) -> None:
    sheet = count(election, Lot(seed))
    transcribed = Lot(seed)
    elected, rounds = transcribed_count(election, transcribed)
    assert sheet.elected == elected
    in_rounds = [s for s in sheet.stages if s.description.startswith("Round ")]
    assert len(in_rounds) == len(rounds)
    for stage, (votes, quota) in zip(in_rounds, rounds, strict=True):
        assert stage.votes == {c: Fraction(votes[c], SCALE) for c in election.standing}
        assert stage.quota == Fraction(quota, SCALE)
    assert [d.chosen for d in sheet.draws] == [d.chosen for d in transcribed.draws]


@counts
@given(elections(), st.integers(0, 2**32))
def test_every_vote_is_accounted_for_at_every_stage(election: Election, seed: int) -> None:
    sheet = count(election, Lot(seed))
    for stage in sheet.stages:
        assert sum(stage.votes.values()) + stage.non_transferable_votes == sheet.valid_votes


@counts
@given(elections(), st.integers(0, 2**32), st.randoms())
def test_order_of_ballot_lines_does_not_matter(
    election: Election, seed: int, shuffler: random.Random
) -> None:
    lines = list(election.ballots)
    shuffler.shuffle(lines)
    shuffled = Election(election.title, election.candidates, election.seats, tuple(lines))
    original = Election(election.title, election.candidates, election.seats, election.ballots)
    assert count(shuffled, Lot(seed)) == count(original, Lot(seed))


@counts
@given(elections(), st.integers(0, 2**32))
def test_same_seed_same_count(election: Election, seed: int) -> None:
    assert count(election, Lot(seed)) == count(election, Lot(seed))


@counts
@given(elections(), st.integers(0, 2**32), st.data())
def test_a_quota_of_first_preferences_elects(
    election: Election, seed: int, data: st.DataObject
) -> None:
    star = data.draw(st.sampled_from(election.standing))
    others = sum(g.count for g in election.valid_groups())
    just_over_a_quota = others // election.seats + 1
    ballots = (*election.ballots, *group_ballots([((star,), just_over_a_quota)]))
    sheet = count(
        Election("star", election.candidates, election.seats, ballots, election.withdrawn),
        Lot(seed),
    )
    papers = others + just_over_a_quota
    assert just_over_a_quota * SCALE >= papers * SCALE // (election.seats + 1) + 1
    assert star in sheet.elected
