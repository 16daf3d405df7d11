"""Properties every ERS97 count must have, on random small elections (hypothesis)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting import ers97
from governance.counting.model import BallotGroup, Election, Lot

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def elections(draw: st.DrawFn) -> Election:
    """Up to 8 candidates; papers rank at least two where they can, so surpluses move on and
    their papers, at fractional values, are later excluded in batches (sub-stages)."""
    candidates = draw(st.integers(2, 8))
    seats = draw(st.integers(1, min(4, candidates)))
    ranking = st.permutations(range(candidates)).flatmap(
        lambda order: st.integers(0, candidates).map(lambda n: tuple(order[: max(n, 2)]))
    )
    lines = draw(st.lists(st.tuples(ranking, st.integers(1, 60)), min_size=1, max_size=30))
    withdrawn = draw(st.sets(st.integers(0, candidates - 1), max_size=1))
    names = tuple("ABCDEFGH"[:candidates])
    groups = tuple(BallotGroup(r, n) for r, n in lines)
    if draw(st.booleans()):
        groups += (BallotGroup((), 1),)  # a blank paper
    return Election("random", names, seats, groups, withdrawn=frozenset(withdrawn))


@SETTINGS
@given(elections(), st.integers(0, 2**32))
def test_every_vote_is_accounted_for_at_every_stage_in_hundredths(
    election: Election, seed: int
) -> None:
    sheet = ers97.count(election, Lot(seed))
    for stage in sheet.stages:
        assert sum(stage.votes.values()) + stage.non_transferable_votes == sheet.valid_votes
        for value in [*stage.votes.values(), stage.non_transferable_votes]:
            assert (value * 100).denominator == 1


@SETTINGS
@given(elections(), st.integers(0, 2**32))
def test_places_are_filled_while_candidates_last(election: Election, seed: int) -> None:
    sheet = ers97.count(election, Lot(seed))
    assert len(sheet.elected) == min(election.seats, len(election.standing))
    assert len(set(sheet.elected)) == len(sheet.elected)
    assert not set(sheet.elected) & election.withdrawn


@SETTINGS
@given(elections(), st.integers(0, 2**32))
def test_a_quota_of_first_preferences_elects_unless_tied_for_the_last_place(
    election: Election, seed: int
) -> None:
    sheet = ers97.count(election, Lot(seed))
    first = sheet.stages[0]
    assert sheet.quota is not None
    reached = [c for c, v in first.votes.items() if v >= sheet.quota]
    if len(reached) <= election.seats:
        assert set(reached) <= set(sheet.elected)


@SETTINGS
@given(elections(), st.integers(0, 2**32), st.randoms(use_true_random=False))
def test_order_of_ballot_lines_does_not_matter(
    election: Election, seed: int, rng: random.Random
) -> None:
    shuffled = list(election.ballots)
    rng.shuffle(shuffled)
    other = Election(
        election.title, election.candidates, election.seats, tuple(shuffled), election.withdrawn
    )
    assert ers97.count(other, Lot(seed)) == ers97.count(election, Lot(seed))


@SETTINGS
@given(elections(), st.integers(0, 2**32))
def test_same_ballots_and_seed_give_the_same_count_sheet(election: Election, seed: int) -> None:
    assert ers97.count(election, Lot(seed)) == ers97.count(election, Lot(seed))
