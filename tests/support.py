"""Helpers shared by the web tests: forms with CSRF tokens, signing in, arranging accounts."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.models import User
from governance.accounts.service import NewAccount, create_user
from governance.members.models import Member
from governance.security.roles import Role

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_from(page: Response) -> str:
    match = _CSRF.search(page.text)
    assert match, f"no CSRF field on the page ({page.status_code})"
    return match.group(1)


async def post_form(
    client: AsyncTestClient[Any], page_path: str, action: str, fields: dict[str, str]
) -> Response:
    """Fill in and submit a form the way a browser does: load the page, send its CSRF token."""
    page = await client.get(page_path)
    return await client.post(
        action, data={**fields, "_csrf_token": csrf_from(page)}, follow_redirects=False
    )


async def make_user(
    session: AsyncSession, email: str, roles: set[Role], name: str = "Test Person"
) -> None:
    form = NewAccount(email=email, name=name, password=PASSWORD)
    await create_user(session, form, frozenset(roles), actor="test")
    await session.commit()


async def sign_in(client: AsyncTestClient[Any], email: str, password: str = PASSWORD) -> Response:
    return await post_form(client, "/login", "/login", {"email": email, "password": password})


async def make_member(session: AsyncSession, number: str, name: str, **fields: Any) -> Member:
    """A register entry with explicit values for what the test relies on (active by default)."""
    now = clock.now()
    values: dict[str, Any] = {
        "email": f"{number.lower()}@example.org",
        "organisation": "",
        "region": "",
        "category": "",
        "status": "active",
        "attributes": {},
        **fields,
    }
    member = Member(membership_number=number, name=name, created_at=now, updated_at=now, **values)
    session.add(member)
    await session.commit()
    return member


async def link_account(session: AsyncSession, member: Member) -> None:
    """Give a member a signed-up account (role member) with the test password."""
    await make_user(session, member.email, {Role.MEMBER}, name=member.name)
    user = await session.scalar(select(User).where(User.email == member.email))
    assert user is not None
    user.member_id = member.id
    await session.commit()
