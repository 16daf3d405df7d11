"""The file's rows against the register: new, changed, unchanged or absent, and the clashes.

The register is held as compact per-member facts (id, number, status, a 64-bit fingerprint of
the compared values, the email) loaded with one query, so a million members fit in a few hundred
MiB and no member is loaded as an object.

What "clashing with the register" means here:

- a membership number that differs from a register number only in case or spaces ("ab 123"
  against "AB123") is refused: it is almost surely the same person typed differently, and
  importing it would give them two entries;
- an email address may belong to one member only once the import is applied: an address already
  on another member's entry is refused unless that member is also in the file (their entry is
  then replaced by their row, which the in-file duplicate check covers).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from governance.i18n import _
from governance.members.models import MemberStatus
from governance.members.register_file.columns import ColumnPlan
from governance.members.register_file.rows import MemberRow, ProblemLog, shown

STATUS_CODES = tuple(status.value for status in MemberStatus)


@dataclass(slots=True)
class RegisterIndex:
    ids: array[int] = field(default_factory=lambda: array("q"))
    numbers: list[str] = field(default_factory=list)
    statuses: bytearray = field(default_factory=bytearray)
    fingerprints: array[int] = field(default_factory=lambda: array("q"))
    by_key: dict[str, int] = field(default_factory=dict)  # folded number -> position
    by_email: dict[str, int] = field(default_factory=dict)

    def add(
        self, member_id: int, number: str, key: str, email: str, status: str, digest: int
    ) -> None:
        position = len(self.ids)
        self.ids.append(member_id)
        self.numbers.append(number)
        self.statuses.append(STATUS_CODES.index(status))
        self.fingerprints.append(digest)
        self.by_key[key] = position
        self.by_email.setdefault(email, position)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(slots=True)
class Counts:
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    absent: int = 0
    absent_active: int = 0  # absent members an import may lapse


class Reconciler:
    """Classifies each checked row and queues what a commit would write."""

    def __init__(self, register: RegisterIndex, plan: ColumnPlan, problems: ProblemLog) -> None:
        self.register, self.problems = register, problems
        self.number_column = plan.headings[plan.fields["membership_number"]]
        self.email_column = plan.headings[plan.fields["email"]]
        self.seen = array("q", bytes(8 * len(register)))  # line per register member, 0 = absent
        self.new_keys: dict[str, int] = {}
        self.emails: dict[str, int] = {}
        self.email_claims: list[tuple[int, str, int]] = []  # line, email, register position
        self.counts = Counts()
        self.inserts: list[MemberRow] = []
        self.updates: list[tuple[int, str, MemberRow]] = []  # member id, status to keep, row

    def take(self, row: MemberRow) -> None:
        self.counts.rows += 1
        position = self._place(row) if row.number else None
        if row.email:
            self._claim_email(row, position)

    def _place(self, row: MemberRow) -> int | None:
        """The row's register position (None when new), queueing the write it needs."""
        register = self.register
        position = register.by_key.get(row.key)
        if position is None:
            first = self.new_keys.setdefault(row.key, row.line)
            if first != row.line:
                self._duplicate_number(row, first)
            elif row.valid:
                self.counts.new += 1
                self.inserts.append(row)
            return None
        if register.numbers[position] != row.number:
            self.problems.add(
                row.line, self.number_column,
                _('Membership number "%(value)s" differs only in case or spaces from '
                  '"%(existing)s" on the register.')
                % {"value": shown(row.number, 60), "existing": register.numbers[position]},
                row.number,
            )  # fmt: skip
        elif self.seen[position]:
            self._duplicate_number(row, self.seen[position])
        else:
            self.seen[position] = row.line
            if row.valid:
                self._compare(position, row)
        return position

    def _compare(self, position: int, row: MemberRow) -> None:
        register = self.register
        status = STATUS_CODES[register.statuses[position]]
        if register.fingerprints[position] == row.fingerprint and row.status in ("", status):
            self.counts.unchanged += 1
            return
        self.counts.changed += 1
        self.updates.append((register.ids[position], status, row))

    def _duplicate_number(self, row: MemberRow, first: int) -> None:
        message = _('Membership number "%(value)s" is also on line %(line)d.')
        values = {"value": shown(row.number, 60), "line": first}
        self.problems.add(row.line, self.number_column, message % values, row.number)

    def _claim_email(self, row: MemberRow, position: int | None) -> None:
        first = self.emails.setdefault(row.email, row.line)
        if first != row.line:
            message = _('The email address "%(value)s" is also on line %(line)d.')
            values = {"value": shown(row.email, 60), "line": first}
            self.problems.add(row.line, self.email_column, message % values, row.email)
            return
        owner = self.register.by_email.get(row.email)
        if owner is not None and owner != position:
            self.email_claims.append((row.line, row.email, owner))

    def finish(self) -> None:
        """Judge the deferred email claims and count absent members, once every row is in."""
        for line, email, owner in self.email_claims:
            if not self.seen[owner]:
                message = _(
                    'The email address "%(value)s" belongs to member %(number)s on the register, '
                    "who is not in this file."
                )
                values = {"value": shown(email, 60), "number": self.register.numbers[owner]}
                self.problems.add(line, self.email_column, message % values, email)
        active = STATUS_CODES.index(MemberStatus.ACTIVE.value)
        for position, line in enumerate(self.seen):
            if not line:
                self.counts.absent += 1
                self.counts.absent_active += self.register.statuses[position] == active

    def absent_active_ids(self) -> Iterator[int]:
        active = STATUS_CODES.index(MemberStatus.ACTIVE.value)
        for position, line in enumerate(self.seen):
            if not line and self.register.statuses[position] == active:
                yield self.register.ids[position]
