"""Signing in and staying signed in: rate-limited password checks and server-side sessions.

A session is a random 256-bit token in an HttpOnly cookie; only its keyed hash is stored, a new
one is issued at every sign-in and revoked at sign-out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)
from litestar.response import Redirect
from litestar.types import Scope
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from governance import clock
from governance.accounts.models import (
    AuthSession,
    LoginAttempt,
    User,
)
from governance.audit.service import record
from governance.config import Settings
from governance.errors import InvalidInput, TooManyAttempts
from governance.i18n import _
from governance.security import passwords, tokens
from governance.security.roles import Account
from governance.web.dependencies import db_session_for, settings_of
from governance.web.fields import normalise_email

SESSION_PURPOSE = "session"


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


# --- Who is asking: the session cookie read once per request -------------------------------

SESSION_COOKIE = "governance_session"


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    """Litestar's authentication middleware over our sessions: ``request.user`` is the signed-in
    ``Account`` or None (anonymous visitors pass; route guards decide who may see what)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        if token:
            scope = connection.scope
            user = await session_user(db_session_for(scope), settings_of(scope["app"]), token)
            if user is not None:
                account = Account(user.id, user.email, user.name, user.role_names, user.member_id)
                return AuthenticationResult(user=account, auth=token)
        return AuthenticationResult(user=None, auth=None)


AUTHENTICATION = DefineMiddleware(
    SessionAuthMiddleware, exclude=["^/static/", "^/healthz$"], scopes={ScopeType.HTTP}
)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name and cookie_value:
                    return cookie_value
    return None


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def start_browser_session(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    settings: Settings,
    user: User,
    target: str,
) -> Redirect:
    """Sign the browser in with a fresh session id and go on to ``target``."""
    token = await start_session(
        db_session, settings, user, client_address(request), request.cookies.get(SESSION_COOKIE)
    )
    response = Redirect(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    return response
