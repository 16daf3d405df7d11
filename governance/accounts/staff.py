"""Staff accounts: invitations by one-time link, accepting them, and the staff list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.links import find_link, issue_link, use_link
from governance.accounts.models import (
    AccessLink,
    LinkPurpose,
    User,
    UserRole,
)
from governance.accounts.service import NewAccount, create_user, email_taken
from governance.audit.service import record
from governance.config import Settings
from governance.errors import InvalidInput
from governance.i18n import _
from governance.notify.service import enqueue
from governance.security.roles import ROLE_NAMES, STAFF_ROLES, Account, Role
from governance.web.fields import Problems, parse_email


async def invite_staff(
    session: AsyncSession, settings: Settings, inviter: Account, email: str, role: str
) -> str:
    """An admin invites a staff member by one-time link; returns the token for the link."""
    problems: Problems = {}
    email = parse_email(email, "email", problems)
    if role not in {r.value for r in STAFF_ROLES}:
        problems["role"] = _("Choose admin, returning officer or scrutineer.")
    if not problems and await email_taken(session, email):
        problems["email"] = _("An account with this email address already exists.")
    if problems:
        raise InvalidInput(problems)
    token = await issue_link(
        session,
        settings,
        LinkPurpose.STAFF_INVITE,
        timedelta(hours=settings.invite_link_hours),
        email=email,
        role=Role(role),
        created_by=inviter.id,
    )
    await record(
        session,
        action="staff.invited",
        actor=inviter.email,
        subject=f"email:{email}",
        payload={"role": role},
    )
    await enqueue(
        session,
        to=email,
        template="staff_invitation",
        context={
            "inviter": inviter.name,
            "role": ROLE_NAMES[Role(role)],
            "link": f"{settings.base_url}/invitations/{token}",
            "hours": settings.invite_link_hours,
        },
    )
    await session.commit()
    return token


async def accept_invitation(
    session: AsyncSession, settings: Settings, token: str, name: str, password: str
) -> User:
    link = await find_link(session, settings, LinkPurpose.STAFF_INVITE, token)
    await use_link(session, link)
    form = NewAccount(email=link.email or "", name=name, password=password)
    user = await create_user(session, form, frozenset({Role(link.role or "")}), actor=form.email)
    await session.commit()
    return user


async def pending_invitations(session: AsyncSession) -> list[AccessLink]:
    return list(
        await session.scalars(
            select(AccessLink)
            .where(
                AccessLink.purpose == LinkPurpose.STAFF_INVITE.value,
                AccessLink.used_at.is_(None),
                AccessLink.expires_at > clock.now(),
            )
            .order_by(AccessLink.created_at.desc())
        )
    )


async def staff(session: AsyncSession) -> list[User]:
    staff_roles = [r.value for r in STAFF_ROLES]
    return list(
        await session.scalars(
            select(User)
            .where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(staff_roles))))
            .order_by(User.name)
        )
    )
