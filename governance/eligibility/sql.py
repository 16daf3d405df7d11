"""Eligibility rule trees compiled to a SQL condition over ``members``.

The condition must pick exactly the members that ``evaluate`` accepts one at a time, so each
construct here has a stated twin in ``eligibility_values``: a missing value is SQL NULL, and the
database's three-valued logic is what Python copies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, literal, not_, or_
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from governance.eligibility.tree import (
    COMPARE,
    DATE_FIELDS,
    FIELD_COLUMNS,
    And,
    Comparison,
    Emptiness,
    Expression,
    Field,
    Membership,
    Not,
    Or,
    Subject,
)
from governance.members.models import Member


class _AttributeText(FunctionElement[str]):
    """``members.attributes`` → key, as text when it is a JSON string and NULL otherwise.

    Plain ``attributes[key].as_string()`` differs between the databases for values that are not
    strings (SQLite gives 5 and 1 where PostgreSQL gives '5' and 'true'), so only strings count.
    """

    type = String()
    name = "attribute_text"
    inherit_cache = True


@compiles(_AttributeText)
def _attribute_text_elsewhere(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError("eligibility rules compile for SQLite and PostgreSQL only")


@compiles(_AttributeText, "sqlite")
def _attribute_text_sqlite(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    # Not json_extract with a '$."key"' path: SQLite (3.40) matches path labels against the raw
    # JSON text, so "clé" stored as "cl\u00e9" would never match. json_each decodes the keys; the
    # last duplicate wins, as in Python's json.loads and PostgreSQL's json operators.
    # The key is a bound parameter ({key} is its placeholder), never text pasted into the SQL.
    return (
        f"(SELECT attribute.value FROM json_each({column}) AS attribute "  # noqa: S608
        f"WHERE attribute.key = {key} AND attribute.type = 'text' "
        "ORDER BY attribute.id DESC LIMIT 1)"
    )


@compiles(_AttributeText, "postgresql")
def _attribute_text_postgresql(element: _AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    # The cast keeps this right should the column ever become jsonb (json_typeof takes json).
    return (
        f"CASE WHEN json_typeof(CAST({column} AS json) -> {key}) = 'string' "
        f"THEN {column} ->> {key} END"
    )


def subject_column(subject: Subject) -> ColumnElement[Any]:
    if isinstance(subject, Field):
        column: ColumnElement[Any] = getattr(Member, FIELD_COLUMNS[subject.name])
        return column
    return _AttributeText(Member.attributes, literal(subject.key, String()))


def to_sql(node: Expression) -> ColumnElement[bool]:
    if isinstance(node, Or):
        return or_(*(to_sql(child) for child in node.operands))
    if isinstance(node, And):
        return and_(*(to_sql(child) for child in node.operands))
    if isinstance(node, Not):
        return not_(to_sql(node.operand))
    column = subject_column(node.subject)
    if isinstance(node, Comparison):
        comparison: ColumnElement[bool] = COMPARE[node.operator](column, node.value)
        return comparison
    if isinstance(node, Membership):
        values = list(node.values)
        return column.not_in(values) if node.negated else column.in_(values)
    return _emptiness(column, node)


def _emptiness(column: ColumnElement[Any], node: Emptiness) -> ColumnElement[bool]:
    # Never unknown: IS NULL decides for a missing value before '' is compared.
    if isinstance(node.subject, Field) and node.subject.name in DATE_FIELDS:
        return column.is_not(None) if node.negated else column.is_(None)
    if node.negated:
        return and_(column.is_not(None), column != "")
    return or_(column.is_(None), column == "")
