"""A member checks their register entry and lodges a challenge; staff accept (correcting the
register) or reject it with a reason; every decision is audited and mailed to the member."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import PASSWORD, link_account, make_member, make_user, post_form, sign_in

from governance import clock
from governance.accounts.models import User
from governance.audit.models import AuditEvent
from governance.challenges.models import RollChallenge
from governance.members.models import Member
from governance.notify.models import OutboxMessage
from governance.security.roles import Role


async def _member_account(db: AsyncSession) -> Member:
    member = await make_member(
        db,
        "T-9",
        "Ada Lovelace",
        email="ada@example.org",
        organisation="Analytical Trust",
        region="London",
    )
    await link_account(db, member)
    return member


async def _lodge(client: AsyncTestClient[Any], reason: str) -> Any:
    return await post_form(client, "/account", "/account/challenges", {"reason": reason})


async def test_a_member_sees_their_entry_and_lodges_one_challenge_at_a_time(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _member_account(db)
    await sign_in(client, "ada@example.org")
    page = await client.get("/account")
    assert page.status_code == 200 and "Analytical Trust" in page.text
    assert (await _lodge(client, "")).status_code == 422
    assert (await _lodge(client, "My region is South East, not London.")).status_code == 303
    second = await _lodge(client, "Also my name.")
    assert second.status_code == 409 and "already have a challenge waiting" in second.text
    assert "Waiting for a decision" in (await client.get("/account")).text


async def test_accepting_corrects_the_register_audits_and_tells_the_member(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    member = await _member_account(db)
    await sign_in(client, "ada@example.org")
    await _lodge(client, "My region is South East, not London.")
    await post_form(client, "/", "/logout", {})
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await sign_in(client, "ro@example.org")
    queue = await client.get("/admin/challenges")
    assert "My region is South East" in queue.text
    challenge = await db.scalar(select(RollChallenge))
    assert challenge is not None
    page = f"/admin/challenges/{challenge.id}"
    fields = {
        "membership_number": "T-9",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "organisation": "Analytical Trust",
        "region": "South East",
        "category": "",
        "status": "active",
        "joined_on": "",
        "outcome": "accept",
    }
    missing_reason = await post_form(client, page, page, {**fields, "decision": ""})
    assert missing_reason.status_code == 422
    decided = await post_form(
        client, page, page, {**fields, "decision": "Confirmed with the trust."}
    )
    assert decided.status_code == 303
    await db.refresh(member)
    await db.refresh(challenge)
    assert member.region == "South East" and challenge.state == "accepted"
    actions = list(await db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert "challenge.lodged" in actions
    assert actions[-2:] == ["member.changed", "challenge.accepted"], "one transaction, in order"
    mail = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "challenge_decided")
    )
    assert mail is not None and mail.recipient == "ada@example.org"
    assert "accepted" in mail.subject and "Confirmed with the trust." in mail.text_body
    assert (await client.get(page)).status_code == 409, (
        "a decided challenge cannot be decided again"
    )


async def test_rejecting_leaves_the_register_and_mails_the_reason(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    member = await _member_account(db)
    await sign_in(client, "ada@example.org")
    await _lodge(client, "I should be in the North region.")
    await post_form(client, "/", "/logout", {})
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")
    challenge = await db.scalar(select(RollChallenge))
    assert challenge is not None
    page = f"/admin/challenges/{challenge.id}"
    fields = {
        "membership_number": "T-9",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "organisation": "Analytical Trust",
        "region": "North",
        "category": "",
        "status": "active",
        "joined_on": "",
        "outcome": "reject",
        "decision": "Your trust is registered in London.",
    }
    assert (await post_form(client, page, page, fields)).status_code == 303
    await db.refresh(member)
    assert member.region == "London"
    mail = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "challenge_decided")
    )
    assert mail is not None and "not accepted" in mail.subject


async def test_the_queue_is_for_staff_and_the_roll_check_for_members(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _member_account(db)
    await sign_in(client, "ada@example.org", PASSWORD)
    assert (await client.get("/admin/challenges")).status_code == 403
    await post_form(client, "/", "/logout", {})
    await make_user(db, "scrutineer@example.org", {Role.SCRUTINEER})
    await sign_in(client, "scrutineer@example.org")
    assert (await client.get("/admin/challenges")).status_code == 403
    assert (await client.get("/account")).status_code == 403


async def test_the_roll_check_says_where_the_member_may_stand_and_vote_and_why_not(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    from datetime import timedelta

    from governance.bodies.models import Body
    from governance.elections.models import Contest, Election

    await _member_account(db)
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    officer = await db.scalar(select(User.id).where(User.email == "ro@example.org"))
    assert officer is not None
    now = clock.now()
    body = Body(name="PAG", description="", seats=36, term_months=36, created_at=now)
    db.add(body)
    await db.flush()
    election = Election(
        body_id=body.id,
        title="PAG 2026",
        returning_officer_id=officer,
        created_at=now,
        announced_at=now,
        nominations_open_at=now + timedelta(days=1),
        nominations_close_at=now + timedelta(days=8),
        voting_open_at=now + timedelta(days=10),
        voting_close_at=now + timedelta(days=12),
        contests=[
            Contest(
                name="London seats",
                seats=2,
                method="stv-scottish",
                stand_rule='region = "London"',
                vote_rule="",
                constraints=[],
            ),
            Contest(
                name="Northern seats",
                seats=2,
                method="stv-scottish",
                stand_rule='region in ("North East", "North West")',
                vote_rule='region in ("North East", "North West")',
                constraints=[],
            ),
        ],
    )
    db.add(election)
    await db.commit()
    await sign_in(client, "ada@example.org")
    page = await client.get("/account")
    assert "PAG 2026</a>: London seats" in page.text
    assert (
        "your region is &#34;London&#34;" in page.text
        or "your region is &quot;London&quot;" in page.text
    )


async def test_nobody_decides_a_challenge_to_their_own_entry(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    member = await make_member(db, "T-10", "Rosa Officer", email="rosa@example.org")
    await make_user(db, "rosa@example.org", {Role.MEMBER, Role.RETURNING_OFFICER}, name="Rosa")
    user = await db.scalar(select(User).where(User.email == "rosa@example.org"))
    assert user is not None
    user.member_id = member.id
    await db.commit()
    await sign_in(client, "rosa@example.org")
    await _lodge(client, "My region should be Wales.")
    challenge = await db.scalar(select(RollChallenge))
    assert challenge is not None
    page = f"/admin/challenges/{challenge.id}"
    fields = {
        "membership_number": "T-10",
        "name": "Rosa Officer",
        "email": "rosa@example.org",
        "organisation": "",
        "region": "Wales",
        "category": "",
        "status": "active",
        "joined_on": "",
        "outcome": "accept",
        "decision": "Mine, so fine.",
    }
    response = await post_form(client, page, page, fields)
    assert response.status_code == 403
    assert "cannot decide a challenge to your own register entry" in response.text
    await db.refresh(challenge)
    assert challenge.state == "open"
