"""Casting a ballot: one participation and one ballot in one transaction, then a receipt.

DESIGN invariant 1: the participation's primary key is what keeps one member to one vote; the
read before the insert only finds the words for a refusal. A concurrent second cast fails on the
key, is rolled back whole and is told "you have already voted".
DESIGN invariant 2: the ballot row carries a random key and the marks, nothing else.
DESIGN invariant 10: the receipt is returned only after the commit, which is durable on both
databases (``governance.db``), so "your vote has been recorded" is never said of a lost vote.

The marks are opaque here (the ballot pages check them per method); they are stored as canonical
JSON so that the same marks are always the same text, and so the same tracking code.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.chain import canonical_json
from governance.bodies.models import Body
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase, Schedule
from governance.elections.models import Contest, Election
from governance.errors import Conflict, Forbidden, NotFound
from governance.i18n import _
from governance.templating import local_time
from governance.voting.models import Ballot, Elector, Participation, Roll

BALLOT_KEY_BYTES = 16  # 128 random bits: unguessable, and no collision in any real election


class AlreadyVoted(Conflict):
    def __init__(self, voted_at: datetime, zone: str) -> None:
        day = voted_at.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y")
        super().__init__(_("You have already voted in this contest, on %(date)s.") % {"date": day})
        self.voted_at = voted_at


class VotingClosed(Conflict):
    def __init__(self, closed_at: datetime, zone: str) -> None:
        super().__init__(_("Voting closed at %(time)s.") % {"time": local_time(closed_at, zone)})
        self.closed_at = closed_at


class NotOnRoll(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            _(
                "You are not on the roll of electors for this contest. If you think you should "
                "be, contact the returning officer."
            )
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the voter is shown once their ballot is durable: never how they voted."""

    contest_id: int
    tracking_code: str
    voted_at: datetime

    @property
    def grouped(self) -> str:
        """The tracking code in groups of four, for reading and comparing on the ballot board."""
        code = self.tracking_code
        return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def canonical_marks(marks: Mapping[str, Any]) -> str:
    """RFC 8785 canonical JSON (keys sorted, no spaces): equal marks are equal text."""
    return canonical_json(dict(marks)).decode("utf-8")


