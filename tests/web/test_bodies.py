"""Bodies: seats and categories add up, holders are recorded by hand within the seats, nobody
holds two seats at once, resignations are recorded with a date; all audited."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_member, make_user, post_form, sign_in

from governance.audit.models import AuditEvent
from governance.bodies.models import Body, SeatHolding
from governance.security.roles import Role


async def _admin(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")


async def _members(db: AsyncSession, count: int) -> None:
    for number in range(1, count + 1):
        await make_member(db, f"M{number}", f"Member {number}", region="East")


async def _body(client: AsyncTestClient[Any], **fields: str) -> Any:
    form = {
        "name": "Policy Advisory Group",
        "seats": "2",
        "term_months": "36",
        "categories": "East Midlands = 1",
        "description": "",
    }
    return await post_form(client, "/admin/bodies", "/admin/bodies", {**form, **fields})


async def test_a_body_is_created_with_its_seat_categories(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _body(client)
    assert response.status_code == 303
    body = await db.scalar(select(Body))
    assert body is not None and body.seats == 2
    assert [(c.name, c.seats) for c in body.categories] == [("East Midlands", 1)]
    page = await client.get(response.headers["location"])
    assert "0 of 2 seats held." in page.text
    assert await db.scalar(select(AuditEvent).where(AuditEvent.action == "body.created"))


async def test_categories_cannot_reserve_more_seats_than_the_body_has(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _body(client, categories="East = 2\nWest = 1")
    assert response.status_code == 422
    assert "The categories reserve 3 seats but the body has only 2." in response.text
    bad_line = await _body(client, categories="East Midlands")
    assert "Line 1: write each category as" in bad_line.text


async def test_holders_fill_seats_but_never_more_than_there_are(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    await _members(db, 3)
    location = (await _body(client)).headers["location"]
    action = f"{location}/holdings"
    first = await post_form(
        client,
        location,
        action,
        {"membership_number": "M1", "category": "East Midlands", "starts_on": "2026-01-01"},
    )
    assert first.status_code == 303
    same_category = await post_form(
        client,
        location,
        action,
        {"membership_number": "M2", "category": "East Midlands", "starts_on": "2026-02-01"},
    )
    assert same_category.status_code == 422
    assert "All 1 seats for East Midlands are already held then." in same_category.text
    twice = await post_form(
        client,
        location,
        action,
        {"membership_number": "M1", "category": "", "starts_on": "2026-03-01"},
    )
    assert "This member already holds a seat then." in twice.text
    second = await post_form(
        client,
        location,
        action,
        {"membership_number": "M2", "category": "", "starts_on": "2026-01-01"},
    )
    assert second.status_code == 303
    full = await post_form(
        client,
        location,
        action,
        {"membership_number": "M3", "category": "", "starts_on": "2026-06-01"},
    )
    assert "All 2 seats are already held then." in full.text
    unknown = await post_form(
        client,
        location,
        action,
        {"membership_number": "M99", "category": "", "starts_on": "2026-06-01"},
    )
    assert "No member has this membership number." in unknown.text


async def test_a_resignation_is_recorded_with_its_date_and_frees_the_seat(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    await _members(db, 3)
    location = (await _body(client, categories="")).headers["location"]
    for number in ("M1", "M2"):
        await post_form(
            client,
            location,
            f"{location}/holdings",
            {"membership_number": number, "category": "", "starts_on": "2026-01-01"},
        )
    holding = await db.scalar(select(SeatHolding).order_by(SeatHolding.id))
    assert holding is not None
    before_start = await post_form(
        client,
        location,
        f"{location}/holdings/{holding.id}/end",
        {"ends_on": "2025-01-01", "end_reason": "resigned"},
    )
    assert "The end cannot be before the start (2026-01-01)." in before_start.text
    ended = await post_form(
        client,
        location,
        f"{location}/holdings/{holding.id}/end",
        {"ends_on": "2026-05-31", "end_reason": "resigned"},
    )
    assert ended.status_code == 303
    await db.refresh(holding)
    assert (holding.ends_on.isoformat() if holding.ends_on else None, holding.end_reason) == (
        "2026-05-31",
        "resigned",
    )
    replaced = await post_form(
        client,
        location,
        f"{location}/holdings",
        {"membership_number": "M3", "category": "", "starts_on": "2026-06-01"},
    )
    assert replaced.status_code == 303
    history = await client.get(f"{location}?on=2026-03-01")
    assert "Member 1" in history.text and "Member 3" not in history.text
    actions = set(await db.scalars(select(AuditEvent.action)))
    assert {"body.holding_recorded", "body.holding_ended"} <= actions


async def test_a_holding_is_ended_only_through_its_own_body(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    await _members(db, 1)
    first = (await _body(client, categories="")).headers["location"]
    other = (await _body(client, name="Audit Committee", categories="")).headers["location"]
    await post_form(
        client,
        first,
        f"{first}/holdings",
        {"membership_number": "M1", "category": "", "starts_on": "2026-01-01"},
    )
    holding = await db.scalar(select(SeatHolding))
    assert holding is not None
    wrong = await post_form(
        client,
        other,
        f"{other}/holdings/{holding.id}/end",
        {"ends_on": "2026-05-31", "end_reason": "resigned"},
    )
    assert wrong.status_code == 404
    await db.refresh(holding)
    assert holding.ends_on is None
