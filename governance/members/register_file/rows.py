"""One CSV row checked against the register's rules, and the list of problems a dry run reports.

Keys are normalised (membership number trimmed; email trimmed and lower-cased, as the register
stores it; status lower-cased; dates parsed). Every other text cell is kept exactly as written:
text that looks like a formula or like HTML is only ever data (pages escape it, the export
neutralises it), so altering it would only lose what the file said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from governance.i18n import _
from governance.members.models import MemberStatus
from governance.members.register_file.columns import ColumnPlan
from governance.web.forms import normalise_email

PROBLEM_CAP = 1_000  # a million bad rows still give a report a person can read
STATUSES = frozenset(status.value for status in MemberStatus)
# Column widths in the ``members`` table (PostgreSQL enforces them; SQLite would not).
LIMITS = {
    "membership_number": 64, "name": 200, "email": 320,
    "organisation": 200, "region": 120, "category": 120,
}  # fmt: skip
# Fields compared to decide whether a member changed; status is compared on its own because
# a blank status cell means "leave it as it is".
COMPARED = ("email", "joined_on", "name", "organisation", "region", "category")
TEXT = ("name", "organisation", "region", "category")

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
# A plain ASCII address that email-validator accepts unchanged; anything else goes to it (it
# costs ~20 µs an address, which is most of the budget for a million rows).
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_SPECIAL_SUFFIXES = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(32), 127)} | {9: "\\t", 10: "\\n", 13: "\\r"}


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # the file line the row starts on (the header is line 1)
    column: str  # the heading as written in the file; "" for the whole row or file
    message: str
    value: str = ""  # the cell, shortened and with control characters made visible

    def __str__(self) -> str:
        values = {"line": self.line, "column": self.column, "message": self.message}
        if self.column:
            return _('line %(line)d, column "%(column)s": %(message)s') % values
        return _("line %(line)d: %(message)s") % values


@dataclass(slots=True)
class ProblemLog:
    """Every problem counted; the first ``cap`` kept, in file order."""

    cap: int = PROBLEM_CAP
    listed: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int, column: str, message: str, value: str = "") -> None:
        self.total += 1
        if len(self.listed) < self.cap:
            self.listed.append(Problem(line, column, message, shown(value)))


def shown(value: str, limit: int = 80) -> str:
    """A cell as a report shows it: short, with tabs and line breaks visible."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return text.translate(_CONTROL)


def register_email(raw: str) -> str | None:
    """The address as the register stores it, or None when it is not a valid address.

    A fast path for plain addresses (a register has a million of them); the rest go through
    email-validator, as a form's address does."""
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


def parse_date(raw: str) -> date | None:
    """YYYY-MM-DD, or DD/MM/YYYY as UK spreadsheets write dates; blank is no date."""
    text = raw.strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return date.fromisoformat(text)
    day, month, year = text.split("/")
    if len(year) != 4:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def fold(number: str) -> str:
    """The form two membership numbers are compared in: case and spaces ignored."""
    folded = "".join(number.split()).upper()
    return number if folded == number else folded


def fingerprint(values: tuple[str, ...]) -> int:
    """A 64-bit digest of the compared values, to tell a changed member from an unchanged one.

    Python's keyed string hash (SipHash): both sides are hashed in the one process that runs
    the import, so it need not be stable across processes; a file cannot aim for a collision
    without the per-process key, and a chance one is about 1 in 2**64 per member.
    """
    return hash(values)


class MemberRow(NamedTuple):
    line: int
    number: str  # "" when the cell is unusable
    key: str
    email: str  # normalised; "" when invalid
    text: dict[str, str]  # name, organisation, region, category: those the file has
    joined_on: date | None
    status: str  # "" leaves an existing member's status as it is (new members: active)
    attributes: dict[str, str]  # every attribute column; "" (an empty cell) removes the attribute
    fingerprint: int
    valid: bool


def compared_fields(plan: ColumnPlan) -> tuple[str, ...]:
    """The compared fields this file has: a column the file lacks leaves that field alone."""
    return tuple(name for name in COMPARED if name in plan.fields)


