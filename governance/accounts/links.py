"""One-time links: their keyed hashes, use once, and the first administrator's set-up link.

Only a link's keyed hash is stored; the token itself leaves only in the URL given to its owner.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.models import (
    AccessLink,
    LinkPurpose,
    User,
)
from governance.accounts.service import NewAccount, count_users, create_user
from governance.audit.service import record
from governance.config import Settings
from governance.errors import Gone
from governance.i18n import _
from governance.security import tokens
from governance.security.roles import Role


async def issue_link(
    session: AsyncSession,
    settings: Settings,
    purpose: LinkPurpose,
    lifetime: timedelta,
    *,
    email: str | None = None,
    role: Role | None = None,
    created_by: int | None = None,
    member_id: int | None = None,
) -> str:
    """A new one-time link's token; only its keyed hash is stored (in the caller's transaction)."""
    token = tokens.new_token()
    now = clock.now()
    session.add(
        AccessLink(
            purpose=purpose.value,
            token_hash=tokens.keyed_hash(settings.secret_key, purpose.value, token),
            email=email,
            role=role.value if role else None,
            created_by=created_by,
            member_id=member_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token


async def find_link(
    session: AsyncSession, settings: Settings, purpose: LinkPurpose, token: str
) -> AccessLink:
    """The unused, unexpired link for ``token``, or Gone with the reason a person needs."""
    link = await session.scalar(
        select(AccessLink).where(
            AccessLink.token_hash == tokens.keyed_hash(settings.secret_key, purpose.value, token)
        )
    )
    if link is None:
        raise Gone(_("This link is not valid. Ask for a new one."))
    if link.used_at is not None:
        raise Gone(_("This link has already been used. Each link works once."))
    if link.expires_at <= clock.now():
        raise Gone(
            f"This link expired at {link.expires_at:%H:%M UTC on %d %B %Y}. Ask for a new one."
        )
    return link


async def use_link(session: AsyncSession, link: AccessLink) -> None:
    """Mark a link used; the guarded UPDATE makes a second concurrent use fail."""
    result = await session.execute(
        update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.used_at.is_(None))
        .values(used_at=clock.now())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone(_("This link has already been used. Each link works once."))


async def issue_setup_link(session: AsyncSession, settings: Settings) -> str | None:
    """On an empty platform, a one-time link that creates the first admin; None otherwise."""
    if await count_users(session):
        return None
    token = await issue_link(
        session, settings, LinkPurpose.SETUP, timedelta(minutes=settings.setup_link_minutes)
    )
    await record(session, action="setup.link_issued", actor="system")
    await session.commit()
    return token


async def complete_setup(
    session: AsyncSession, settings: Settings, token: str, form: NewAccount
) -> User:
    link = await find_link(session, settings, LinkPurpose.SETUP, token)
    if await count_users(session):
        raise Gone(_("This platform already has an administrator. Sign in instead."))
    await use_link(session, link)
    user = await create_user(session, form, frozenset({Role.ADMIN}), actor="setup link")
    await record(session, action="setup.completed", actor=user.email, subject=f"user:{user.id}")
    await session.commit()
    return user
