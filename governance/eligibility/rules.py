"""Eligibility rules: who may stand and who may vote, as a small language over the register.

    status = "active" and region in ("East Midlands", "West Midlands") and joined < 2026-01-01

A rule is parsed (hand-written tokenizer and recursive descent, never ``eval``) into an immutable
tree, type-checked as it is parsed, and then either compiled to a SQL condition that selects the
eligible members of a whole register (``compile_rule``) or evaluated for one member in Python
(``evaluate``). Both give the same answer for every member and every rule on SQLite and
PostgreSQL: a value the register lacks makes a comparison unknown, as in SQL, and unknown never
admits. ``docs/eligibility.md`` is the language as returning officers read it.

Choices that keep the two evaluations identical:

- Text compares exactly and case-sensitively (``=``, ``!=``, ``in``): both databases compare
  text code point by code point for equality, as Python does. ``<``/``>`` are refused on text,
  because ordering depends on each database's collation; they apply to dates only.
- Empty text and a missing value differ for ``=`` ("" = "" holds; a missing value is unknown);
  ``is empty`` covers both.
- An attribute counts only when its value is a JSON string; numbers, true/false, lists and null
  read as missing, because the databases turn them into text differently.
- ``status`` takes only the statuses a member can have: active, lapsed, suspended.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.sql.elements import ColumnElement

from governance.eligibility.explain import explain
from governance.eligibility.parser import parse
from governance.eligibility.sql import to_sql
from governance.eligibility.tree import (
    And,
    Attribute,
    Comparison,
    Emptiness,
    Expression,
    Field,
    Membership,
    Not,
    Or,
    RuleError,
    render,
)
from governance.eligibility.values import MemberLike, Truth, truth

__all__ = [
    "And",
    "Attribute",
    "Comparison",
    "Emptiness",
    "Expression",
    "Field",
    "MemberLike",
    "Membership",
    "Not",
    "Or",
    "RuleError",
    "Truth",
    "canonical",
    "compile_rule",
    "describe_failure",
    "evaluate",
    "parse_rule",
    "truth_for",
]


@lru_cache(maxsize=256)
def parse_rule(rule: str) -> Expression:
    """The rule's tree; raises RuleError (with ``position``) for a rule that is not valid.

    Cached: the tree is immutable, and one rule is checked against many members.
    """
    return parse(rule)


def _tree(rule: str | Expression) -> Expression:
    return parse_rule(rule) if isinstance(rule, str) else rule


def canonical(rule: str | Expression) -> str:
    """The rule in its canonical spelling (lower-case keywords, minimal brackets), to store."""
    return render(_tree(rule))


def compile_rule(rule: str | Expression) -> ColumnElement[bool]:
    """A condition over ``Member`` selecting exactly the members ``evaluate`` accepts.

    Use it in a WHERE clause: ``select(Member).where(compile_rule(rule))``.
    """
    return to_sql(_tree(rule))


def truth_for(rule: str | Expression, member: MemberLike) -> Truth:
    """True, False, or None where the register lacks a value the rule needs (SQL's UNKNOWN)."""
    return truth(_tree(rule), member)


def evaluate(rule: str | Expression, member: MemberLike) -> bool:
    """Whether one member is eligible: a ``Member`` or a mapping with the same field names."""
    return truth_for(rule, member) is True


def describe_failure(rule: str | Expression, member: MemberLike) -> str | None:
    """None for an eligible member; otherwise which clause they fail and what the register says.

    For example: ``your region is "North West"; this election needs region in ("East
    Midlands", "West Midlands")``.
    """
    return explain(_tree(rule), member)
