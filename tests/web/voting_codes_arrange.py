"""Arrangements for the voting-code and voting-mail web tests (no tests here): an open poll
whose codes are issued, run by a returning officer who can sign in."""

from __future__ import annotations

import re
from typing import Any

from httpx import Response
from integration.voting_arrange import DURING, at, election, register
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user

from governance.accounts.models import User
from governance.config import Settings
from governance.elections.models import Election
from governance.security.roles import Role
from governance.voting import codes
from governance.voting.opening import open_due_polls

OFFICER = "officer@example.org"
_CSRF_FIELD = re.compile(r'name="_csrf_token" value="[^"]+"')


async def open_poll(
    db: AsyncSession, settings: Settings, electors: int = 3, prefix: str = "PAG"
) -> tuple[Election, list[int]]:
    """An election whose poll is open at DURING, run by OFFICER, with codes issued."""
    held = await election(db)
    members = await register(db, electors, prefix=prefix)
    officer = await db.scalar(select(User.id).where(User.email == OFFICER))
    if officer is None:
        await make_user(db, OFFICER, {Role.RETURNING_OFFICER}, name="Rowan Officer")
        officer = await db.scalar(select(User.id).where(User.email == OFFICER))
    held.returning_officer_id = int(officer or 0)
    await db.commit()
    at(DURING)
    await open_due_polls(db, settings, DURING)
    return held, members


def code_of(settings: Settings, election_id: int, member_id: int, generation: int = 1) -> str:
    return codes.grouped(codes.derive(settings.secret_key, election_id, member_id, generation))


async def enter(client: AsyncTestClient[Any], code: str) -> Response:
    page = await client.get("/vote/code")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return await client.post(
        "/vote/code", data={"code": code, "_csrf_token": token.group(1)}, follow_redirects=False
    )


def without_token(page: Response) -> str:
    """The page's text with its per-request CSRF token blanked, to compare two answers."""
    return _CSRF_FIELD.sub('name="_csrf_token" value=""', page.text)
