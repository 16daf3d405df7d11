"""The ballot box's writer: casts from many requests committed together, each acknowledged only
after the commit that holds it (group commit).

Why: a durable commit costs a flush to disk (SQLite ``synchronous=FULL``, PostgreSQL's
``synchronous_commit=on``: DESIGN invariant 10), and on SQLite only one writer commits at a time,
so one commit per cast caps a poll at a few hundred casts a second. Here the casts that arrive
while a commit is under way wait for the next one, which holds them all.

Each cast keeps the rules of ``casting.cast``: the same read decides whether this elector may cast
(already voted, closed, not on the roll, not open), and the participation's primary key is the
final word on one member one vote (DESIGN invariant 1). A batch commits whole or not at all: when
it cannot (another process marked one of its electors a moment ago, or the clock read inside the
transaction is past a contest's close), it is rolled back and each of its casts is made alone by
``casting.cast``, so one cast's refusal never costs another its vote. Ballots are inserted after
the batch's participations, in a shuffled order, so that even before the seal a ballot's place
in the table says nothing about which participation it came with (DESIGN invariant 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.errors import NotFound
from governance.i18n import _
from governance.voting.casting import (
    BALLOT_KEY_BYTES,
    AlreadyVoted,
    CastCheck,
    Receipt,
    canonical_marks,
    cast,
    read_checks,
    tracking_code,
)
from governance.voting.models import Ballot, Participation

MAX_BATCH = 500  # casts per commit: enough to ride out a burst, small enough to stay short


@dataclass
class _Cast:
    contest_id: int
    member_id: int
    content: str
    done: asyncio.Future[Receipt]
    key: str = field(default_factory=lambda: secrets.token_hex(BALLOT_KEY_BYTES))
    voted_at: datetime = datetime.min  # set when admitted: the time the register is marked
    closes_at: datetime = datetime.max


class BallotWriter:
    """One per process: ``cast`` queues a cast and returns its receipt once it is durable."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[_Cast] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def cast(self, contest_id: int, member_id: int, marks: Mapping[str, Any]) -> Receipt:
        """Raises what ``casting.cast`` raises; returns only after the commit holding this cast."""
        done: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Cast(contest_id, member_id, canonical_marks(marks), done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while not self._queue.empty():
            batch = [self._queue.get_nowait()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[_Cast]) -> None:
        accepted: list[_Cast] = []
        try:
            async with self._sessions() as session:
                checks = await read_checks(session, {(c.contest_id, c.member_id) for c in batch})
                for item in batch:
                    if _admit(checks, item, accepted):
                        accepted.append(item)
                if not await _write(session, accepted):
                    await session.rollback()
                    await self._one_by_one(accepted)
                    return
                await session.commit()
        except Exception as error:  # the commit failed: nothing of this batch is stored
            _fail(batch, error)
            return
        for item in accepted:
            receipt = Receipt(item.contest_id, tracking_code(item.key, item.content), item.voted_at)
            item.done.set_result(receipt)

    async def _one_by_one(self, items: list[_Cast]) -> None:
        """The rare batch that cannot commit whole (another process marked one of its electors
        a moment ago, or the close fell inside it): each cast alone, by ``casting.cast``."""
        for item in items:
            try:
                async with self._sessions() as session:
                    marks = json.loads(item.content)
                    item.done.set_result(
                        await cast(session, item.contest_id, item.member_id, marks)
                    )
            except Exception as error:  # each cast's own refusal or failure, as cast() gives it
                item.done.set_exception(error)


def _admit(checks: Mapping[tuple[int, int], CastCheck], item: _Cast, accepted: list[_Cast]) -> bool:
    """Whether this elector may cast now; False (and the cast answered) when not."""
    found = checks.get((item.contest_id, item.member_id))
    if found is None:
        item.done.set_exception(NotFound(_("There is no such contest.")))
        return False
    earlier = _same_elector(accepted, item)
    item.voted_at = clock.now()
    item.closes_at = found.schedule.voting_close_at
    refusal = (
        AlreadyVoted(earlier, found.zone) if earlier is not None else found.refusal(item.voted_at)
    )
    if refusal is not None:
        item.done.set_exception(refusal)
        return False
    return True


async def _write(session: AsyncSession, accepted: list[_Cast]) -> bool:
    """Mark the register and drop the ballots; False when the batch cannot commit whole."""
    if not accepted:
        return True
    marked = [
        {"contest_id": c.contest_id, "member_id": c.member_id, "voted_at": c.voted_at}
        for c in accepted
    ]
    try:
        await session.execute(insert(Participation), marked)
    except IntegrityError:  # DESIGN invariant 1: the key, not the read, has the last word
        return False
    await _drop_ballots(session, accepted)
    # The clock read inside the transaction, after the writes, decides (issue 11, item 4).
    moment = clock.now()
    return all(moment < c.closes_at for c in accepted)


def _fail(items: list[_Cast], error: Exception) -> None:
    for item in items:
        if not item.done.done():
            item.done.set_exception(error)


def _same_elector(accepted: list[_Cast], item: _Cast) -> datetime | None:
    """When this elector already cast in this batch, the time they did."""
    for other in accepted:
        if (other.contest_id, other.member_id) == (item.contest_id, item.member_id):
            return other.voted_at
    return None


async def _drop_ballots(session: AsyncSession, accepted: list[_Cast]) -> None:
    rows = [{"contest_id": c.contest_id, "key": c.key, "content": c.content} for c in accepted]
    secrets.SystemRandom().shuffle(rows)
    if rows:
        await session.execute(insert(Ballot), rows)


@contextlib.asynccontextmanager
async def running_writer(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[BallotWriter]:
    """A writer for the life of the app; casts still queued at shutdown are finished first."""
    writer = BallotWriter(sessions)
    try:
        yield writer
    finally:
        if writer._task is not None:
            await writer._task
