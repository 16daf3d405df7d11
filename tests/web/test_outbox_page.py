"""The admin outbox page: listing, reading a message's text, test messages, sending again."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user, post_form, sign_in

from governance.app import create_app
from governance.audit.models import AuditEvent
from governance.config import Settings
from governance.notify.models import OutboxMessage
from governance.notify.service import PAGE_SIZE, enqueue
from governance.security.roles import Role

ADMIN = "admin@example.org"
LINK = "http://testserver.local/activate/one-time-token"


async def queue(db: AsyncSession, to: str, sender: str = "Returning Officer") -> OutboxMessage:
    message = await enqueue(
        db, to=to, template="test_message", context={"sender": sender, "link": LINK}
    )
    await db.commit()
    return message


async def signed_in_admin(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, ADMIN, {Role.ADMIN})
    assert (await sign_in(client, ADMIN)).status_code == 303


async def test_admin_sees_waiting_messages_newest_first_when_no_smtp_is_configured(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    await queue(db, "first@example.org")
    await queue(db, "second@example.org")
    page = await client.get("/admin/outbox")
    assert page.status_code == 200
    assert '<a href="/admin/outbox">Outbox</a>' in page.text, "the nav links to the outbox"
    assert "No SMTP server is configured" in page.text
    assert page.text.index("second@example.org") < page.text.index("first@example.org")
    assert "<caption>Messages, newest first</caption>" in page.text
    assert "Waiting: 2" in page.text and "Test message from Governance" in page.text


async def test_a_waiting_message_shows_its_text_with_links_to_follow(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    queued = await queue(db, "ann@example.org", sender="<script>alert(1)</script>")
    page = await client.get(f"/admin/outbox/{queued.id}")
    assert page.status_code == 200
    assert f'<a href="{LINK}" rel="noopener">{LINK}</a>' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text


async def test_with_smtp_configured_the_text_is_not_shown(
    settings: Settings, db: AsyncSession
) -> None:
    smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", outbox_in_process=False)
    async with AsyncTestClient(app=create_app(smtp), base_url="http://testserver.local") as client:
        await signed_in_admin(client, db)
        queued = await queue(db, "ann@example.org")
        listing = await client.get("/admin/outbox")
        page = await client.get(f"/admin/outbox/{queued.id}")
    assert "No SMTP server is configured" not in listing.text
    assert "one-time links meant for the recipient alone" in page.text
    assert LINK not in page.text


async def test_the_outbox_is_refused_to_anyone_but_an_admin(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    queued = await queue(db, "ann@example.org")
    anonymous = await client.get("/admin/outbox", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login")
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await sign_in(client, "ro@example.org")
    for path in ("/admin/outbox", f"/admin/outbox/{queued.id}"):
        response = await client.get(path)
        assert response.status_code == 403
        assert "This page is for an administrator" in response.text
        assert LINK not in response.text
    assert "/admin/outbox" not in (await client.get("/")).text, "no nav link for a non-admin"


async def test_an_admin_queues_a_test_message(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    response = await post_form(
        client, "/admin/outbox", "/admin/outbox/test", {"email": "check@example.org"}
    )
    assert response.status_code == 303
    [queued] = await db.scalars(select(OutboxMessage))
    assert response.headers["location"] == f"/admin/outbox/{queued.id}"
    assert (queued.recipient, queued.state) == ("check@example.org", "pending")
    assert "http://127.0.0.1:8000/admin/outbox" in queued.text_body
    [event] = await db.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.test_queued"))
    assert (event.actor, event.payload) == (ADMIN, {"recipient": "check@example.org"})


async def test_a_test_message_to_a_bad_address_is_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    response = await post_form(client, "/admin/outbox", "/admin/outbox/test", {"email": "nope"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.text and "not an email address" in response.text
    assert list(await db.scalars(select(OutboxMessage))) == []


async def test_a_failed_message_can_be_sent_again(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    queued = await queue(db, "ann@example.org")
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == queued.id)
        .values(state="failed", attempts=8, last_error="550 5.1.1 No such mailbox")
    )
    await db.commit()
    page = f"/admin/outbox/{queued.id}"
    assert "550 5.1.1 No such mailbox" in (await client.get(page)).text
    response = await post_form(client, page, f"{page}/send-again", {})
    assert (response.status_code, response.headers["location"]) == (303, page)
    row = await db.get(OutboxMessage, queued.id, populate_existing=True)
    assert row is not None and (row.state, row.attempts) == ("pending", 0)
    again = await post_form(client, page, f"{page}/send-again", {})
    assert again.status_code == 409, "only a failed message is sent again"


async def test_an_unknown_message_is_a_404(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await signed_in_admin(client, db)
    assert (await client.get("/admin/outbox/999")).status_code == 404


async def test_the_list_pages_back_to_older_messages(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await signed_in_admin(client, db)
    for number in range(PAGE_SIZE + 1):
        await enqueue(
            db,
            to=f"member{number}@example.org",
            template="test_message",
            context={"sender": "x", "link": LINK},
        )
    await db.commit()
    first = await client.get("/admin/outbox")
    assert "member0@example.org" not in first.text
    assert f"member{PAGE_SIZE}@example.org" in first.text
    assert '<a href="/admin/outbox?before=2">Older messages</a>' in first.text
    older = await client.get("/admin/outbox?before=2")
    assert "member0@example.org" in older.text and "member1@example.org" not in older.text
    assert "Older messages" not in older.text
