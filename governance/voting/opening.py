"""Opening the poll, exactly once: claim, freeze the rolls, issue every elector a code.

DESIGN lifecycle: voting opens by the clock, nobody presses a button. Whoever first finds an
election's voting window open claims it with a guarded update of ``voting_opened_at`` (the row
count says who won), freezes its electorate (``electorate.freeze_electorate``, itself once per
contest) and issues the codes in batches (``credentials.issue_batch``, idempotent). When every
elector has a code, ``voting_codes_issued_at`` is set, again by a guarded update, and the
election costs nothing from then on.

Three callers: a background task of each app process (``voting_in_process``), the
``governance voting open`` command, and, at request time, ``open_if_due`` on the ballot pages,
which claims and freezes but leaves the mail to the other two (a page must answer in
milliseconds; a 100,000-elector mailing does not). A run that dies after its claim is carried
on by the next pass: issuing picks up whoever has no credential yet.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, cast

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.audit.models import election_chain
from governance.audit.service import record
from governance.config import Settings
from governance.db import create_engine
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase
from governance.elections.models import Election
from governance.voting import reminders
from governance.voting.credentials import issue_batch
from governance.voting.electorate import freeze_electorate
from governance.voting.models import Credential

if TYPE_CHECKING:
    from litestar import Litestar

log = structlog.get_logger(__name__)

STOP_GRACE_SECONDS = 10.0


async def _claim(session: AsyncSession, election: Election, now: datetime) -> bool:
    """Set ``voting_opened_at`` if nobody has; True for the one caller whose update took."""
    try:
        claimed = await session.execute(
            update(Election)
            .where(Election.id == election.id, Election.voting_opened_at.is_(None))
            .values(voting_opened_at=now)
            .execution_options(synchronize_session=False)
        )
        won = claimed.rowcount == 1  # type: ignore[attr-defined]
        if won:
            await record(
                session,
                action="voting.opened",
                actor=None,  # the clock opened voting, not a person
                payload={"opened_at": now.isoformat()},
                chain=election_chain(election.id),
            )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    await session.refresh(election)
    return bool(won)


async def open_if_due(session: AsyncSession, election: Election, now: datetime) -> None:
    """The request-time trigger: free once the poll is open (no query), otherwise claim the
    opening and freeze the rolls so the elector can vote; the codes follow from the worker."""
    if election.voting_opened_at is not None or lifecycle.phase(election, now) != Phase.VOTING_OPEN:
        return
    await _claim(session, election, now)
    await freeze_electorate(session, election, now)


async def _finish(session: AsyncSession, election: Election, now: datetime) -> None:
    try:
        finished = await session.execute(
            update(Election)
            .where(Election.id == election.id, Election.voting_codes_issued_at.is_(None))
            .values(voting_codes_issued_at=now)
            .execution_options(synchronize_session=False)
        )
        if finished.rowcount == 1:  # type: ignore[attr-defined]
            issued = await session.scalar(
                select(func.count())
                .select_from(Credential)
                .where(Credential.election_id == election.id)
            )
            await record(
                session,
                action="voting_codes.issued",
                actor=None,
                payload={"credentials": int(issued or 0)},
                chain=election_chain(election.id),
            )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


async def open_poll(
    session: AsyncSession, settings: Settings, election: Election, now: datetime
) -> bool:
    """Open one election whose window is open; False when another caller claimed it just now
    (that caller issues the codes; a later pass resumes if it died)."""
    if election.voting_opened_at is None and not await _claim(session, election, now):
        return False
    await freeze_electorate(session, election, now)
    while await issue_batch(session, settings, election):
        pass
    await _finish(session, election, now)
    return True


async def open_due_polls(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Open every election whose voting window is open and whose codes are not all issued;
    the ids of those this call opened or completed."""
    waiting = await session.scalars(
        select(Election).where(
            Election.voting_open_at <= now,
            Election.voting_close_at > now,
            Election.voting_codes_issued_at.is_(None),
        )
    )
    done: list[int] = []
    for election in list(waiting):
        if lifecycle.phase(election, now) is not Phase.VOTING_OPEN:
            continue  # cancelled, or candidates not yet published
        if await open_poll(session, settings, election, now):
            log.info("poll open: every elector has a voting code", election=election.id)
            done.append(election.id)
    return done


async def one_pass(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """What the background task and ``governance voting open`` do each time."""
    async with sessions() as session:
        await open_due_polls(session, settings, clock.now())
    async with sessions() as session:
        await reminders.send_due(session, settings, clock.now())


async def _run(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await one_pass(sessions, settings)
        except (SQLAlchemyError, OSError):
            # The database may be restarting: log, wait, try again rather than die.
            log.exception("voting pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.voting_poll_seconds)


@asynccontextmanager
async def voting_in_process(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan hook: open due polls and send due reminders from this process
    (GOVERNANCE_VOTING_IN_PROCESS=0 turns it off, e.g. where a cron job runs the command)."""
    settings = cast(Settings, app.state["settings"])
    if not settings.voting_in_process:
        yield
        return
    engine = create_engine(settings.database_url)
    stop = asyncio.Event()
    task = asyncio.create_task(
        _run(async_sessionmaker(engine, expire_on_commit=False), settings, stop),
        name="voting opener",
    )
    try:
        yield
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()
