"""Field parsers, in one place: integers, ids, free text, emails, dates and local times.

Each parser adds a message to a ``Problems`` dict (field name -> message) so that a form shows
every problem at once. Bounds come from the columns the values are stored in: PostgreSQL refuses
an over-long varchar or an integer beyond its column (a 500 or a 404 to the person typing),
while SQLite silently stores either, so the check has to happen here to behave the same on both.
Services call these (the rules stay in the services); nothing here knows HTTP.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from sqlalchemy import BigInteger, Integer, SmallInteger, String
from sqlalchemy.orm import QueryableAttribute

from governance.i18n import _

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Problems = dict[str, str]
"""Field name -> what is wrong with it, as the page shows it beside the field."""

Column = QueryableAttribute[Any]
"""A mapped column such as ``Member.name``: where a value will be stored, hence its bounds."""

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


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
# A plain ASCII address that email-validator accepts unchanged; anything else goes to it (it
# costs ~20 µs an address, which is most of the budget for a million-row register import).
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_SPECIAL_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)


def valid_email(raw: str) -> str | None:
    """The address as accounts and the register store it, or None when it is not valid.

    Syntax only (no DNS look-up). email-validator refuses addresses longer than RFC 5321
    allows (254 characters), within every email column (320).
    """
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


def parse_email(text: str, field: str, problems: Problems) -> str:
    """A valid address, normalised (``valid_email``); else the text typed, and a problem."""
    address = valid_email(text)
    if address is None:
        problems[field] = _("Enter an email address like name@example.org.")
        return normalise_email(text)
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
