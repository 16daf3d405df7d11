"""Helpers shared by the web tests: forms with CSRF tokens, signing in, arranging accounts."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts.models import Role
from governance.accounts.service import NewAccount, create_user

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
