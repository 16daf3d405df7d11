"""One mapping from errors to pages: a person sees what went wrong and what to do, never a trace."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError

from governance.errors import DomainError
from governance.i18n import N_, _
from governance.web.pages import render

log = structlog.get_logger(__name__)

TITLES = {  # marked for extraction; translated where shown
    400: N_("The request could not be understood"),
    401: N_("Please sign in"),
    403: N_("You cannot do that"),
    404: N_("Page not found"),
    405: N_("Not allowed here"),
    409: N_("That conflicts with what is already there"),
    410: N_("This link no longer works"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
}

GENERIC = {  # marked for extraction; translated where shown
    400: N_("The request was not in a form this site understands. Go back and try again."),
    403: N_("Your account does not allow this. If you think it should, ask an administrator."),
    404: N_("There is no page at this address. Check the address, or start from the home page."),
    405: N_("This page does not accept that kind of request."),
    429: N_("Too many requests. Wait a few minutes, then try again."),
    500: N_("The error has been logged. Nothing you entered was stored. Please try again shortly."),
}


def error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[str]:
    context = {"status": status, "title": _(TITLES.get(status, "Error")), "message": message}
    response = render(request, "errors/error.html", context, status)
    if status == 429:
        response.headers["retry-after"] = "900"
    return response


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        return Redirect(f"/login?next={quote(request.url.path)}")
    detail = exc.detail if status in (401, 403) and exc.detail else ""
    if status == 403 and "CSRF" in str(exc.detail):
        detail = _(
            "This form had expired or did not come from this site. Reload the page and try again."
        )
    message = detail or _(GENERIC.get(status, GENERIC[400]))
    return error_page(request, status, message)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[str]:
    return error_page(request, exc.status_code, exc.message)


def _out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    """An id or page number too large for the database's integers names nothing that exists."""
    return error_page(request, 404, _(GENERIC[404]))


def _is_out_of_range(exc: BaseException) -> bool:
    """SQLite raises OverflowError; asyncpg a DataError ("out of int32 range") while encoding."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OverflowError) or type(seen).__name__ == "DataError":
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[str]:
    if _is_out_of_range(exc):
        return _out_of_range(request, exc)
    return _unexpected(request, exc)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    log.exception("unhandled error", path=request.url.path, method=request.method)
    return error_page(request, 500, _(GENERIC[500]))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: _domain_error,
    HTTPException: _http_error,
    OverflowError: _out_of_range,
    DBAPIError: _database_error,
    Exception: _unexpected,
}
