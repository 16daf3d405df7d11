"""Opening the poll exactly once: one claim, one set of codes, one mail per elector, even with
several workers at once or a worker that dies half way (issue 11, items 1 and 2)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from integration.voting_arrange import DURING, election, own_connections, race, register
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance.audit.models import AuditEvent, election_chain
from governance.config import Settings
from governance.db import create_engine
from governance.elections.models import Election
from governance.notify.mailer import Sender
from governance.notify.models import OutboxMessage, OutboxState
from governance.voting import codes
from governance.voting.credentials import issue_batch
from governance.voting.models import Credential, Roll
from governance.voting.opening import open_due_polls, open_if_due

ELECTORS = 30


async def _count(db: AsyncSession, model: type[Any], *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _actions(db: AsyncSession, election_id: int) -> list[str]:
    found = await db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.chain == election_chain(election_id))
        .execution_options(populate_existing=True)
    )
    return list(found)


async def _assert_opened_once(db: AsyncSession, election_id: int, electors: int) -> None:
    db.expire_all()
    assert await _count(db, Credential, Credential.election_id == election_id) == electors
    assert await _count(db, OutboxMessage) == electors, "one mail per elector"
    recipients = await db.scalars(select(OutboxMessage.recipient))
    assert len(set(recipients)) == electors
    actions = await _actions(db, election_id)
    assert actions.count("voting.opened") == 1, "one claim"
    assert actions.count("voting_codes.issued") == 1
    assert actions.count("electorate.frozen") == 1
    linked = await _count(db, Credential, Credential.message_id.is_not(None))
    assert linked == electors, "each credential points at its mail"


async def test_concurrent_workers_open_the_poll_once(db: AsyncSession, settings: Settings) -> None:
    held = await election(db)
    await register(db, ELECTORS)
    async with own_connections(settings.database_url, 8) as sessions:
        outcomes = await race(
            sessions, [lambda s: open_due_polls(s, settings, DURING) for _ in range(8)]
        )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    election_id = held.id
    await _assert_opened_once(db, election_id, ELECTORS)
    stored = await db.get(Election, election_id, populate_existing=True)
    assert stored is not None and stored.voting_opened_at == DURING
    assert stored.voting_codes_issued_at is not None


async def test_an_interrupted_opening_completes_on_the_next_pass_without_duplicates(
    db: AsyncSession, settings: Settings
) -> None:
    held = await election(db)
    await register(db, ELECTORS)
    # A worker claims and freezes, issues one batch, and dies.
    await open_if_due(db, held, DURING)
    assert await issue_batch(db, settings, held, limit=ELECTORS // 2) == ELECTORS // 2
    assert await _count(db, Credential) == ELECTORS // 2
    # The next pass, from another worker, carries on.
    election_id = held.id
    assert await open_due_polls(db, settings, DURING) == [election_id]
    await _assert_opened_once(db, election_id, ELECTORS)
    # And a pass after that finds nothing to do.
    assert await open_due_polls(db, settings, DURING) == []
    assert await _count(db, OutboxMessage) == ELECTORS


async def test_the_request_time_trigger_costs_nothing_once_the_poll_is_open(
    db: AsyncSession, settings: Settings
) -> None:
    held = await election(db)
    await register(db, 3)
    await open_due_polls(db, settings, DURING)
    queries: list[str] = []
    engine = db.get_bind()
    from sqlalchemy import event

    def seen(*args: Any) -> None:
        queries.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        await open_if_due(db, held, DURING)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert queries == []
    assert await _count(db, Roll) == 1


# --- No code rests in the database in clear ---------------------------------------------


class _Mailbox:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.bodies.append(bytes(envelope.content or b""))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[_Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = _Mailbox()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    yield handler, port
    server.stop()


async def _every_text_in(db: AsyncSession, table: str) -> str:
    rows = await db.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - a fixed table name
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


async def test_no_voting_code_is_stored_in_clear_before_or_after_sending(
    db: AsyncSession, settings: Settings, mailbox: tuple[_Mailbox, int]
) -> None:
    held = await election(db)
    members = await register(db, 5)
    await open_due_polls(db, settings, DURING)
    issued = [codes.derive(settings.secret_key, held.id, member, 1) for member in members]
    shown = [codes.grouped(code) for code in issued]

    async def assert_nowhere() -> None:
        for table in ("credentials", "outbox", "audit_events"):
            stored = await _every_text_in(db, table)
            for code, grouped in zip(issued, shown, strict=True):
                assert code not in stored and grouped not in stored, table

    await assert_nowhere()
    queued = await _every_text_in(db, "outbox")
    assert "[[fill:voting-link:" in queued, "the outbox keeps the placeholder"
    handler, port = mailbox
    mail_settings = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    codes.register_fillers()
    engine = create_engine(settings.database_url)
    try:
        sender = Sender(async_sessionmaker(engine, expire_on_commit=False), mail_settings)
        tally = await sender.deliver_due()
    finally:
        await engine.dispose()
    assert tally.sent == 5
    delivered = b"\n".join(handler.bodies).decode()
    for grouped in shown:
        assert f"/vote/link/{grouped}" in delivered, "the mail carries the link with the code"
    assert "[[fill:" not in delivered
    await assert_nowhere()
    db.expire_all()
    states = set(await db.scalars(select(OutboxMessage.state)))
    assert states == {OutboxState.SENT.value}
    await asyncio.sleep(0)
