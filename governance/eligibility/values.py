"""Eligibility rule trees evaluated in Python for one member, with SQL's three-valued logic.

Every condition gives True, False or None (SQL's UNKNOWN): a comparison with a missing value is
unknown, ``not`` of unknown is unknown, ``and``/``or`` follow Kleene's tables, and only True
admits — exactly what a ``WHERE`` clause does with the twin in ``eligibility_sql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from governance.eligibility.tree import (
    COMPARE,
    DATE_FIELDS,
    FIELD_COLUMNS,
    And,
    Comparison,
    Emptiness,
    Expression,
    Field,
    Not,
    Or,
    Subject,
)
from governance.members.models import Member

MemberLike = Member | Mapping[str, Any]
Truth = bool | None


def read(member: MemberLike, subject: Subject) -> str | date | None:
    """The member's value for ``subject``; None where SQL would see NULL."""
    if isinstance(subject, Field):
        value = _raw(member, FIELD_COLUMNS[subject.name])
        if subject.name in DATE_FIELDS:
            return _as_date(value)
        return value if isinstance(value, str) else None
    attributes = _raw(member, "attributes")
    value = attributes.get(subject.key) if isinstance(attributes, Mapping) else None
    # Only JSON strings count as attribute values (see eligibility_sql._AttributeText).
    return value if isinstance(value, str) else None


def _raw(member: MemberLike, column: str) -> object:
    if isinstance(member, Mapping):
        return member.get(column)
    return getattr(member, column)


def _as_date(value: object) -> date | None:
    if isinstance(value, str) and value:
        return date.fromisoformat(value)  # a mapping read from a form or a CSV row
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def truth(node: Expression, member: MemberLike) -> Truth:
    """True, False, or None for unknown, as the database would find for this member."""
    if isinstance(node, Or):
        return _any(truth(child, member) for child in node.operands)
    if isinstance(node, And):
        return _all(truth(child, member) for child in node.operands)
    if isinstance(node, Not):
        inner = truth(node.operand, member)
        return None if inner is None else not inner
    value = read(member, node.subject)
    if isinstance(node, Emptiness):
        return (value is None or value == "") != node.negated
    if value is None:
        return None
    if isinstance(node, Comparison):
        return bool(COMPARE[node.operator](value, node.value))
    return (value in node.values) != node.negated


def _all(values: Iterable[Truth]) -> Truth:
    # Kleene AND: any False decides; otherwise any unknown leaves it unknown.
    seen = list(values)
    if False in seen:
        return False
    return None if None in seen else True


def _any(values: Iterable[Truth]) -> Truth:
    seen = list(values)
    if True in seen:
        return True
    return None if None in seen else False
