"""Turnout during the poll: how many have voted, never how (DESIGN invariant 3; issue 11, item 6).

Every figure here comes from ``rolls`` (the electorate's size) and ``participations`` (the marked
register: who voted and when). Nothing reads ``ballots``: turnout is the one thing about the poll
a returning officer and the scrutineers may watch before the close.

The hour-by-hour counts are grouped by the database, so a contest of a million participations
costs one indexed scan and a handful of rows back, never a row per voter in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from governance.elections.models import Election
from governance.voting.models import Participation, Roll

HOUR = timedelta(hours=1)


def hour_number(session: AsyncSession, column: Any) -> ColumnElement[int]:
    """Whole hours since 1970-01-01T00:00Z of a stored UTC time, as an integer on both databases.

    SQLite keeps times as ISO text, which ``strftime('%s')`` turns into Unix seconds; PostgreSQL's
    ``extract(epoch …)`` of a timestamptz is Unix seconds whatever the session's time zone (unlike
    ``date_trunc``, which truncates in the session's zone). Integer division then gives the hour.
    """
    if session.get_bind().dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
    else:
        seconds = cast(func.floor(func.extract("epoch", column)), Integer)
    return (seconds // 3600).label("hour")


def hour_start(number: int) -> datetime:
    return datetime.fromtimestamp(number * 3600, UTC)


@dataclass(frozen=True, slots=True)
class Hour:
    starts_at: datetime  # UTC; shown in the body's time zone
    ballots: int  # participations recorded in this hour
    cumulative: int  # participations recorded by the end of it


@dataclass(frozen=True, slots=True)
class ContestTurnout:
    contest_id: int
    name: str
    electorate: int | None  # None until the roll is frozen
    cast: int
    hours: list[Hour]

    @property
    def percent(self) -> float | None:
        if not self.electorate:
            return None
        return 100.0 * self.cast / self.electorate

    def percent_at(self, hour: Hour) -> float | None:
        return 100.0 * hour.cumulative / self.electorate if self.electorate else None


@dataclass(frozen=True, slots=True)
class Turnout:
    as_of: datetime
    contests: list[ContestTurnout]


async def _electorates(session: AsyncSession, contest_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Roll.contest_id, Roll.electors).where(Roll.contest_id.in_(contest_ids))
    )
    return {row.contest_id: row.electors for row in rows}


async def _hourly(session: AsyncSession, contest_ids: list[int]) -> dict[int, dict[int, int]]:
    """Participations per contest per hour, grouped in the database."""
    hour = hour_number(session, Participation.voted_at)
    rows = await session.execute(
        select(Participation.contest_id, hour, func.count())
        .where(Participation.contest_id.in_(contest_ids))
        .group_by(Participation.contest_id, hour)
    )
    counts: dict[int, dict[int, int]] = {contest_id: {} for contest_id in contest_ids}
    for contest_id, number, ballots in rows:
        counts[contest_id][int(number)] = int(ballots)
    return counts


def _hours(counts: dict[int, int], first: int, last: int) -> list[Hour]:
    """Every hour from ``first`` to ``last`` (inclusive), with the hours nobody voted in, so the
    chart's time axis is even; any hour outside that span (there should be none) is kept too."""
    if counts:
        first, last = min(first, *counts), max(last, *counts)
    running, hours = 0, []
    for number in range(first, last + 1):
        running += counts.get(number, 0)
        hours.append(Hour(hour_start(number), counts.get(number, 0), running))
    return hours


async def turnout(session: AsyncSession, election: Election, now: datetime) -> Turnout:
    """Each contest's electorate, ballots cast and hour-by-hour turnout, as of ``now``."""
    contest_ids = [contest.id for contest in election.contests]
    electorates = await _electorates(session, contest_ids)
    hourly = await _hourly(session, contest_ids)
    first = int(election.voting_open_at.timestamp()) // 3600
    last = int(min(now, election.voting_close_at - timedelta(seconds=1)).timestamp()) // 3600
    contests = [
        ContestTurnout(
            contest_id=contest.id,
            name=contest.name,
            electorate=electorates.get(contest.id),
            cast=sum(hourly[contest.id].values()),
            hours=_hours(hourly[contest.id], first, last) if now >= election.voting_open_at else [],
        )
        for contest in election.contests
    ]
    return Turnout(as_of=now, contests=contests)
