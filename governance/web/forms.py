"""The one way a form is handled: re-render the page with the problems beside the fields.

A controller parses, calls one service function and renders; when the service refuses the input
(``InvalidInput``), ``form_errors`` rolls the request's transaction back and renders the same page
again with status 422 and each message beside its field. The field parsers are in ``fields.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from governance.errors import InvalidInput

PageContext = Mapping[str, Any] | Callable[[], Awaitable[Mapping[str, Any]]]
"""A page's context, or an async function building it (run after the rollback, so that what it
reads is what is stored, not what the refused request half-wrote)."""


async def form_errors(
    db_session: AsyncSession,
    error: InvalidInput,
    template: str,
    context: PageContext,
    *,
    errors_key: str = "errors",
) -> Template:
    """The form's page again, status 422, with ``error.fields`` under ``errors_key``.

    The transaction is rolled back first, always: a service may have flushed rows before it
    found the problem, and the page must neither show nor later commit them.
    """
    await db_session.rollback()
    values = dict(await context()) if callable(context) else dict(context)
    values[errors_key] = error.fields
    return Template(template, context=values, status_code=422)
