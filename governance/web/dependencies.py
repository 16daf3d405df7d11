"""What a route handler is given by name: ``db_session``, ``settings``, ``viewer`` and ``visitor``.

Handlers declare what they need as parameters and Litestar's dependency injection provides it
(wired once, in ``app.create_app``): no handler reads the app's state or the scope itself.
"""

from __future__ import annotations

from typing import Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar, Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from governance.config import Settings
from governance.i18n import _
from governance.security.roles import Account

Viewer = NamedDependency[Account]
"""The signed-in account (401 when nobody is), injected by name: ``viewer``."""
Visitor = NamedDependency[Account | None]
"""Whoever is signed in, or None, injected by name: ``visitor``."""
AppSettings = NamedDependency[Settings]
"""The app's settings, injected by name: ``settings``."""


def settings_of(app: Litestar) -> Settings:
    return cast(Settings, app.state["settings"])


def db_session_for(scope: Scope) -> AsyncSession:
    """The request's database session (one per request, shared with the route handler)."""
    app = scope["app"]
    config = cast(SQLAlchemyAsyncConfig, app.state["alchemy_config"])
    return config.provide_session(app.state, scope)


def provide_visitor(request: Request[Any, Any, Any]) -> Account | None:
    """Whoever is signed in, or None: the authentication middleware has put them on the scope."""
    return cast("Account | None", request.scope.get("user"))


def provide_viewer(request: Request[Any, Any, Any]) -> Account:
    """The signed-in account on a guarded route (the guard has already refused anonymous users)."""
    user = provide_visitor(request)
    if user is None:
        raise NotAuthorizedException(_("Sign in to see this page."))
    return user


def dependencies(settings: Settings) -> dict[str, Provide]:
    """The app-wide dependencies, by the parameter name a handler uses."""

    def provide_settings() -> Settings:
        return settings

    return {
        "settings": Provide(provide_settings, sync_to_thread=False, use_cache=True),
        "viewer": Provide(provide_viewer, sync_to_thread=False),
        "visitor": Provide(provide_visitor, sync_to_thread=False),
    }
