"""Properties every count must keep, whatever the ballots (hypothesis)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting import irv, scottish, simple
from governance.counting.model import BallotGroup, CountSheet, Election, Lot
from governance.counting.sheet import to_json

COUNTS = {"stv-scottish": scottish.count, "irv": irv.count, "plurality": simple.plurality}


@st.composite
def elections(draw: st.DrawFn, max_candidates: int = 6) -> Election:
    n = draw(st.integers(2, max_candidates))
    ranking = st.lists(st.integers(0, n - 1), unique=True, max_size=n).map(tuple)
    groups = draw(st.lists(st.tuples(ranking, st.integers(1, 9)), min_size=1, max_size=25))
    return Election(
        title="property",
        candidates=tuple(f"C{i}" for i in range(n)),
        seats=draw(st.integers(1, n)),
        ballots=tuple(BallotGroup(r, c) for r, c in groups),
        withdrawn=frozenset(draw(st.sets(st.integers(0, n - 1), max_size=1))),
    )


def _every_vote_accounted_for(sheet: CountSheet) -> None:
    for stage in sheet.stages:
        total = sum(stage.votes.values()) + stage.non_transferable_votes
        assert total == sheet.valid_votes, f"stage {stage.number}"


@settings(max_examples=150, deadline=None)
@given(elections(), st.integers(0, 3))
def test_every_vote_is_accounted_for_at_every_stage(election: Election, seed: int) -> None:
    for count in COUNTS.values():
        _every_vote_accounted_for(count(election, Lot(seed)))


@settings(max_examples=100, deadline=None)
@given(elections())
def test_a_quota_of_first_preferences_elects(election: Election) -> None:
    sheet = scottish.count(election, Lot(0))
    assert sheet.quota is not None
    first = sheet.stages[0].votes
    holders = {c for c, v in first.items() if v >= sheet.quota}
    assert holders <= set(sheet.elected)


@settings(max_examples=100, deadline=None)
@given(elections(), st.data(), st.integers(0, 3))
def test_the_order_of_ballot_lines_does_not_matter(
    election: Election, data: st.DataObject, seed: int
) -> None:
    lines = data.draw(st.permutations(election.ballots))
    shuffled = dataclasses.replace(election, ballots=tuple(lines))
    for count in COUNTS.values():
        assert to_json(count(election, Lot(seed))) == to_json(count(shuffled, Lot(seed)))


@settings(max_examples=150, deadline=None)
@given(elections(), st.integers(0, 3))
def test_one_seat_stv_elects_the_irv_winner(election: Election, seed: int) -> None:
    one_seat = dataclasses.replace(election, seats=1)
    assert scottish.count(one_seat, Lot(seed)).elected == irv.count(one_seat, Lot(seed)).elected


@settings(max_examples=60, deadline=None)
@given(elections(), st.integers(0, 2**32))
def test_a_count_is_deterministic_for_a_seed(election: Election, seed: int) -> None:
    for count in COUNTS.values():
        assert to_json(count(election, Lot(seed))) == to_json(count(election, Lot(seed)))


@settings(max_examples=60, deadline=None)
@given(elections())
def test_scottish_stv_fills_every_seat_it_can(election: Election) -> None:
    sheet = scottish.count(election, Lot(1))
    assert len(sheet.elected) == min(election.seats, len(election.standing))
    assert len(set(sheet.elected)) == len(sheet.elected)
    assert not set(sheet.elected) & election.withdrawn
