"""The sender: claims due messages from the outbox, delivers them over SMTP, records each outcome.

Several senders may run at once (in every app worker, or as ``governance outbox work``
processes). A claim is one short transaction that moves due rows to ``sending`` under a token of
its own: on PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``, so concurrent senders
take different rows without waiting; on SQLite the single UPDATE holds the database's write lock,
so there is one claimant at a time. SMTP runs outside any transaction. Every outcome is written
only where the row still carries the claim's token, so a sender that outlived its lease cannot
overwrite the sender that took the row next.

A sender that dies mid-send leaves its rows in ``sending``; once the lease has run out they are
due again. That is the one case in which a message can reach the server twice (the server took it
but the sender died before recording so); it keeps its Message-ID, so mail software can tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, cast

import structlog
from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from governance import clock
from governance.config import Settings
from governance.db import create_engine, is_sqlite
from governance.notify.compose import email_message
from governance.notify.fillers import MissingFiller, fill
from governance.notify.models import OutboxMessage, OutboxState
from governance.notify.smtp import Outcome, Relay

if TYPE_CHECKING:
    from litestar import Litestar

log = structlog.get_logger(__name__)

BATCH_SIZE = 10
# Longer than a batch can take (BATCH_SIZE sends, each bounded by the SMTP timeout), so a live
# sender keeps its rows; a dead one's rows come back within this time.
LEASE = timedelta(minutes=15)
MAX_RETRY_DELAY = timedelta(hours=6)
STOP_GRACE_SECONDS = 10.0


@dataclass(slots=True)
class Tally:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def count(self, state: str) -> None:
        if state == OutboxState.SENT:
            self.sent += 1
        elif state == OutboxState.FAILED:
            self.failed += 1
        else:
            self.retrying += 1


@dataclass(frozen=True, slots=True)
class Batch:
    claimed_at: datetime
    messages: Sequence[OutboxMessage]


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff: the first retry after ``outbox_retry_seconds``, each next one twice
    as late, never more than six hours.
    """
    seconds = settings.outbox_retry_seconds * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        batch_size: int = BATCH_SIZE,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._batch_size = batch_size
        self._lease = lease
        self._sqlite = is_sqlite(settings.database_url)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def _due(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.next_attempt_at <= now,
            ),
            and_(
                OutboxMessage.state == OutboxState.SENDING.value,
                OutboxMessage.claimed_at <= now - self._lease,
            ),
        )

    async def claim(self) -> Batch:
        """Take up to one batch of due messages for this sender, in one short transaction."""
        now = clock.now()
        picked = (
            select(OutboxMessage.id)
            .where(self._due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self._batch_size)
        )
        async with self._sessions() as session, session.begin():
            if self._sqlite:
                # One statement, run under SQLite's single write lock: one claimant at a time.
                chosen: Select[int] | list[int] = picked
            else:
                # Locked here and skipped by every other sender until this transaction ends. Not
                # as a subquery of the UPDATE: PostgreSQL may rescan it and claim past the LIMIT.
                chosen = list(await session.scalars(picked.with_for_update(skip_locked=True)))
            claimed = list(await session.scalars(self._claim_statement(chosen, now)))
        return Batch(claimed_at=now, messages=sorted(claimed, key=lambda message: message.id))

    def _claim_statement(
        self, chosen: Select[int] | list[int], now: datetime
    ) -> ReturningUpdate[OutboxMessage]:
        return (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen), self._due(now))
            .values(
                state=OutboxState.SENDING.value,
                claimed_by=f"{self.name}:{secrets.token_hex(4)}",
                claimed_at=now,
                # Counted at the claim, so a message that kills its sender still runs out.
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        )

    async def deliver_due(self, stop: asyncio.Event | None = None) -> Tally:
        """Deliver every message that is due, batch by batch, until none is (or ``stop``)."""
        tally = Tally()
        while not (stop and stop.is_set()) and (batch := await self.claim()).messages:
            await self.deliver(batch, tally)
        return tally

    async def deliver(self, batch: Batch, tally: Tally) -> None:
        """Send a claimed batch over one SMTP connection, recording each message's outcome."""
        async with Relay(self._settings) as relay:
            for message in batch.messages:
                if not self._lease_left(batch.claimed_at):
                    continue  # left for the next claimant rather than risk a second copy
                try:
                    email = self._email(message)
                except MissingFiller as error:
                    # Another process (with the feature registered) may send it: retry, loudly.
                    outcome = Outcome(f"cannot be completed here: {error}", permanent=False)
                except ValueError as error:  # a header the email package refuses to write
                    outcome = Outcome(f"cannot be written as an email: {error}", permanent=True)
                else:
                    outcome = await relay.send(email)
                await self._record(message, outcome, tally)

    def _lease_left(self, claimed_at: datetime) -> bool:
        one_send = timedelta(seconds=4 * self._settings.smtp_timeout_seconds)
        return clock.now() + one_send < claimed_at + self._lease

    def _email(self, message: OutboxMessage) -> EmailMessage:
        # Placeholders are filled here, at send time, and never written back (notify/fillers.py).
        return email_message(
            key=message.key,
            mail_from=self._settings.mail_from,
            recipient=message.recipient,
            subject=message.subject,
            text=fill(self._settings, message.text_body),
            html=fill(self._settings, message.html_body),
            created_at=message.created_at,
        )

    def _outcome_values(self, message: OutboxMessage, outcome: Outcome) -> dict[str, object]:
        now = clock.now()
        error = outcome.error[:1000] if outcome.error else None
        if outcome.delivered:
            # The bodies may hold one-time links, which are otherwise stored only as keyed hashes:
            # once the server has the message, the database need not.
            return {"state": OutboxState.SENT.value, "sent_at": now, "last_error": None,
                    "text_body": "", "html_body": ""}  # fmt: skip
        if outcome.permanent or message.attempts >= self._settings.outbox_max_attempts:
            return {"state": OutboxState.FAILED.value, "last_error": error}
        delay = retry_delay(self._settings, message.attempts)
        return {"state": OutboxState.PENDING.value, "next_attempt_at": now + delay,
                "last_error": error}  # fmt: skip

    async def _record(self, message: OutboxMessage, outcome: Outcome, tally: Tally) -> None:
        values = self._outcome_values(message, outcome)
        guarded = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.claimed_by == message.claimed_by,
                OutboxMessage.state == OutboxState.SENDING.value,
            )
            .values(values)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions() as session, session.begin():
            kept = await session.scalar(guarded)
        if kept is None:
            log.warning("outbox lease lost before the outcome was recorded", message=message.id)
            return
        tally.count(str(values["state"]))
        if not outcome.delivered:
            log.warning("mail not delivered", message=message.id, error=outcome.error)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``: deliver what is due, then wait ``outbox_poll_seconds``."""
        while not stop.is_set():
            try:
                await self.deliver_due(stop)
            except (SQLAlchemyError, OSError):
                # The database may be restarting: log, wait, poll again rather than die.
                log.exception("outbox pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.outbox_poll_seconds)


@asynccontextmanager
async def running_sender(settings: Settings) -> AsyncIterator[Sender]:
    """A sender polling in a background task on its own small engine, stopped on exit."""
    engine = create_engine(settings.database_url)
    sender = Sender(async_sessionmaker(engine, expire_on_commit=False), settings)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop), name="outbox sender")
    task.add_done_callback(_report_end)
    try:
        yield sender
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            log.warning("outbox sender stopped mid-send; its lease will expire")
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()


def _report_end(task: asyncio.Task[None]) -> None:
    """A sender that died of an unexpected error says so at once, not at shutdown."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("outbox sender stopped", exc_info=error)


@asynccontextmanager
async def outbox_in_process(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan hook: send mail from this process unless SMTP is not configured or
    separate ``governance outbox work`` processes do it (GOVERNANCE_OUTBOX_IN_PROCESS=0).
    """
    settings = cast(Settings, app.state["settings"])
    if not settings.smtp_host:
        log.info("no SMTP server configured: mail stays in the outbox (see /admin/outbox)")
    if not (settings.smtp_host and settings.outbox_in_process):
        yield
        return
    async with running_sender(settings):
        yield


async def work(settings: Settings, *, once: bool) -> Tally:
    """``governance outbox work``: deliver what is due and return, or poll until SIGINT/SIGTERM."""
    engine = create_engine(settings.database_url)
    sender = Sender(async_sessionmaker(engine, expire_on_commit=False), settings)
    try:
        if once:
            return await sender.deliver_due()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        await sender.run(stop)
        return Tally()
    finally:
        await engine.dispose()
