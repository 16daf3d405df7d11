"""What the register accepts in each field, and the form it stores it in.

The register form (``service.check_member``) and the CSV import (``register_file/rows.py``) both
call these rules, so a member typed in and a member read from a file are held to the same
standard. Each caller words its own messages: a form speaks to the person typing, an import
report points at a line and a column of a file.
"""

from __future__ import annotations

from datetime import date

from governance.members.models import Member, MemberStatus
from governance.web.fields import longest, valid_email

STATUSES = frozenset(status.value for status in MemberStatus)
# Column widths in the ``members`` table, read from the model (PostgreSQL enforces them; SQLite
# would not, so both callers check them).
LIMITS = {
    name: longest(getattr(Member, name)) or 0
    for name in ("membership_number", "name", "email", "organisation", "region", "category")
}


def membership_number(raw: str) -> str:
    """The number as stored: what surrounds it is not part of it. Empty means missing."""
    return raw.strip()


def name_given(raw: str) -> bool:
    """A name of only spaces is no name."""
    return bool(raw.strip())


def email(raw: str) -> str | None:
    """The address as the register stores it (as accounts do), or None when it is not valid."""
    return valid_email(raw)


def is_status(value: str) -> bool:
    return value in STATUSES


def joined_on(raw: str) -> date | None:
    """YYYY-MM-DD, or DD/MM/YYYY as UK spreadsheets write dates; blank is no date.

    Raises ValueError for anything else.
    """
    text = raw.strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    day, month, year = text.split("/")
    if len(year) != 4:
        raise ValueError(text)
    return date(int(year), int(month), int(day))
