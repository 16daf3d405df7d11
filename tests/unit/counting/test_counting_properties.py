"""Properties every count must keep, whatever the ballots (hypothesis)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from governance.counting import ers97, irv, meek, scottish, simple
from governance.counting.blt import read_blt
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
def test_one_seat_scottish_stv_elects_the_irv_winner(election: Election, seed: int) -> None:
    """Ties included: both look back to the most recent stage that differed, then draw the same
    lot (SSI 2007/42 r.51(2))."""
    one_seat = dataclasses.replace(election, seats=1)
    assert scottish.count(one_seat, Lot(seed)).elected == irv.count(one_seat, Lot(seed)).elected


# What every method writes on a stage whose decision needed a tie settled: Scottish STV and IRV
# "Tie (...)", Meek "T: tie between ...", ERS97 "Equal lowest votes", "Equal surpluses", "Equal
# votes for the last places" and "... equal at every point ..." (5.2.3, 5.2.5, 5.6.2).
TIE_NOTE = re.compile(r"\b(tie|equal)\b", re.IGNORECASE)


def settled_a_tie(sheet: CountSheet) -> bool:
    """Whether the count had to settle a tie: a lot drawn, or a stage noting how one was settled."""
    notes = (note for stage in sheet.stages for note in stage.notes)
    return bool(sheet.draws) or any(TIE_NOTE.search(note) for note in notes)


@pytest.mark.parametrize("count", [meek.count, ers97.count], ids=["stv-meek", "stv-ers97"])
@settings(max_examples=150, deadline=None)
@given(elections(), st.integers(0, 3))
def test_one_seat_stv_elects_the_irv_winner_when_no_tie_is_settled(
    count: Callable[[Election, Lot], CountSheet], election: Election, seed: int
) -> None:
    """Meek settles ties by a predetermined order and ERS97 looks forward, where IRV looks
    back: they can part only over a tie. About four in five of these elections have none."""
    one_seat = dataclasses.replace(election, seats=1)
    stv, runoff = count(one_seat, Lot(seed)), irv.count(one_seat, Lot(seed))
    assume(not settled_a_tie(stv) and not settled_a_tie(runoff))
    assert stv.elected == runoff.elected


def test_a_tie_is_told_apart_on_every_methods_sheet() -> None:
    """``settled_a_tie`` must see each method's tie notes, or the test above compares ties too.

    At stage 3 C1 and C4 have 15 each: IRV looks back (C4 had fewer at stage 2), ERS97 forward
    (C1 had fewer at stage 1), so the two elect different candidates.
    """
    text = (
        "5 1\n14 5 2 0\n15 4 0\n6 2 0\n5 3 2 5 0\n8 1 3 4 2 0\n1 1 5 3 2 0\n4 2 4 3 1 0\n"
        '0\n"C0"\n"C1"\n"C2"\n"C3"\n"C4"\n"t"\n'
    )
    election = read_blt(text)
    runoff, forward = irv.count(election, Lot(0)), ers97.count(election, Lot(0))
    assert runoff.elected_names == ["C1"]
    assert forward.elected_names == ["C3"]
    assert settled_a_tie(runoff) and settled_a_tie(forward)
    tied = read_blt('3 1\n2 1 0\n2 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    untied = read_blt('3 1\n4 1 0\n3 2 0\n2 3 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    for count in (scottish.count, meek.count, ers97.count, irv.count):
        assert settled_a_tie(count(tied, Lot(0)))
        assert not settled_a_tie(count(untied, Lot(0)))


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
