"""Account rules: first-admin set-up, sign-in with rate limits, sessions, staff invitations.

Every function that changes something commits its own transaction, together with the audit event
that records it. No password, token or link is ever written to the audit chain or the logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
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


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    name: str
    password: str


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
# A plain ASCII address that email-validator accepts unchanged; anything else goes to it (it
# costs ~20 µs an address, which is most of the budget for a million-row register import).
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_SPECIAL_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)


def normalise_email(raw: str) -> str:
    """The form every address is stored and looked up in: accounts, the register, links."""
    return raw.strip().lower()


def checked_email(raw: str) -> str | None:
    """The address as accounts and the register store it, or None when it is not valid."""
    text = normalise_email(raw)
    local, _at, domain = text.partition("@")
    if (
        len(text) <= 254
        and len(local) <= 64
        and _PLAIN_EMAIL.fullmatch(text)
        and not ("." + domain).endswith(_SPECIAL_SUFFIXES)
        and (len(domain) <= 63 or max(map(len, domain.split("."))) <= 63)
    ):
        return text
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def check_new_account(form: NewAccount) -> NewAccount:
    """Validate a new account's fields, naming each problem beside its field."""
    problems: dict[str, str] = {}
    email = checked_email(form.email)
    if email is None:
        problems["email"] = _("Enter an email address like name@example.org.")
    name = " ".join(form.name.split())
    if not name:
        problems["name"] = _("Enter your name.")
    elif len(name) > 200:
        problems["name"] = _("Use at most 200 characters.")
    if problem := passwords.password_problem(form.password):
        problems["password"] = problem
    if problems or email is None:
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
