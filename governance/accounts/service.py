"""Account rules: first-admin set-up, sign-in with rate limits, sessions, staff invitations.

Every function that changes something commits its own transaction, together with the audit event
that records it. No password, token or link is ever written to the audit chain or the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from governance import clock
from governance.accounts.models import (
    STAFF_ROLES,
    AccessLink,
    Account,
    AuthSession,
    LinkPurpose,
    LoginAttempt,
    Role,
    User,
    UserRole,
)
from governance.audit.service import record
from governance.config import Settings
from governance.errors import Gone, InvalidInput, TooManyAttempts
from governance.i18n import N_, _
from governance.notify.service import enqueue
from governance.security import passwords, tokens

SESSION_PURPOSE = "session"
ROLE_NAMES = {
    Role.ADMIN: N_("administrator"),
    Role.RETURNING_OFFICER: N_("returning officer"),
    Role.SCRUTINEER: N_("scrutineer"),
    Role.MEMBER: N_("member"),
}


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    name: str
    password: str


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def check_new_account(form: NewAccount) -> NewAccount:
    """Validate a new account's fields, naming each problem beside its field."""
    problems: dict[str, str] = {}
    email = normalise_email(form.email)
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems["email"] = _("Enter an email address like name@example.org.")
    name = " ".join(form.name.split())
    if not name:
        problems["name"] = _("Enter your name.")
    elif len(name) > 200:
        problems["name"] = _("Use at most 200 characters.")
    if problem := passwords.password_problem(form.password):
        problems["password"] = problem
    if problems:
        raise InvalidInput(problems)
    return NewAccount(email=email, name=name, password=form.password)


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def _email_taken(session: AsyncSession, email: str) -> bool:
    return await session.scalar(select(User.id).where(User.email == email)) is not None


async def create_user(
    session: AsyncSession, form: NewAccount, roles: frozenset[Role], *, actor: str
) -> User:
    """Add an account in the caller's transaction and audit it (the caller commits)."""
    account = check_new_account(form)
    if await _email_taken(session, account.email):
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


# --- One-time links ------------------------------------------------------------------------


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


async def invite_staff(
    session: AsyncSession, settings: Settings, inviter: Account, email: str, role: str
) -> str:
    """An admin invites a staff member by one-time link; returns the token for the link."""
    problems: dict[str, str] = {}
    try:
        address = validate_email(normalise_email(email), check_deliverability=False)
        email = address.normalized.lower()
    except EmailNotValidError:
        problems["email"] = _("Enter an email address like name@example.org.")
    if role not in {r.value for r in STAFF_ROLES}:
        problems["role"] = _("Choose admin, returning officer or scrutineer.")
    if not problems and await _email_taken(session, email):
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


# --- Signing in ------------------------------------------------------------------------------


async def _recent_failures(
    session: AsyncSession, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.attempted_at > since)
    )
    return int(await session.scalar(query) or 0)


async def _check_throttle(
    session: AsyncSession, settings: Settings, account: str, client_address: str
) -> None:
    """Refuse a sign-in after too many recent failures for the account or from the address."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = clock.now() - window
    by_account = await _recent_failures(session, LoginAttempt.account, account, since)
    by_address = await _recent_failures(session, LoginAttempt.client_address, client_address, since)
    if by_account >= settings.login_failures_per_account:
        raise TooManyAttempts(
            _(
                "Too many failed sign-in attempts for this account. "
                "Wait %(minutes)d minutes, then try again."
            )
            % {"minutes": settings.login_window_minutes}
        )
    if by_address >= settings.login_failures_per_address:
        raise TooManyAttempts(
            _(
                "Too many failed sign-in attempts from your network. "
                "Wait %(minutes)d minutes, then try again."
            )
            % {"minutes": settings.login_window_minutes}
        )


class SignInFailed(InvalidInput):
    status_code = 400

    def __init__(self) -> None:
        super().__init__({}, _("That email address and password do not match an account."))


async def authenticate(
    session: AsyncSession, settings: Settings, email: str, password: str, client_address: str
) -> User:
    """Check a password, counting failures; the failure is committed even though sign-in fails.

    What was typed as the address is kept only as a keyed hash: people type passwords into the
    wrong box, and the audit chain can never forget. A known account is named by its id.
    """
    address = normalise_email(email)[:320]
    account = tokens.keyed_hash(settings.secret_key, "sign-in", address)
    await _check_throttle(session, settings, account, client_address)
    user = await session.scalar(select(User).where(User.email == address))
    hashed = user.password_hash if user and user.is_active else None
    if user is None or not passwords.verify_password(hashed, password):
        session.add(
            LoginAttempt(account=account, client_address=client_address, attempted_at=clock.now())
        )
        await record(
            session,
            action="login.failed",
            actor=None,
            subject=f"user:{user.id}" if user else None,
            payload={"client_address": client_address},
        )
        await session.commit()
        raise SignInFailed
    if hashed and passwords.needs_rehash(hashed):
        user.password_hash = passwords.hash_password(password)
    return user


async def start_session(
    session: AsyncSession,
    settings: Settings,
    user: User,
    client_address: str,
    previous_token: str | None,
) -> str:
    """A new session id at every sign-in (any earlier one in this browser is revoked)."""
    now = clock.now()
    if previous_token:
        await _revoke(session, settings, previous_token, now)
    token = tokens.new_token()
    session.add(
        AuthSession(
            token_hash=tokens.keyed_hash(settings.secret_key, SESSION_PURPOSE, token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
            client_address=client_address,
        )
    )
    await record(
        session,
        action="login.succeeded",
        actor=user.email,
        subject=f"user:{user.id}",
        payload={"client_address": client_address},
    )
    await session.commit()
    return token


async def _revoke(session: AsyncSession, settings: Settings, token: str, now: datetime) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.token_hash
            == tokens.keyed_hash(settings.secret_key, SESSION_PURPOSE, token),
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def end_session(session: AsyncSession, settings: Settings, user: Account, token: str) -> None:
    if await _revoke(session, settings, token, clock.now()):
        await record(session, action="logout", actor=user.email, subject=f"user:{user.id}")
    await session.commit()


async def session_user(session: AsyncSession, settings: Settings, token: str) -> User | None:
    """The active account a session token belongs to, if the session is live.

    Every signed-in request asks this, so it is one query: the roles come joined, not after.
    """
    found = await session.scalars(
        select(User)
        .options(joinedload(User.roles))
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash
            == tokens.keyed_hash(settings.secret_key, SESSION_PURPOSE, token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > clock.now(),
            User.is_active.is_(True),
        )
    )
    return found.unique().first()  # unique(): a user's rows repeat once per joined role
