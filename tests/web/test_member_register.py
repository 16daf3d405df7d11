"""The register's admin pages: list, search (plain GET and htmx), add, edit, lapse and reinstate,
each change audited with the values before and after."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user, post_form, sign_in

from governance.audit.models import AuditEvent
from governance.members.models import Member
from governance.security.roles import Role

NEW_MEMBER = {
    "membership_number": "T-1001",
    "name": "Grace  Hopper",
    "email": "Grace@Example.org",
    "organisation": '=HYPERLINK("http://evil")',
    "region": "East Midlands",
    "category": "trust leader",
    "status": "active",
    "joined_on": "2024-09-01",
}


async def _admin(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")


async def _add(client: AsyncTestClient[Any], **changes: str) -> Any:
    return await post_form(
        client, "/admin/members/new", "/admin/members", {**NEW_MEMBER, **changes}
    )


async def test_adding_a_member_stores_clean_values_and_audits_them(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _add(client)
    assert response.status_code == 303
    member = await db.scalar(select(Member).where(Member.membership_number == "T-1001"))
    assert member is not None
    assert (member.name, member.email) == ("Grace Hopper", "grace@example.org")
    assert member.organisation == '=HYPERLINK("http://evil")', "stored verbatim, as text"
    page = await client.get(response.headers["location"])
    assert "=HYPERLINK(&#34;http://evil&#34;)" in page.text or "=HYPERLINK(&quot;" in page.text
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "member.added"))
    assert event is not None and event.actor == "admin@example.org"
    assert event.payload["after"]["membership_number"] == "T-1001"


async def test_a_bad_member_form_names_each_field_and_stores_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _add(
        client, membership_number="", email="bob@", status="retired", joined_on="1/9/24"
    )
    assert response.status_code == 422
    for message in (
        "Enter the membership number.",
        "Enter an email address like name@example.org.",
        "Choose active, lapsed or suspended.",
        "Enter the date as YYYY-MM-DD",
    ):
        assert message in response.text
    assert await db.scalar(select(Member.id)) is None


async def test_a_duplicate_membership_number_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    await _add(client)
    response = await _add(client, email="other@example.org")
    assert response.status_code == 422
    assert "Another member has this membership number." in response.text


async def test_editing_records_before_and_after(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    location = (await _add(client)).headers["location"]
    response = await post_form(
        client, f"{location}/edit", f"{location}/edit", {**NEW_MEMBER, "region": "West Midlands"}
    )
    assert response.status_code == 303
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "member.changed"))
    assert event is not None
    assert event.payload["before"]["region"] == "East Midlands"
    assert event.payload["after"]["region"] == "West Midlands"


async def test_lapsing_and_reinstating_need_a_reason_and_are_audited(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    location = (await _add(client)).headers["location"]
    refused = await post_form(
        client, location, f"{location}/status", {"status": "lapsed", "reason": ""}
    )
    assert refused.status_code == 422 and "Give a reason" in refused.text
    lapsed = await post_form(
        client,
        location,
        f"{location}/status",
        {"status": "lapsed", "reason": "subscription unpaid"},
    )
    assert lapsed.status_code == 303
    await post_form(client, location, f"{location}/status", {"status": "active", "reason": "paid"})
    events = list(
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "member.status").order_by(AuditEvent.seq)
        )
    )
    assert [(e.payload["before"]["status"], e.payload["after"]["status"]) for e in events] == [
        ("active", "lapsed"),
        ("lapsed", "active"),
    ]
    assert events[0].payload["reason"] == "subscription unpaid"


async def test_search_filters_by_text_status_and_region_with_and_without_htmx(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    await _add(client)
    await _add(
        client,
        membership_number="T-2",
        name="Alan Turing",
        email="alan@example.org",
        region="North West",
    )
    page = await client.get("/admin/members?q=turing")
    assert "Alan Turing" in page.text and "Grace Hopper" not in page.text
    assert "<html" in page.text
    fragment = await client.get(
        "/admin/members?region=East+Midlands", headers={"HX-Request": "true"}
    )
    assert "Grace Hopper" in fragment.text and "Alan Turing" not in fragment.text
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    lapsed = await client.get("/admin/members?status=lapsed")
    assert "0 members match." in lapsed.text


async def test_the_register_is_for_admins_only(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "scrutineer@example.org", {Role.SCRUTINEER})
    await sign_in(client, "scrutineer@example.org")
    assert (await client.get("/admin/members")).status_code == 403
    await client.get("/")
    assert (await client.get("/admin/members/999")).status_code == 403
