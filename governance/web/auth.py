"""Who is signed in: read the session cookie, find the live session, put the account on the scope.

Anonymous requests carry ``user = None``; route guards (``security/guards.py``) decide access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts import service as accounts
from governance.accounts.models import Account
from governance.config import Settings
from governance.i18n import _

if TYPE_CHECKING:
    from litestar import Litestar, Request


SESSION_COOKIE = "governance_session"


def settings_of(app: Litestar) -> Settings:
    return cast(Settings, app.state["settings"])


def db_session_for(scope: Scope) -> AsyncSession:
    """The request's database session (one per request, shared with the route handler)."""
    app = scope["app"]
    config = cast(SQLAlchemyAsyncConfig, app.state["alchemy_config"])
    return config.provide_session(app.state, scope)


class SessionAuthMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/healthz$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        scope["auth"] = None
        token = _cookie(scope, SESSION_COOKIE)
        if token:
            settings = settings_of(scope["app"])
            user = await accounts.session_user(db_session_for(scope), settings, token)
            if user is not None:
                scope["user"] = Account.of(user)
                scope["auth"] = token
        await next_app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name and cookie_value:
                    return cookie_value
    return None


def signed_in(request: Request[Any, Any, Any]) -> Account | None:
    return cast("Account | None", request.scope.get("user"))


DBSession = NamedDependency[AsyncSession]
"""The request's database session, injected by name (``db_session``) into route handlers."""


def account(request: Request[Any, Any, Any]) -> Account:
    """The signed-in account on a guarded route (the guard has already refused anonymous users)."""
    user = signed_in(request)
    if user is None:
        raise NotAuthorizedException(_("Sign in to see this page."))
    return user
