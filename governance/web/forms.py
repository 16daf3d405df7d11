"""The one way a form is handled: field parsers, and re-rendering the page with the problems.

A controller parses, calls one service function and renders; when the service refuses the input
(``InvalidInput``), ``form_errors`` rolls the request's transaction back and renders the same page
again with status 422 and each message beside its field.

The parsers collect problems into a dict (field name -> message) so that a form shows every
problem at once. Bounds come from the columns the values are stored in: PostgreSQL refuses an
over-long varchar or an integer beyond its column (a 500 or a 404 to the person typing), while
SQLite silently stores either, so the check has to happen here to behave the same on both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from litestar.response import Template
from sqlalchemy import BigInteger, Integer, SmallInteger, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from governance.errors import InvalidInput
from governance.i18n import _

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Problems = dict[str, str]
"""Field name -> what is wrong with it, as the page shows it beside the field."""

Column = QueryableAttribute[Any]
"""A mapped column such as ``Member.name``: where a value will be stored, hence its bounds."""

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


# --- Bounds read from the model ----------------------------------------------------------


def longest(column: Column) -> int | None:
    """The most characters the column holds (``String(n)``), or None when unbounded (``Text``)."""
    kind = column.type
    return kind.length if isinstance(kind, String) else None


def integer_range(column: Column) -> tuple[int, int]:
    """The integers the column holds on every database we run on (PostgreSQL's widths)."""
    kind = column.type
    if isinstance(kind, BigInteger):
        bits = 64
    elif isinstance(kind, SmallInteger):
        bits = 16
    elif isinstance(kind, Integer):
        bits = 32
    else:
        raise TypeError(f"{column} is not an integer column")
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


# --- Field parsers -------------------------------------------------------------------------


def parse_int(
    text: str,
    field: str,
    problems: Problems,
    *,
    minimum: int = INT64_MIN,
    maximum: int = INT64_MAX,
    column: Column | None = None,
    message: str | None = None,
) -> int | None:
    """A whole number within [minimum, maximum] (and within ``column``), or None and a problem.

    Never wider than a signed 64-bit integer, whatever is passed: nothing we store holds more.
    """
    low, high = max(minimum, INT64_MIN), min(maximum, INT64_MAX)
    if column is not None:
        column_low, column_high = integer_range(column)
        low, high = max(low, column_low), min(high, column_high)
    try:
        value: int | None = int(text.strip())
    except ValueError:  # also what int() raises for more digits than Python will convert
        value = None
    if value is not None and low <= value <= high:
        return value
    if message is None:
        if value is not None and value > high:
            message = _("Enter a whole number of at most %(maximum)d.") % {"maximum": high}
        elif low > INT64_MIN:
            message = _("Enter a whole number of at least %(minimum)d.") % {"minimum": low}
        else:
            message = _("Enter a whole number.")
    problems[field] = message
    return None


def parse_id(text: str, column: Column) -> int:
    """An id chosen in a form (a select's value); 0, which names nothing, for anything else.

    The service then says what is missing beside the field, as for an empty choice.
    """
    value = parse_int(text, "id", {}, minimum=1, column=column)
    return value or 0


def parse_text(
    text: str,
    field: str,
    problems: Problems,
    column: Column,
    *,
    required: str | None = None,
    single_line: bool = True,
) -> str:
    """Free text as stored: runs of white space collapsed (one line) or trimmed, at most as long as
    the column holds; ``required`` is the message for an empty field."""
    value = " ".join(text.split()) if single_line else text.strip()
    limit = longest(column)
    if required is not None and not value:
        problems[field] = required
    elif limit is not None and len(value) > limit:
        problems[field] = _("Use at most %(length)d characters.") % {"length": limit}
    return value


def normalise_email(raw: str) -> str:
    """An address as we compare and store it: trimmed and lower-cased."""
    return raw.strip().lower()


def parse_email(text: str, field: str, problems: Problems) -> str:
    """A syntactically valid address, normalised; deliverability is not asked (no DNS look-up).

    email-validator already refuses addresses longer than RFC 5321 allows (254 characters),
    within every email column (320).
    """
    address = normalise_email(text)
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems[field] = _("Enter an email address like name@example.org.")
        return address


def parse_date(text: str, field: str, problems: Problems) -> date | None:
    """A calendar date as YYYY-MM-DD (what a date input sends); None when left empty."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems[field] = _("Enter the date as YYYY-MM-DD, for example 2024-09-01.")
        return None


def parse_local_datetime(text: str, zone: ZoneInfo, field: str, problems: Problems) -> datetime:
    """A datetime-local field's wall-clock time in ``zone``, as UTC (DESIGN: lifecycle).

    A refused value comes back as the earliest moment, so checks of order can still run.
    """
    try:
        local = datetime.fromisoformat(text.strip())
        return (local if local.tzinfo else local.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved across midnight
        problems[field] = _("Enter a date and time, for example 2026-03-03T17:00.")
        return datetime.min.replace(tzinfo=UTC)