class RowChecker:
    """Checks rows of one file against the rules, logging each problem with line and column.

    ``check`` runs a million times per large import, so it reads cells by position with the
    positions worked out once here.
    """

    def __init__(self, plan: ColumnPlan, problems: ProblemLog) -> None:
        self.plan, self.problems = plan, problems
        self.width = len(plan.headings)
        self.compared = compared_fields(plan)
        self.text = tuple((name, plan.fields[name]) for name in TEXT if name in plan.fields)
        self.limited = tuple(
            (plan.fields[name], limit) for name, limit in LIMITS.items() if name in plan.fields
        )
        self.number_at, self.email_at = plan.fields["membership_number"], plan.fields["email"]
        self.name_at = plan.fields["name"]
        self.status_at = plan.fields.get("status")
        self.joined_at = plan.fields.get("joined_on")
        self.attribute_at = tuple(index for index, _name in plan.attributes)
        self.attribute_names = tuple(name for _index, name in plan.attributes)

    def _problem(self, line: int, index: int, message: str, value: str = "") -> None:
        self.problems.add(line, self.plan.headings[index], message, value)

    def check(self, line: int, cells: list[str]) -> MemberRow | None:
        """The row's values (``valid`` False after any problem), or None for a blank row."""
        if not any(cells):
            return None
        if len(cells) != self.width:
            message = _("The row has %(cells)d cells but the header has %(columns)d.")
            self.problems.add(line, "", message % {"cells": len(cells), "columns": self.width})
            return None
        before = self.problems.total
        self._lengths(line, cells)
        number = self._number(line, cells)
        email = self._email(line, cells)
        if not cells[self.name_at].strip():
            self._problem(line, self.name_at, _("The name is empty."))
        text = {name: cells[index] for name, index in self.text}
        joined_on = self._joined_on(line, cells)
        status = self._status(line, cells) if self.status_at is not None else ""
        attributes = dict(
            zip(self.attribute_names, [cells[i] for i in self.attribute_at], strict=True)
        )
        for index in self.plan.unnamed:
            if cells[index]:
                message = _("A value in a column without a heading.")
                self._problem(line, index, message, cells[index])
        known = {**text, "email": email, "joined_on": joined_on.isoformat() if joined_on else ""}
        compared = (*[known[name] for name in self.compared], *attributes.values())
        return MemberRow(
            line, number, fold(number), email, text, joined_on, status, attributes,
            fingerprint(compared), self.problems.total == before,
        )  # fmt: skip

    def _lengths(self, line: int, cells: list[str]) -> None:
        for index, limit in self.limited:
            if len(cells[index]) > limit:
                message = _("Longer than %(limit)d characters.") % {"limit": limit}
                self._problem(line, index, message, cells[index])

    def _number(self, line: int, cells: list[str]) -> str:
        number = cells[self.number_at].strip()
        if not number:
            self._problem(line, self.number_at, _("The membership number is empty."))
        return number if len(number) <= LIMITS["membership_number"] else ""

    def _email(self, line: int, cells: list[str]) -> str:
        raw = cells[self.email_at]
        if not raw.strip():
            self._problem(line, self.email_at, _("The email address is empty."))
            return ""
        email = register_email(raw)
        if email is None:
            message = _('"%(value)s" is not a valid email address.') % {"value": shown(raw, 60)}
            self._problem(line, self.email_at, message, raw)
            return ""
        return email

    def _joined_on(self, line: int, cells: list[str]) -> date | None:
        if self.joined_at is None:
            return None
        raw = cells[self.joined_at]
        try:
            return parse_date(raw)
        except ValueError:
            message = _('"%(value)s" is not a date: write YYYY-MM-DD or DD/MM/YYYY.')
            self._problem(line, self.joined_at, message % {"value": shown(raw, 60)}, raw)
            return None

    def _status(self, line: int, cells: list[str]) -> str:
        raw = cells[self.status_at or 0]
        status = raw.strip().lower()
        if status and status not in STATUSES:
            message = _('"%(value)s" is not a status: write active, lapsed or suspended.')
            self._problem(line, self.status_at or 0, message % {"value": shown(raw, 60)}, raw)
            return ""
        return status