def tracking_code(key: str, content: str) -> str:
    """DESIGN invariant 7: SHA-256 of the ballot's key, a line feed, and its content (hex).

    The key is hexadecimal, so the line feed cannot be confused with either part.
    """
    return hashlib.sha256(f"{key}\n{content}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CastCheck:
    """One read's worth of what decides whether this elector may cast in this contest."""

    schedule: Schedule
    zone: str
    frozen: bool
    on_roll: bool
    voted_at: datetime | None

    def refusal(self, moment: datetime) -> Exception | None:
        if self.voted_at is not None:
            return AlreadyVoted(self.voted_at, self.zone)
        if moment >= self.schedule.voting_close_at:
            return VotingClosed(self.schedule.voting_close_at, self.zone)
        if lifecycle.phase(self.schedule, moment) is not Phase.VOTING_OPEN:
            return Conflict(_("Voting in this contest is not open."))
        if not self.frozen:
            return Conflict(_("The roll for this contest is being prepared; try again shortly."))
        if not self.on_roll:
            return NotOnRoll()
        return None


TIMELINE = [getattr(Election, name) for name in Schedule.__dataclass_fields__]


async def read_booth(session: AsyncSession, contest_id: int, member_id: int) -> CastCheck:
    on_roll = and_(Elector.contest_id == Contest.id, Elector.member_id == member_id)
    marked = and_(Participation.contest_id == Contest.id, Participation.member_id == member_id)
    statement = (
        select(
            *TIMELINE,
            Body.time_zone,
            Roll.contest_id.is_not(None),
            Elector.member_id.is_not(None),
            Participation.voted_at,
        )
        .select_from(Contest)
        .join(Election, Election.id == Contest.election_id)
        .join(Body, Body.id == Election.body_id)
        .outerjoin(Roll, Roll.contest_id == Contest.id)
        .outerjoin(Elector, on_roll)
        .outerjoin(Participation, marked)
        .where(Contest.id == contest_id)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFound(_("There is no such contest."))
    *timeline, zone, frozen, elector, voted_at = row
    return CastCheck(Schedule(*timeline), zone, bool(frozen), bool(elector), voted_at)


async def read_checks(
    session: AsyncSession, pairs: Collection[tuple[int, int]]
) -> dict[tuple[int, int], CastCheck]:
    """``read_booth`` for many (contest, member) pairs in three reads, not one per pair: the
    group-commit writer's way of checking a whole batch. A pair whose contest does not exist is
    left out."""
    contest_ids = {contest for contest, _member in pairs}
    contests = await session.execute(
        select(Contest.id, *TIMELINE, Body.time_zone, Roll.contest_id.is_not(None))
        .select_from(Contest)
        .join(Election, Election.id == Contest.election_id)
        .join(Body, Body.id == Election.body_id)
        .outerjoin(Roll, Roll.contest_id == Contest.id)
        .where(Contest.id.in_(contest_ids))
    )
    polls = {row[0]: (Schedule(*row[1:-2]), row[-2], bool(row[-1])) for row in contests}
    keys = list(pairs)
    rolled = await session.execute(
        select(Elector.contest_id, Elector.member_id).where(
            tuple_(Elector.contest_id, Elector.member_id).in_(keys)
        )
    )
    on_roll = {(contest, member) for contest, member in rolled}
    marked = await session.execute(
        select(Participation.contest_id, Participation.member_id, Participation.voted_at).where(
            tuple_(Participation.contest_id, Participation.member_id).in_(keys)
        )
    )
    voted = {(contest, member): moment for contest, member, moment in marked}
    return {
        pair: CastCheck(*polls[pair[0]], pair in on_roll, voted.get(pair))
        for pair in keys
        if pair[0] in polls
    }


async def cast(
    session: AsyncSession, contest_id: int, member_id: int, marks: Mapping[str, Any]
) -> Receipt:
    """Record one elector's ballot in a contest, commit, and only then return the receipt.

    Raises AlreadyVoted, VotingClosed, NotOnRoll, NotFound or Conflict (voting not open, roll
    not frozen yet); on any refusal or failure nothing of the cast is stored.
    """
    content = canonical_marks(marks)
    booth = await read_booth(session, contest_id, member_id)
    refusal = booth.refusal(clock.now())
    if refusal is not None:
        raise refusal
    key = secrets.token_hex(BALLOT_KEY_BYTES)
    try:
        voted_at = await _mark_and_drop(session, contest_id, member_id, key, content, booth)
    except IntegrityError:
        await session.rollback()
        voted = await marked_at(session, contest_id, member_id)
        if voted is None:
            raise
        raise AlreadyVoted(voted, booth.zone) from None
    except BaseException:
        await session.rollback()
        raise
    return Receipt(contest_id, tracking_code(key, content), voted_at)


async def _mark_and_drop(
    session: AsyncSession, contest_id: int, member_id: int, key: str, content: str, booth: CastCheck
) -> datetime:
    """Mark the register, drop the ballot in the box, and commit: all of it or none of it."""
    voted_at = clock.now()
    await session.execute(
        insert(Participation).values(contest_id=contest_id, member_id=member_id, voted_at=voted_at)
    )
    await session.execute(insert(Ballot).values(contest_id=contest_id, key=key, content=content))
    # The clock read inside the transaction, with the write lock held, decides (issue 11, item
    # 4): a cast that was still open when the page was sent but reaches here late is refused.
    closing = booth.schedule.voting_close_at
    if clock.now() >= closing:
        raise VotingClosed(closing, booth.zone)
    await session.commit()
    return voted_at


async def marked_at(session: AsyncSession, contest_id: int, member_id: int) -> datetime | None:
    statement = select(Participation.voted_at).where(
        Participation.contest_id == contest_id, Participation.member_id == member_id
    )
    voted: datetime | None = await session.scalar(statement)
    return voted
