"""Mail through the outbox, delivered to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.app import create_app
from governance.cli import main
from governance.config import Settings
from governance.db import create_engine
from governance.notify.compose import TemplateError, compose
from governance.notify.mailer import LEASE, Sender, Tally
from governance.notify.models import OutboxMessage
from governance.notify.service import UndeliverableAddress, enqueue

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LINK = "https://elections.example.org/admin/outbox"


class Mailbox:
    """An aiosmtpd handler that records what it accepts and replies as a test scripts it."""

    def __init__(self) -> None:
        self.accepted: list[Envelope] = []
        self.data_replies: list[str] = []  # consumed one per DATA, before accepting
        self.refused_recipients: dict[str, str] = {}
        self.delay = 0.0  # seconds each DATA takes, so that concurrent senders overlap

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if reply := self.refused_recipients.get(address):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.accepted.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, message_from_bytes(cast(bytes, e.content), policy=policy.default))
            for e in self.accepted
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler, port = Mailbox(), _free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    yield handler, port
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, mailbox: tuple[Mailbox, int]) -> Settings:
    return dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        smtp_starttls=False,
        smtp_timeout_seconds=5.0,
        mail_from="Elections <elections@example.org>",
        outbox_retry_seconds=60,
    )


SenderFactory = Callable[..., Sender]


@pytest.fixture
async def make_sender(mail_settings: Settings) -> AsyncIterator[SenderFactory]:
    """Senders as separate processes would run them: each with an engine of its own."""
    engines = []

    def factory(settings: Settings = mail_settings, **options: Any) -> Sender:
        engine = create_engine(settings.database_url)
        engines.append(engine)
        return Sender(async_sessionmaker(engine, expire_on_commit=False), settings, **options)

    yield factory
    for engine in engines:
        await engine.dispose()


def frozen_at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


async def queue_test_message(db: AsyncSession, to: str = "ann@example.org") -> OutboxMessage:
    message = await enqueue(
        db, to=to, template="test_message", context={"sender": "Returning Officer", "link": LINK}
    )
    await db.commit()
    return message


async def outbox_row(db: AsyncSession, message_id: int) -> OutboxMessage:
    row = await db.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None
    return row


# --- composing ---------------------------------------------------------------------------------


def test_a_message_renders_its_subject_text_and_escaped_html() -> None:
    composed = compose("test_message", {"sender": "Ann <b>Smith</b>", "link": LINK})
    assert composed.subject == "Test message from Governance"
    assert "Ann <b>Smith</b> asked Governance" in composed.text
    assert LINK in composed.text and "Subject:" not in composed.text
    assert "Ann &lt;b&gt;Smith&lt;/b&gt;" in composed.html
    assert f'<a href="{LINK}">' in composed.html
    assert "<title>Test message from Governance</title>" in composed.html


def test_a_template_name_cannot_reach_outside_the_mail_folder() -> None:
    with pytest.raises(TemplateError):
        compose("../base", {})


async def test_an_address_mail_cannot_go_to_is_refused(db: AsyncSession) -> None:
    with pytest.raises(UndeliverableAddress, match="not an email address"):
        await enqueue(db, to="ann@", template="test_message", context={"sender": "x", "link": "y"})


# --- the outbox is part of the caller's transaction --------------------------------------------


async def test_enqueue_in_a_transaction_that_rolls_back_leaves_no_message(
    db: AsyncSession,
) -> None:
    await enqueue(
        db, to="ann@example.org", template="test_message", context={"sender": "x", "link": LINK}
    )
    await db.flush()
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_enqueue_does_not_commit_for_the_caller(db: AsyncSession, settings: Settings) -> None:
    await enqueue(
        db, to="ann@example.org", template="test_message", context={"sender": "x", "link": LINK}
    )
    await db.flush()
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine)() as other:
            seen = await other.scalar(select(func.count()).select_from(OutboxMessage))
    finally:
        await engine.dispose()
    assert seen == 0, "another connection sees nothing until the caller commits"
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# --- delivery ----------------------------------------------------------------------------------


async def test_a_queued_message_reaches_the_smtp_server_with_both_parts(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    frozen_at(START)
    queued = await queue_test_message(db)
    tally = await make_sender().deliver_due()
    assert tally == Tally(sent=1)
    [envelope], [received] = mailbox[0].accepted, mailbox[0].messages()
    assert envelope.mail_from == "elections@example.org"
    assert envelope.rcpt_tos == ["ann@example.org"]
    assert received["Subject"] == "Test message from Governance"
    assert received["From"] == "Elections <elections@example.org>"
    assert received["To"] == "ann@example.org"
    assert received["Message-ID"] == f"<{queued.key}@example.org>"
    assert received["Date"].datetime == START
    plain, html = received.get_body(("plain",)), received.get_body(("html",))
    assert plain is not None and html is not None
    assert LINK in plain.get_content() and "Returning Officer asked" in plain.get_content()
    assert f'<a href="{LINK}">' in html.get_content()
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts, row.sent_at, row.last_error) == ("sent", 1, START, None)
    assert row.text_body == "" and row.html_body == "", "one-time links are not kept once sent"


async def test_a_refusal_is_recorded_and_the_retry_after_backoff_is_delivered(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    server = mailbox[0]
    server.data_replies = ["451 4.3.0 Mail server busy, try again later"]
    frozen_at(START)
    queued = await queue_test_message(db)
    sender = make_sender()
    assert await sender.deliver_due() == Tally(retrying=1)
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "451 4.3.0 Mail server busy, try again later"
    assert row.next_attempt_at == START + timedelta(seconds=60)
    assert server.accepted == []

    frozen_at(START + timedelta(seconds=59))
    assert await sender.deliver_due() == Tally(), "not due again before the backoff"
    frozen_at(START + timedelta(seconds=60))
    assert await sender.deliver_due() == Tally(sent=1)
    assert len(server.accepted) == 1
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)


async def test_backoff_doubles_and_the_message_fails_after_the_last_attempt(
    db: AsyncSession,
    mailbox: tuple[Mailbox, int],
    mail_settings: Settings,
    make_sender: SenderFactory,
) -> None:
    mailbox[0].data_replies = ["451 4.3.0 Try later"] * 3
    frozen_at(START)
    queued = await queue_test_message(db)
    sender = make_sender(dataclasses.replace(mail_settings, outbox_max_attempts=3))
    now, delays = START, []
    for _ in range(2):
        assert await sender.deliver_due() == Tally(retrying=1)
        row = await outbox_row(db, queued.id)
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        frozen_at(now)
    assert delays == [timedelta(seconds=60), timedelta(seconds=120)]
    assert await sender.deliver_due() == Tally(failed=1)
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts) == ("failed", 3)
    assert row.text_body, "a failed message keeps its text so it can be sent again"


async def test_a_permanent_refusal_fails_at_once(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    mailbox[0].refused_recipients["gone@example.org"] = "550 5.1.1 No such mailbox"
    queued = await queue_test_message(db, to="gone@example.org")
    assert await make_sender().deliver_due() == Tally(failed=1)
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "550 5.1.1 No such mailbox")


async def test_a_row_that_cannot_be_written_as_an_email_fails_without_stopping_the_queue(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    broken = await queue_test_message(db)
    broken.recipient = "ann@example.org\nBcc: everyone@example.org"  # as if written by hand
    await db.commit()
    fine = await queue_test_message(db, to="bob@example.org")
    assert await make_sender().deliver_due() == Tally(sent=1, failed=1)
    row = await outbox_row(db, broken.id)
    assert row.state == "failed" and row.last_error
    assert row.last_error.startswith("cannot be written as an email")
    assert (await outbox_row(db, fine.id)).state == "sent"
    assert [envelope.rcpt_tos for envelope in mailbox[0].accepted] == [["bob@example.org"]]


async def test_an_unreachable_server_leaves_the_batch_for_a_retry(
    db: AsyncSession, mail_settings: Settings, make_sender: SenderFactory
) -> None:
    frozen_at(START)
    first, second = await queue_test_message(db), await queue_test_message(db)
    closed = dataclasses.replace(mail_settings, smtp_port=_free_port())
    assert await make_sender(closed).deliver_due() == Tally(retrying=2)
    for queued in (first, second):
        row = await outbox_row(db, queued.id)
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.last_error and "SMTPConnect" in row.last_error


# --- several senders ---------------------------------------------------------------------------


async def test_concurrent_claims_take_separate_batches_of_at_most_the_batch_size(
    db: AsyncSession, make_sender: SenderFactory
) -> None:
    for number in range(20):
        await enqueue(
            db,
            to=f"member{number}@example.org",
            template="test_message",
            context={"sender": "x", "link": LINK},
        )
    await db.commit()
    senders = [make_sender(batch_size=3) for _ in range(4)]
    batches = await asyncio.gather(*(sender.claim() for sender in senders))
    claimed = [message.id for batch in batches for message in batch.messages]
    assert all(len(batch.messages) == 3 for batch in batches)
    assert len(set(claimed)) == len(claimed) == 12


async def test_concurrent_senders_deliver_each_message_exactly_once(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    senders = [make_sender(batch_size=3) for _ in range(4)]
    for sender in senders:  # connect each one first, so that none starts with a head start
        assert await sender.deliver_due() == Tally()
    mailbox[0].delay = 0.01
    for number in range(40):
        await enqueue(
            db,
            to=f"member{number}@example.org",
            template="test_message",
            context={"sender": "x", "link": LINK},
        )
    await db.commit()
    tallies = await asyncio.gather(*(sender.deliver_due() for sender in senders))
    assert sum(tally.sent for tally in tallies) == 40
    assert sum(1 for tally in tallies if tally.sent) > 1, "the work was shared"
    recipients = [rcpt for envelope in mailbox[0].accepted for rcpt in envelope.rcpt_tos]
    assert sorted(recipients) == sorted(f"member{n}@example.org" for n in range(40))
    message_ids = {message["Message-ID"] for message in mailbox[0].messages()}
    assert len(message_ids) == 40
    attempts = set(await db.scalars(select(OutboxMessage.attempts)))
    states = set(await db.scalars(select(OutboxMessage.state)))
    assert (attempts, states) == ({1}, {"sent"})


async def test_a_dead_senders_claim_expires_and_it_cannot_send_afterwards(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    frozen_at(START)
    queued = await queue_test_message(db)
    stalled, other = make_sender(), make_sender()
    claim = await stalled.claim()
    assert [message.id for message in claim.messages] == [queued.id]
    assert await other.deliver_due() == Tally(), "a live claim is left alone"

    frozen_at(START + LEASE)
    assert await other.deliver_due() == Tally(sent=1)
    late = Tally()
    await stalled.deliver(claim, late)
    assert late == Tally(), "the first sender's lease is over: it sends nothing"
    assert len(mailbox[0].accepted) == 1
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts) == ("sent", 2)


# --- running senders ---------------------------------------------------------------------------


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_the_app_sends_mail_in_process_when_smtp_is_configured(
    db: AsyncSession, mailbox: tuple[Mailbox, int], mail_settings: Settings
) -> None:
    app = create_app(dataclasses.replace(mail_settings, outbox_poll_seconds=0.05))
    async with AsyncTestClient(app=app):
        queued = await queue_test_message(db)

        async def delivered() -> bool:
            return (await outbox_row(db, queued.id)).state == "sent"

        await _eventually(delivered)
    assert len(mailbox[0].accepted) == 1


async def test_without_smtp_the_app_leaves_mail_in_the_outbox(
    db: AsyncSession, settings: Settings
) -> None:
    async with AsyncTestClient(app=create_app(dataclasses.replace(settings, smtp_host=""))):
        queued = await queue_test_message(db)
        await asyncio.sleep(0.2)
        row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts) == ("pending", 0)


def _cli_environment(settings: Settings) -> dict[str, str]:
    return {
        "GOVERNANCE_DATABASE_URL": settings.database_url,
        "GOVERNANCE_SECRET_KEY": settings.secret_key,
        "GOVERNANCE_SMTP_HOST": settings.smtp_host,
        "GOVERNANCE_SMTP_PORT": str(settings.smtp_port),
        "GOVERNANCE_SMTP_STARTTLS": "0",
        "GOVERNANCE_MAIL_FROM": settings.mail_from,
    }


def test_the_outbox_work_command_delivers_what_is_due_once(
    mail_settings: Settings, mailbox: tuple[Mailbox, int]
) -> None:
    async def arrange() -> None:
        engine = create_engine(mail_settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await queue_test_message(session)
        finally:
            await engine.dispose()

    asyncio.run(arrange())
    result = CliRunner().invoke(
        main, ["outbox", "work", "--once"], env=_cli_environment(mail_settings)
    )
    assert result.exit_code == 0, result.output
    assert "Sent 1, to retry 0, failed 0." in result.output
    assert len(mailbox[0].accepted) == 1


def test_the_outbox_work_command_refuses_to_run_without_smtp(mail_settings: Settings) -> None:
    environment = {**_cli_environment(mail_settings), "GOVERNANCE_SMTP_HOST": ""}
    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env=environment)
    assert result.exit_code == 1
    assert "GOVERNANCE_SMTP_HOST is not set" in result.output


async def test_a_sender_whose_claim_was_taken_over_cannot_record_over_the_new_one(
    db: AsyncSession, mailbox: tuple[Mailbox, int], make_sender: SenderFactory
) -> None:
    frozen_at(START)
    queued = await queue_test_message(db)
    stale, successor = make_sender(), make_sender()
    stale_claim = await stale.claim()
    frozen_at(START + LEASE)
    assert [message.id for message in (await successor.claim()).messages] == [queued.id]
    frozen_at(START + timedelta(seconds=1))  # the stale sender believes its lease still runs
    late = Tally()
    await stale.deliver(stale_claim, late)
    assert late == Tally(), "its outcome was not recorded"
    row = await outbox_row(db, queued.id)
    assert (row.state, row.attempts) == ("sending", 2)
    assert row.claimed_by and row.claimed_by.startswith(successor.name)
