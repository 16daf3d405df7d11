"""The election lifecycle as DESIGN.md draws it: a pure function of (election, now).

    draft → nominations open → nominations closed → candidates published
          → voting open → voting closed → counted → certified → published
    (any stage before counted) → cancelled (with a reason)
    (candidates ≤ seats at close of nominations) → elected unopposed → certified → published

Time-driven phases (nominations and voting open and close) follow the timetable on the server
clock: nobody presses a button for them. Returning-officer steps (announce, publish candidates,
count, certify, publish) are recorded as timestamps and allowed only from the right phase.
No I/O here: the services ask this module, then act.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Phase(enum.StrEnum):
    DRAFT = "draft"
    NOMINATIONS_OPEN = "nominations_open"
    NOMINATIONS_CLOSED = "nominations_closed"
    CANDIDATES_PUBLISHED = "candidates_published"
    VOTING_OPEN = "voting_open"
    VOTING_CLOSED = "voting_closed"
    COUNTED = "counted"
    ELECTED_UNOPPOSED = "elected_unopposed"
    CERTIFIED = "certified"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Action(enum.StrEnum):
    EDIT_SETTINGS = "edit_settings"  # timetable, contests, settings
    ANNOUNCE = "announce"  # make the timetable public; from then on the clock drives it
    NOMINATE = "nominate"  # submit, edit or withdraw a nomination
    SUPPORT = "support"  # ask for, confirm or decline support
    REVIEW = "review"  # mark nominations valid or invalid
    DECLARE_UNOPPOSED = "declare_unopposed"
    PUBLISH_CANDIDATES = "publish_candidates"
    VOTE = "vote"
    COUNT = "count"
    CERTIFY = "certify"
    PUBLISH_RESULTS = "publish_results"
    CANCEL = "cancel"


class Timeline(Protocol):
    """What the lifecycle reads of an election; an ``Election`` row has exactly these fields."""

    @property
    def nominations_open_at(self) -> datetime: ...
    @property
    def nominations_close_at(self) -> datetime: ...
    @property
    def voting_open_at(self) -> datetime: ...
    @property
    def voting_close_at(self) -> datetime: ...
    @property
    def announced_at(self) -> datetime | None: ...
    @property
    def candidates_published_at(self) -> datetime | None: ...
    @property
    def counted_at(self) -> datetime | None: ...
    @property
    def elected_unopposed_at(self) -> datetime | None: ...
    @property
    def certified_at(self) -> datetime | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def cancelled_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """A plain timeline, for tests and for planning a timetable before it is stored."""

    nominations_open_at: datetime
    nominations_close_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime
    announced_at: datetime | None = None
    candidates_published_at: datetime | None = None
    counted_at: datetime | None = None
    elected_unopposed_at: datetime | None = None
    certified_at: datetime | None = None
    published_at: datetime | None = None
    cancelled_at: datetime | None = None


def phase(election: Timeline, now: datetime) -> Phase:
    """The phase an election is in at ``now`` (UTC)."""
    recorded = _recorded_phase(election)
    if recorded is not None:
        return recorded
    if election.announced_at is None or now < election.nominations_open_at:
        return Phase.DRAFT
    if now < election.nominations_close_at:
        return Phase.NOMINATIONS_OPEN
    if election.candidates_published_at is None:
        # Voting cannot open before the candidate list is published, whatever the clock says.
        return Phase.NOMINATIONS_CLOSED
    if now < election.voting_open_at:
        return Phase.CANDIDATES_PUBLISHED
    if now < election.voting_close_at:
        return Phase.VOTING_OPEN
    return Phase.VOTING_CLOSED


def _recorded_phase(election: Timeline) -> Phase | None:
    """Steps recorded by the returning officer, latest first; they outrank the clock."""
    steps = (
        (election.cancelled_at, Phase.CANCELLED),
        (election.published_at, Phase.PUBLISHED),
        (election.certified_at, Phase.CERTIFIED),
        (election.elected_unopposed_at, Phase.ELECTED_UNOPPOSED),
        (election.counted_at, Phase.COUNTED),
    )
    return next((p for moment, p in steps if moment is not None), None)


ALLOWED: dict[Phase, frozenset[Action]] = {
    Phase.DRAFT: frozenset({Action.EDIT_SETTINGS, Action.ANNOUNCE, Action.CANCEL}),
    Phase.NOMINATIONS_OPEN: frozenset({Action.NOMINATE, Action.SUPPORT, Action.CANCEL}),
    Phase.NOMINATIONS_CLOSED: frozenset(
        {Action.REVIEW, Action.DECLARE_UNOPPOSED, Action.PUBLISH_CANDIDATES, Action.CANCEL}
    ),
    Phase.CANDIDATES_PUBLISHED: frozenset({Action.CANCEL}),
    Phase.VOTING_OPEN: frozenset({Action.VOTE, Action.CANCEL}),
    Phase.VOTING_CLOSED: frozenset({Action.COUNT, Action.CANCEL}),
    Phase.COUNTED: frozenset({Action.CERTIFY}),
    Phase.ELECTED_UNOPPOSED: frozenset({Action.CERTIFY}),
    Phase.CERTIFIED: frozenset({Action.PUBLISH_RESULTS}),
    Phase.PUBLISHED: frozenset(),
    Phase.CANCELLED: frozenset(),
}


def allows(election: Timeline, action: Action, now: datetime) -> bool:
    return action in ALLOWED[phase(election, now)]


def allowed_actions(election: Timeline, now: datetime) -> frozenset[Action]:
    return ALLOWED[phase(election, now)]
