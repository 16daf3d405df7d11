"""The lifecycle, exhaustively: every phase, every action, and the clock's part in each step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.elections.lifecycle import ALLOWED, Action, Phase, Schedule, allows, phase

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

BASE = Schedule(
    nominations_open_at=T0,
    nominations_close_at=T0 + 10 * HOUR,
    voting_open_at=T0 + 20 * HOUR,
    voting_close_at=T0 + 30 * HOUR,
)
ANNOUNCED = replace(BASE, announced_at=T0 - HOUR)
PUBLISHED_CANDIDATES = replace(ANNOUNCED, candidates_published_at=T0 + 12 * HOUR)

# One (election, now) per phase: the witness that each phase is reachable.
WITNESSES: dict[Phase, tuple[Schedule, datetime]] = {
    Phase.DRAFT: (BASE, T0 + 5 * HOUR),
    Phase.NOMINATIONS_OPEN: (ANNOUNCED, T0 + 5 * HOUR),
    Phase.NOMINATIONS_CLOSED: (ANNOUNCED, T0 + 25 * HOUR),
    Phase.CANDIDATES_PUBLISHED: (PUBLISHED_CANDIDATES, T0 + 15 * HOUR),
    Phase.VOTING_OPEN: (PUBLISHED_CANDIDATES, T0 + 25 * HOUR),
    Phase.VOTING_CLOSED: (PUBLISHED_CANDIDATES, T0 + 35 * HOUR),
    Phase.COUNTED: (replace(PUBLISHED_CANDIDATES, counted_at=T0 + 31 * HOUR), T0 + 40 * HOUR),
    Phase.ELECTED_UNOPPOSED: (
        replace(ANNOUNCED, elected_unopposed_at=T0 + 11 * HOUR),
        T0 + 12 * HOUR,
    ),
    Phase.CERTIFIED: (
        replace(PUBLISHED_CANDIDATES, counted_at=T0 + 31 * HOUR, certified_at=T0 + 32 * HOUR),
        T0 + 40 * HOUR,
    ),
    Phase.PUBLISHED: (
        replace(
            PUBLISHED_CANDIDATES,
            counted_at=T0 + 31 * HOUR,
            certified_at=T0 + 32 * HOUR,
            published_at=T0 + 33 * HOUR,
        ),
        T0 + 40 * HOUR,
    ),
    Phase.CANCELLED: (replace(ANNOUNCED, cancelled_at=T0 + HOUR), T0 + 5 * HOUR),
}

# The agreed table, written out so that any change to ALLOWED is a deliberate one.
EXPECTED: dict[Phase, set[Action]] = {
    Phase.DRAFT: {Action.EDIT_SETTINGS, Action.ANNOUNCE, Action.CANCEL},
    Phase.NOMINATIONS_OPEN: {Action.NOMINATE, Action.SUPPORT, Action.CANCEL},
    Phase.NOMINATIONS_CLOSED: {
        Action.REVIEW,
        Action.DECLARE_UNOPPOSED,
        Action.PUBLISH_CANDIDATES,
        Action.CANCEL,
    },
    Phase.CANDIDATES_PUBLISHED: {Action.CANCEL},
    Phase.VOTING_OPEN: {Action.VOTE, Action.CANCEL},
    Phase.VOTING_CLOSED: {Action.COUNT, Action.CANCEL},
    Phase.COUNTED: {Action.CERTIFY},
    Phase.ELECTED_UNOPPOSED: {Action.CERTIFY},
    Phase.CERTIFIED: {Action.PUBLISH_RESULTS},
    Phase.PUBLISHED: set(),
    Phase.CANCELLED: set(),
}


def test_every_phase_has_a_witness_and_an_entry_in_the_table() -> None:
    assert set(WITNESSES) == set(Phase) == set(ALLOWED)


@pytest.mark.parametrize("expected", list(Phase))
def test_each_witness_is_in_its_phase(expected: Phase) -> None:
    election, now = WITNESSES[expected]
    assert phase(election, now) is expected


@pytest.mark.parametrize("current", list(Phase))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_in_every_phase(current: Phase, action: Action) -> None:
    election, now = WITNESSES[current]
    assert allows(election, action, now) is (action in EXPECTED[current])


def test_cancellation_is_possible_at_every_stage_before_the_count_and_never_after() -> None:
    before = {
        Phase.DRAFT,
        Phase.NOMINATIONS_OPEN,
        Phase.NOMINATIONS_CLOSED,
        Phase.CANDIDATES_PUBLISHED,
        Phase.VOTING_OPEN,
        Phase.VOTING_CLOSED,
    }
    assert {p for p in Phase if Action.CANCEL in ALLOWED[p]} == before


def test_an_unannounced_election_stays_a_draft_whatever_the_clock_says() -> None:
    assert phase(BASE, T0 + 100 * HOUR) is Phase.DRAFT


def test_the_clock_opens_and_closes_nominations_to_the_second() -> None:
    second = timedelta(seconds=1)
    assert phase(ANNOUNCED, T0 - second) is Phase.DRAFT
    assert phase(ANNOUNCED, T0) is Phase.NOMINATIONS_OPEN
    assert phase(ANNOUNCED, T0 + 10 * HOUR - second) is Phase.NOMINATIONS_OPEN
    assert phase(ANNOUNCED, T0 + 10 * HOUR) is Phase.NOMINATIONS_CLOSED


def test_voting_never_opens_before_the_candidates_are_published() -> None:
    assert phase(ANNOUNCED, T0 + 25 * HOUR) is Phase.NOMINATIONS_CLOSED
    late = replace(ANNOUNCED, candidates_published_at=T0 + 22 * HOUR)
    assert phase(late, T0 + 22 * HOUR) is Phase.VOTING_OPEN
    assert phase(PUBLISHED_CANDIDATES, T0 + 30 * HOUR) is Phase.VOTING_CLOSED


def test_recorded_steps_outrank_the_clock_latest_first() -> None:
    everything = replace(
        PUBLISHED_CANDIDATES, counted_at=T0, certified_at=T0, published_at=T0, cancelled_at=T0
    )
    assert phase(everything, T0 + 5 * HOUR) is Phase.CANCELLED
    assert phase(replace(everything, cancelled_at=None), T0) is Phase.PUBLISHED


@given(st.integers(min_value=-100, max_value=100))
def test_time_only_moves_an_announced_election_forwards(hours: int) -> None:
    order = list(Phase)
    now = T0 + hours * HOUR
    assert order.index(phase(PUBLISHED_CANDIDATES, now)) <= order.index(
        phase(PUBLISHED_CANDIDATES, now + HOUR)
    )
