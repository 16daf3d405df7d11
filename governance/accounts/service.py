"""Account rules: first-admin set-up, sign-in with rate limits, sessions, staff invitations.

Every function that changes something commits its own transaction, together with the audit event
that records it. No password, token or link is ever written to the audit chain or the logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.models import (
    User,
    UserRole,
)
from governance.audit.service import record
from governance.errors import InvalidInput
from governance.i18n import _
from governance.security import passwords
from governance.security.roles import Role
from governance.web.fields import Problems, parse_email, parse_text


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    name: str
    password: str


def check_new_account(form: NewAccount) -> NewAccount:
    """Validate a new account's fields, naming each problem beside its field."""
    problems: Problems = {}
    email = parse_email(form.email, "email", problems)
    name = parse_text(form.name, "name", problems, User.name, required=_("Enter your name."))
    if problem := passwords.password_problem(form.password):
        problems["password"] = problem
    if problems:
        raise InvalidInput(problems)
    return NewAccount(email=email, name=name, password=form.password)


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def email_taken(session: AsyncSession, email: str) -> bool:
    return await session.scalar(select(User.id).where(User.email == email)) is not None


async def create_user(
    session: AsyncSession, form: NewAccount, roles: frozenset[Role], *, actor: str
) -> User:
    """Add an account in the caller's transaction and audit it (the caller commits)."""
    account = check_new_account(form)
    if await email_taken(session, account.email):
        raise InvalidInput({"email": _("An account with this email address already exists.")})
    user = User(
        email=account.email,
        name=account.name,
        password_hash=passwords.hash_password(account.password),
        is_active=True,
        created_at=clock.now(),
        roles=[UserRole(role=role.value) for role in sorted(roles)],
    )
    session.add(user)
    await session.flush()
    await record(
        session,
        action="account.created",
        actor=actor,
        subject=f"user:{user.id}",
        payload={"email": user.email, "roles": sorted(r.value for r in roles)},
    )
    return user
