"""Splitting an eligibility rule into tokens, each with the offset where it starts.

Hand-written rather than regular-expression soup so that every error can name the exact
character that is wrong (an unclosed quote, a date that does not exist, a stray symbol).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from governance.eligibility.tree import BARE_ATTRIBUTE_KEY, RuleError
from governance.i18n import _

Kind = Literal["word", "attribute", "string", "date", "number", "operator", "punct", "end"]

_WORD = re.compile(r"[^\W\d]\w*")
_NUMBERISH = re.compile(r"\d[\w-]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_MISTYPED_OPERATORS = {"==": "=", "<>": "!=", "=<": "<=", "=>": ">="}
_ESCAPES = {'"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # as written, for messages
    position: int
    value: str | date = ""  # the word lower-cased, the string unescaped, the date parsed


def tokenize(rule: str) -> list[Token]:
    """The rule's tokens, ending with one ``end`` token; raises RuleError on a bad character."""
    tokens: list[Token] = []
    position = 0
    while True:
        while position < len(rule) and rule[position].isspace():
            position += 1
        if position == len(rule):
            tokens.append(Token("end", "", position))
            return tokens
        token = _next_token(rule, position)
        tokens.append(token)
        position += len(token.text)


def _next_token(rule: str, position: int) -> Token:
    char = rule[position]
    if char == '"':
        return _string(rule, position)
    if char in "(),":
        return Token("punct", char, position, char)
    if char in "=!<>":
        return _operator(rule, position)
    if word := _WORD.match(rule, position):
        return _word(rule, word.group(), position)
    if number := _NUMBERISH.match(rule, position):
        return _date_or_number(rule, number.group(), position)
    raise RuleError(rule, position, _("unexpected character %(char)r") % {"char": char})


def _operator(rule: str, position: int) -> Token:
    pair = rule[position : position + 2]
    if pair in _MISTYPED_OPERATORS:
        raise RuleError(
            rule,
            position,
            _("unknown operator %(operator)s") % {"operator": pair},
            _("write %(operator)s") % {"operator": _MISTYPED_OPERATORS[pair]},
        )
    for operator in _OPERATORS:
        if rule.startswith(operator, position):
            return Token("operator", operator, position, operator)
    raise RuleError(
        rule,
        position,
        _("unexpected character %(char)r") % {"char": rule[position]},
        _("to exclude values write != or not in (…)"),
    )


def _word(rule: str, word: str, position: int) -> Token:
    after = position + len(word)
    if word.lower() != "attributes" or not rule.startswith(".", after):
        return Token("word", word, position, word.lower())
    key = BARE_ATTRIBUTE_KEY.match(rule, after + 1)
    if key is None:
        raise RuleError(
            rule,
            after + 1,
            _("expected an attribute name after attributes."),
            _('for a name with spaces write attribute("the name")'),
        )
    return Token("attribute", rule[position : key.end()], position, key.group())


def _date_or_number(rule: str, text: str, position: int) -> Token:
    if text.isdigit():
        return Token("number", text, position, text)
    if not _ISO_DATE.fullmatch(text):
        raise RuleError(
            rule,
            position,
            _("%(text)s is not a date") % {"text": text},
            _("write dates as YYYY-MM-DD, like 2026-01-31"),
        )
    try:
        return Token("date", text, position, date.fromisoformat(text))
    except ValueError:
        raise RuleError(rule, position, _("%(text)s is not a real date") % {"text": text}) from None


def _string(rule: str, start: int) -> Token:
    characters: list[str] = []
    position = start + 1
    while position < len(rule):
        char = rule[position]
        if char == '"':
            return Token("string", rule[start : position + 1], start, "".join(characters))
        if char == "\\":
            escaped = rule[position + 1 : position + 2]
            if escaped not in _ESCAPES:
                raise RuleError(
                    rule,
                    position,
                    _("unknown escape in a quoted value"),
                    _('write \\" for a double quote and \\\\ for a backslash'),
                )
            characters.append(_ESCAPES[escaped])
            position += 2
            continue
        characters.append(char)
        position += 1
    raise RuleError(
        rule, start, _("this quoted value has no closing double quote"), _('end it with "')
    )
