"""A recursive-descent parser for eligibility rules, with type checks at parse time.

Grammar (keywords and field names are case-insensitive; attribute names are not)::

    rule       := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | condition
    condition  := subject ( OPERATOR value
                          | ["not"] "in" "(" value ("," value)* [","] ")"
                          | "is" ["not"] "empty" )
    subject    := FIELD | "attributes." NAME | "attribute" "(" STRING ")"
    value      := STRING | DATE

Type rules are checked here, so that a rule which parses can always be compiled to SQL and
evaluated in Python with the same answer: dates compare with dates, ``status`` only with the
statuses a member can have, and ordering (``<`` and friends) only applies to dates, because text
ordering differs between SQLite's binary collation and PostgreSQL's locale collation.
"""

from __future__ import annotations

import contextlib
import difflib
from datetime import date
from typing import cast

from governance.eligibility.tokens import Token, tokenize
from governance.eligibility.tree import (
    DATE_FIELDS,
    FIELD_COLUMNS,
    ORDERING_OPERATORS,
    And,
    Attribute,
    Comparison,
    Condition,
    Emptiness,
    Expression,
    Field,
    Membership,
    Not,
    Operator,
    Or,
    RuleError,
    Subject,
    Value,
    quote,
    render_subject,
)
from governance.i18n import _
from governance.members.models import MemberStatus

_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "attribute"})
_STATUSES = tuple(status.value for status in MemberStatus)


def parse(rule: str) -> Expression:
    """The rule's tree; raises RuleError naming the position of the first problem."""
    return _Parser(rule).parse()


