"""Form fields are bounded by what stores them: an over-long name or a number too large for its
column is a message beside the field (422) and nothing is stored, on SQLite (which would store
it silently) and on PostgreSQL (which would refuse it with a server error) alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user, post_form, sign_in

from governance import clock
from governance.bodies.models import Body
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.security.roles import Role

BEYOND_64_BITS = "99999999999999999999"  # 2**63 is about 9.2e18
BEYOND_INT4 = "3000000000"  # fits 64 bits, not PostgreSQL's integer columns
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def assert_beside(response: Any, field: str, message: str) -> None:
    """The page came back refused, with ``message`` in the error paragraph of ``field``."""
    assert response.status_code == 422, response.text
    found = re.search(rf'id="{field}-error">(.*?)</p>', response.text, re.DOTALL)
    assert found, f"no error beside {field}"
    assert message in found.group(1)


async def _count(db: AsyncSession, model: type[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def _sign_in_as(client: AsyncTestClient[Any], db: AsyncSession, role: Role) -> None:
    await make_user(db, "staff@example.org", {role})
    await sign_in(client, "staff@example.org")


# --- The register -------------------------------------------------------------------------

MEMBER = {
    "membership_number": "PAG-0001",
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "organisation": "",
    "region": "",
    "category": "",
    "status": "active",
    "joined_on": "",
}


async def _add_member(client: AsyncTestClient[Any], **changes: str) -> Any:
    return await post_form(client, "/admin/members/new", "/admin/members", {**MEMBER, **changes})


async def test_an_over_long_member_name_is_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_member(client, name="N" * 201)
    assert_beside(response, "name", "Use at most 200 characters.")
    assert await _count(db, Member) == 0


async def test_an_over_long_membership_number_and_region_are_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_member(client, membership_number="9" * 65, region="R" * 121)
    assert_beside(response, "membership_number", "Use at most 64 characters.")
    assert_beside(response, "region", "Use at most 120 characters.")
    assert await _count(db, Member) == 0


async def test_a_name_as_long_as_the_column_is_stored(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_member(client, name="N" * 200)
    assert response.status_code == 303
    assert await _count(db, Member) == 1


# --- Bodies -------------------------------------------------------------------------------

BODY = {
    "name": "Policy Advisory Group",
    "description": "",
    "seats": "2",
    "term_months": "36",
    "categories": "",
}


async def _add_body(client: AsyncTestClient[Any], **changes: str) -> Any:
    return await post_form(client, "/admin/bodies", "/admin/bodies", {**BODY, **changes})


async def test_seats_beyond_64_bits_are_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_body(client, seats=BEYOND_64_BITS)
    assert_beside(response, "seats", "Enter a whole number of at most 2147483647.")
    assert await _count(db, Body) == 0


async def test_seats_beyond_the_integer_column_are_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_body(client, seats=BEYOND_INT4, term_months=BEYOND_INT4)
    assert_beside(response, "seats", "Enter a whole number of at most 2147483647.")
    assert_beside(response, "term_months", "Enter a whole number of at most 2147483647.")
    assert await _count(db, Body) == 0


async def test_an_over_long_body_name_or_category_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _sign_in_as(client, db, Role.ADMIN)
    response = await _add_body(client, name="B" * 201)
    assert_beside(response, "name", "Use at most 200 characters.")
    category = await _add_body(client, categories=f"{'C' * 121} = 1")
    assert category.status_code == 422
    assert "Line 1: Use at most 120 characters." in category.text
    huge = await _add_body(client, categories=f"East = {BEYOND_64_BITS}")
    assert huge.status_code == 422 and "Line 1: write each category as" in huge.text
    assert await _count(db, Body) == 0


# --- Elections, contests and copies -------------------------------------------------------

ELECTION = {
    "title": "Policy Advisory Group 2026",
    "description": "",
    "nominations_open_at": "2026-03-02T09:00",
    "nominations_close_at": "2026-03-16T17:00",
    "voting_open_at": "2026-04-01T09:00",
    "voting_close_at": "2026-04-15T17:00",
    "statement_word_limit": "250",
    "proposers_required": "1",
    "seconders_required": "1",
    "max_supports_per_member": "2",
    "ballot_order": "alphabetical",
}
CONTEST = {"name": "Regional seats", "seats": "3", "method": "stv-scottish"}


async def _returning_officer(client: AsyncTestClient[Any], db: AsyncSession) -> int:
    clock.set_clock(lambda: NOW)
    body = Body(name="PAG", description="", seats=9, term_months=36, created_at=NOW)
    db.add(body)
    await db.commit()
    await _sign_in_as(client, db, Role.RETURNING_OFFICER)
    return body.id


async def _new_election(client: AsyncTestClient[Any], body_id: int, **changes: str) -> Any:
    fields = {**ELECTION, "body_id": str(body_id), **changes}
    return await post_form(client, "/ro/elections/new", "/ro/elections", fields)


async def test_an_election_setting_beyond_64_bits_is_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    body_id = await _returning_officer(client, db)
    response = await _new_election(client, body_id, statement_word_limit=BEYOND_64_BITS)
    assert_beside(response, "statement_word_limit", "at most 2147483647")
    longer = await _new_election(client, body_id, title="T" * 201)
    assert_beside(longer, "title", "Use at most 200 characters.")
    assert await _count(db, Election) == 0


async def test_a_body_id_beyond_64_bits_names_no_body(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _returning_officer(client, db)
    response = await _new_election(client, int(BEYOND_INT4))
    assert_beside(response, "body_id", "Choose the body this election fills.")
    huge = await post_form(
        client, "/ro/elections/new", "/ro/elections", {**ELECTION, "body_id": BEYOND_64_BITS}
    )
    assert_beside(huge, "body_id", "Choose the body this election fills.")
    assert await _count(db, Election) == 0


async def test_contest_seats_beyond_64_bits_or_an_over_long_name_are_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    body_id = await _returning_officer(client, db)
    location = (await _new_election(client, body_id)).headers["location"]
    page, action = f"{location}/contests/new", f"{location}/contests"
    seats = await post_form(client, page, action, {**CONTEST, "seats": BEYOND_64_BITS})
    assert_beside(seats, "seats", "Enter a whole number of at most 2147483647.")
    name = await post_form(client, page, action, {**CONTEST, "name": "C" * 201})
    assert_beside(name, "name", "Use at most 200 characters.")
    assert await _count(db, Contest) == 0


async def test_a_copy_shifted_beyond_64_bits_of_days_is_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    body_id = await _returning_officer(client, db)
    location = (await _new_election(client, body_id)).headers["location"]
    for days in (BEYOND_64_BITS, f"-{BEYOND_64_BITS}"):
        response = await post_form(client, location, f"{location}/copy", {"shift_days": days})
        assert_beside(response, "shift_days", "Enter a whole number of days, at most 3650.")
    assert await _count(db, Election) == 1
