"""The eligibility rule tree, the error a bad rule raises, and the tree rendered back to text.

The tree is immutable (frozen dataclasses) so that a parsed rule can be cached, shared between
requests and compared for equality; ``render(parse(text))`` is the canonical spelling of a rule
and ``parse(render(tree)) == tree`` for every tree the parser can build.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from governance.i18n import _

# The register fields a rule may name, and the Member column each one reads.
TEXT_FIELDS = ("membership_number", "name", "email", "organisation", "region", "category")
FIELD_COLUMNS = {**{name: name for name in TEXT_FIELDS}, "status": "status", "joined": "joined_on"}
DATE_FIELDS = frozenset({"joined"})

Operator = Literal["=", "!=", "<", "<=", ">", ">="]
ORDERING_OPERATORS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
# One table for both evaluations: on Python values it gives a bool, on a SQLAlchemy column the
# matching SQL comparison.
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# ``attributes.KEY`` needs no quotes when the key is made of these characters.
BARE_ATTRIBUTE_KEY = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Field:
    """One of the register's own fields, by its rule name (``joined`` for ``joined_on``)."""

    name: str


@dataclass(frozen=True)
class Attribute:
    """A free-form attribute; only text values count, anything else reads as missing."""

    key: str


Subject = Field | Attribute
Value = str | date


@dataclass(frozen=True)
class Comparison:
    subject: Subject
    operator: Operator
    value: Value


@dataclass(frozen=True)
class Membership:
    subject: Subject
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Emptiness:
    """``is empty``: the value is missing or the empty string (never unknown)."""

    subject: Subject
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Expression


@dataclass(frozen=True)
class And:
    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expression, ...]


Condition = Comparison | Membership | Emptiness
Expression = Condition | Not | And | Or


class RuleError(ValueError):
    """A rule that cannot be parsed; ``position`` is the 0-based offset of the problem."""

    def __init__(self, rule: str, position: int, message: str, hint: str = "") -> None:
        self.rule = rule
        self.position = position
        self.message = message
        self.hint = hint
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """One line: what is wrong, where, and what to do about it."""
        line = _("%(problem)s at position %(position)d") % {
            "problem": self.message,
            "position": self.position,
        }
        return f"{line}; {self.hint}" if self.hint else line

    def __str__(self) -> str:
        return f"{self.summary}\n{self.pointer()}"

    def pointer(self) -> str:
        """The line of the rule holding the problem, and a caret under the offending character."""
        start = self.rule.rfind("\n", 0, self.position) + 1
        end = self.rule.find("\n", self.position)
        line = self.rule[start : end if end >= 0 else len(self.rule)]
        # Keep tabs so the caret lines up in a terminal whatever its tab width.
        indent = "".join("\t" if c == "\t" else " " for c in self.rule[start : self.position])
        return f"    {line}\n    {indent}^"


def render(node: Expression) -> str:
    """The rule as text in its canonical spelling: lower-case keywords, minimal parentheses."""
    if isinstance(node, Or):
        return " or ".join(_grouped(child, (Or,)) for child in node.operands)
    if isinstance(node, And):
        return " and ".join(_grouped(child, (Or, And)) for child in node.operands)
    if isinstance(node, Not):
        return "not " + _grouped(node.operand, (Or, And))
    return render_condition(node)


def _grouped(node: Expression, needs_brackets: tuple[type, ...]) -> str:
    # A nested group the parser would otherwise flatten (or bind differently) keeps its brackets.
    text = render(node)
    return f"({text})" if isinstance(node, needs_brackets) else text


def render_condition(node: Condition) -> str:
    subject = render_subject(node.subject)
    if isinstance(node, Comparison):
        return f"{subject} {node.operator} {render_value(node.value)}"
    if isinstance(node, Membership):
        values = ", ".join(render_value(value) for value in node.values)
        return f"{subject} {'not in' if node.negated else 'in'} ({values})"
    return f"{subject} {'is not empty' if node.negated else 'is empty'}"


def render_subject(subject: Subject) -> str:
    if isinstance(subject, Field):
        return subject.name
    if BARE_ATTRIBUTE_KEY.fullmatch(subject.key):
        return f"attributes.{subject.key}"
    return f"attribute({quote(subject.key)})"


def render_value(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else quote(value)


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