class _Parser:
    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.tokens = tokenize(rule)
        self.index = 0

    # --- token stream ---------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def accept(self, word: str) -> bool:
        """Consume the keyword or punctuation ``word`` if it comes next."""
        if self.current.kind in ("word", "punct") and self.current.value == word:
            self.advance()
            return True
        return False

    def expect(self, word: str, what: str) -> None:
        if not self.accept(word):
            message = _("expected %(what)s, found %(found)s")
            raise self.error(
                self.current, message % {"what": what, "found": self.found(self.current)}
            )

    def found(self, token: Token) -> str:
        if token.kind == "end":
            return _("the end of the rule")
        return token.text if token.kind == "string" else quote(token.text)

    def at_end(self) -> bool:
        return self.current.kind == "end"

    def error(self, token: Token, message: str, hint: str = "") -> RuleError:
        return RuleError(self.rule, token.position, message, hint)

    # --- grammar --------------------------------------------------------------------------

    def parse(self) -> Expression:
        if self.at_end():
            raise self.error(
                self.current, _("the rule is empty"), _('write a condition like status = "active"')
            )
        tree = self.or_expr()
        if not self.at_end():
            raise self.error(
                self.current,
                _("unexpected %(found)s") % {"found": self.found(self.current)},
                _("join conditions with and / or"),
            )
        return tree

    def or_expr(self) -> Expression:
        operands = [self.and_expr()]
        while self.accept("or"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expression:
        operands = [self.not_expr()]
        while self.accept("and"):
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expression:
        if self.accept("not"):
            return Not(self.not_expr())
        if self.accept("("):
            inner = self.or_expr()
            self.expect(")", _('a closing bracket ")"'))
            return inner
        return self.condition()

    def condition(self) -> Condition:
        subject = self.subject()
        token = self.current
        if token.kind == "operator":
            self.advance()
            return self.comparison(subject, token)
        if self.accept("is"):
            negated = self.accept("not")
            self.expect("empty", _('"empty" after "is"'))
            return self.emptiness(subject, negated, token)
        if self.accept("not"):
            self.expect("in", _('"in" after "not"'))
            return Membership(subject, self.value_list(subject), negated=True)
        if self.accept("in"):
            return Membership(subject, self.value_list(subject))
        raise self.error(
            self.current,
            _("expected a comparison after %(subject)s, found %(found)s")
            % {"subject": render_subject(subject), "found": self.found(self.current)},
            _("use =, !=, <, <=, >, >=, in (…), not in (…) or is empty"),
        )

    # --- subjects -------------------------------------------------------------------------

    def subject(self) -> Subject:
        token = self.advance()
        if token.kind == "attribute":
            return Attribute(cast(str, token.value))
        if token.kind == "word" and token.value == "attribute":
            return self.quoted_attribute()
        if token.kind == "word" and token.value in FIELD_COLUMNS:
            return Field(cast(str, token.value))
        raise self.unknown_subject(token)

    def quoted_attribute(self) -> Attribute:
        self.expect("(", _('"(" after attribute'))
        token = self.advance()
        if token.kind != "string" or not token.value:
            raise self.error(
                token,
                _("expected the attribute name in double quotes"),
                _('like attribute("school type")'),
            )
        self.expect(")", _('a closing bracket ")"'))
        return Attribute(cast(str, token.value))

    def unknown_subject(self, token: Token) -> RuleError:
        if token.kind != "word" or token.value in _KEYWORDS:
            return self.error(
                token,
                _("expected a field such as region, found %(found)s")
                % {"found": self.found(token)},
            )
        if token.value == "attributes":
            return self.error(
                token,
                _("expected the attribute's name after attributes"),
                _('write attributes.NAME, or attribute("NAME") for a name with spaces'),
            )
        names = [*FIELD_COLUMNS, "attributes"]
        close = difflib.get_close_matches(cast(str, token.value), names, n=1)
        hint = (
            _("did you mean %(name)s?") % {"name": quote(close[0])}
            if close
            else _("fields are %(names)s, and attributes.NAME")
            % {"names": ", ".join(FIELD_COLUMNS)}
        )
        return self.error(token, _("unknown field %(name)s") % {"name": quote(token.text)}, hint)

    # --- conditions and values ------------------------------------------------------------

    def comparison(self, subject: Subject, operator: Token) -> Comparison:
        if operator.value in ORDERING_OPERATORS and not is_date(subject):
            raise self.error(
                operator,
                _("the operator %(operator)s compares dates only, and %(subject)s is text")
                % {"operator": operator.text, "subject": render_subject(subject)},
                _("use = or in (…) for text"),
            )
        return Comparison(subject, cast(Operator, operator.value), self.value(subject))

    def emptiness(self, subject: Subject, negated: bool, at: Token) -> Emptiness:
        if is_status(subject):
            raise self.error(at, _("status is never empty"), _("every member has a status"))
        return Emptiness(subject, negated)

    def value_list(self, subject: Subject) -> tuple[Value, ...]:
        self.expect("(", _('"(" to start the list of values'))
        if self.current.kind == "punct" and self.current.value == ")":
            raise self.error(
                self.current, _("the list of values is empty"), _("give at least one value")
            )
        values = [self.value(subject)]
        while self.accept(","):
            if self.current.kind == "punct" and self.current.value == ")":
                break  # a trailing comma is harmless
            values.append(self.value(subject))
        self.expect(")", _('"," or ")" in the list of values'))
        return tuple(values)

    def value(self, subject: Subject) -> Value:
        token = self.advance()
        if is_date(subject):
            return self.date_value(subject, token)
        if token.kind != "string":
            raise self.text_value_error(subject, token)
        text = cast(str, token.value)
        return self.status_value(text, token) if is_status(subject) else text

    def date_value(self, subject: Subject, token: Token) -> date:
        if token.kind == "date":
            return cast(date, token.value)
        hint = _("write it as YYYY-MM-DD without quotes, like 2026-01-31")
        if token.kind == "string":
            # A date in quotes gets the precise fix; other text keeps the general hint.
            with contextlib.suppress(ValueError):
                written = date.fromisoformat(cast(str, token.value)).isoformat()
                hint = _("remove the quotes: %(date)s") % {"date": written}
        raise self.error(
            token,
            _("%(subject)s is a date, so it compares with a date, not %(found)s")
            % {"subject": render_subject(subject), "found": self.found(token)},
            hint,
        )

    def text_value_error(self, subject: Subject, token: Token) -> RuleError:
        hint = _("put the value in double quotes")
        if token.kind in ("word", "number", "date"):
            hint = _("write %(quoted)s") % {"quoted": quote(token.text)}
        return self.error(
            token,
            _("expected a value in double quotes after %(subject)s, found %(found)s")
            % {"subject": render_subject(subject), "found": self.found(token)},
            hint,
        )

    def status_value(self, text: str, token: Token) -> str:
        # Statuses are stored lower-case (a check constraint), so "Active" can only mean active.
        if text.lower() in _STATUSES:
            return text.lower()
        close = difflib.get_close_matches(text.lower(), _STATUSES, n=1)
        known = ", ".join(_STATUSES)
        hint = (
            _("did you mean %(status)s?") % {"status": quote(close[0])}
            if close
            else _("a status is one of %(statuses)s") % {"statuses": known}
        )
        raise self.error(token, _("unknown status %(status)s") % {"status": quote(text)}, hint)


def is_date(subject: Subject) -> bool:
    return isinstance(subject, Field) and subject.name in DATE_FIELDS


def is_status(subject: Subject) -> bool:
    return isinstance(subject, Field) and subject.name == "status"
