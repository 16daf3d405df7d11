"""Route guards by role. An anonymous visitor is sent to sign in; a signed-in one without the
role gets a 403 page that says which role the page needs.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from governance.i18n import _
from governance.security.roles import ROLE_LABELS, Role


def requires_signed_in(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException(_("Sign in to see this page."))


def requires_role(*roles: Role) -> Guard:
    """Allow the request when the signed-in account holds any of ``roles``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        requires_signed_in(connection, handler)
        held = connection.scope["user"].role_names
        if not held & set(roles):
            needed = _(" or ").join(_(ROLE_LABELS[role]) for role in roles)
            raise PermissionDeniedException(_("This page is for %(role)s.") % {"role": needed})

    return guard
