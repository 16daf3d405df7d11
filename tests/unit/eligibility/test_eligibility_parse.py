"""The eligibility rule language: what parses to what, precedence, and every kind of error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from governance.eligibility.rules import (
    And,
    Attribute,
    Comparison,
    Emptiness,
    Field,
    Membership,
    Not,
    Or,
    RuleError,
    canonical,
    compile_rule,
    parse_rule,
)
from governance.members.models import Member

REGION = Field("region")
ACTIVE = Comparison(Field("status"), "=", "active")


def eq(field: str, value: str) -> Comparison:
    return Comparison(Field(field), "=", value)


def test_the_example_rule_parses_into_a_tree() -> None:
    rule = (
        'status = "active" and region in ("East Midlands", "West Midlands") and joined < 2026-01-01'
    )
    assert parse_rule(rule) == And(
        (
            ACTIVE,
            Membership(REGION, ("East Midlands", "West Midlands")),
            Comparison(Field("joined"), "<", date(2026, 1, 1)),
        )
    )


@pytest.mark.parametrize(
    ("rule", "tree"),
    [
        ('STATUS = "Active" AND Region IN ("East")', And((ACTIVE, Membership(REGION, ("East",))))),
        ('region not in ("A", "B",)', Membership(REGION, ("A", "B"), negated=True)),
        ("region is empty", Emptiness(REGION)),
        ("joined IS NOT EMPTY", Emptiness(Field("joined"), negated=True)),
        ('attributes.phase = "Primary"', Comparison(Attribute("phase"), "=", "Primary")),
        ('attributes.Key-2 != "x"', Comparison(Attribute("Key-2"), "!=", "x")),
        ('attribute("school type") = "x"', Comparison(Attribute("school type"), "=", "x")),
        ('name = "O\\"Brien \\\\ Zoë"', eq("name", 'O"Brien \\ Zoë')),
        ('name = ""', eq("name", "")),
        ("joined >= 2020-02-29", Comparison(Field("joined"), ">=", date(2020, 2, 29))),
        ('status != "lapsed"', Comparison(Field("status"), "!=", "lapsed")),
        ('\n  region = "a"\n  or\tregion = "b"\n', Or((eq("region", "a"), eq("region", "b")))),
    ],
)
def test_good_rules_parse(rule: str, tree: object) -> None:
    assert parse_rule(rule) == tree


@pytest.mark.parametrize(
    ("rule", "tree"),
    [
        # and binds tighter than or; not binds tighter than and.
        (
            'region = "a" or region = "b" and name = "c"',
            Or((eq("region", "a"), And((eq("region", "b"), eq("name", "c"))))),
        ),
        (
            'not region = "a" and name = "c"',
            And((Not(eq("region", "a")), eq("name", "c"))),
        ),
        (
            'not region = "a" or name = "c"',
            Or((Not(eq("region", "a")), eq("name", "c"))),
        ),
        (
            '(region = "a" or region = "b") and name = "c"',
            And((Or((eq("region", "a"), eq("region", "b"))), eq("name", "c"))),
        ),
        (
            'not (region = "a" and name = "c")',
            Not(And((eq("region", "a"), eq("name", "c")))),
        ),
        ('not not region = "a"', Not(Not(eq("region", "a")))),
        # A chain flattens; brackets keep their own node.
        (
            'name = "a" and name = "b" and name = "c"',
            And((eq("name", "a"), eq("name", "b"), eq("name", "c"))),
        ),
        (
            '(name = "a" and name = "b") and name = "c"',
            And((And((eq("name", "a"), eq("name", "b"))), eq("name", "c"))),
        ),
        ('((name = "a"))', eq("name", "a")),
    ],
)
def test_precedence(rule: str, tree: object) -> None:
    assert parse_rule(rule) == tree


@pytest.mark.parametrize(
    ("rule", "spelling"),
    [
        (
            'STATUS = "Active" AND (Region = "a" OR Region = "b")',
            'status = "active" and (region = "a" or region = "b")',
        ),
        ('not (attribute("school type") is empty)', 'not attribute("school type") is empty'),
        ('attribute("phase") in ("x",)', 'attributes.phase in ("x")'),
        ('((name = "a"))', 'name = "a"'),
    ],
)
def test_canonical_spelling(rule: str, spelling: str) -> None:
    assert canonical(rule) == spelling
    assert parse_rule(spelling) == parse_rule(rule)


@pytest.mark.parametrize(
    ("rule", "position", "message"),
    [
        ('status = "active" and regoin = "x"', 22, 'unknown field "regoin"'),
        ("", 0, "the rule is empty"),
        ("   ", 3, "the rule is empty"),
        ('region = "East', 9, "no closing double quote"),
        ('region = "a\\nb"', 11, "unknown escape"),
        ("region = #", 9, "unexpected character '#'"),
        ('region == "x"', 7, "unknown operator =="),
        ('region <> "x"', 7, "unknown operator <>"),
        ('region ! "x"', 7, "unexpected character '!'"),
        ("joined < 2026-02-30", 9, "2026-02-30 is not a real date"),
        ("joined < 2026-1-1", 9, "2026-1-1 is not a date"),
        ('joined < "2026-01-01"', 9, "joined is a date"),
        ('joined in (2026-01-01, "soon")', 23, "joined is a date"),
        ('region < "M"', 7, "the operator < compares dates only, and region is text"),
        ('attributes.x >= "M"', 13, ">= compares dates only"),
        ("region = 5", 9, "expected a value in double quotes after region"),
        ("region = East", 9, "expected a value in double quotes after region"),
        ("region = 2026-01-01", 9, "expected a value in double quotes after region"),
        ('status = "actve"', 9, 'unknown status "actve"'),
        ('status = "retired"', 9, 'unknown status "retired"'),
        ("status is empty", 7, "status is never empty"),
        ("region is blank", 10, 'expected "empty" after "is", found "blank"'),
        ('region in "a"', 10, 'expected "(" to start the list of values'),
        ("region in ()", 11, "the list of values is empty"),
        ('region in ("a" "b")', 15, 'expected "," or ")"'),
        ('(region = "a"', 13, "expected a closing bracket"),
        ('region = "a")', 12, 'unexpected ")"'),
        ('region = "a" region = "b"', 13, 'unexpected "region"'),
        ('region = "a" and', 16, "expected a field such as region, found the end of the rule"),
        ('and region = "a"', 0, 'expected a field such as region, found "and"'),
        ("region", 6, "expected a comparison after region"),
        ('region not = "x"', 11, 'expected "in" after "not", found "="'),
        ('attributes. = "x"', 11, "expected an attribute name"),
        ('attributes = "x"', 0, "expected the attribute's name after attributes"),
        ('attribute(phase) = "x"', 10, "expected the attribute name in double quotes"),
        ('attribute("") = "x"', 10, "expected the attribute name in double quotes"),
        ('attribute("a" = "x"', 14, "expected a closing bracket"),
    ],
)
def test_bad_rules_name_the_position(rule: str, position: int, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert caught.value.position == position
    assert message in caught.value.message


def test_error_suggests_the_field_that_was_meant() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('status = "active" and regoin in ("East Midlands")')
    first_line = str(caught.value).splitlines()[0]
    assert first_line == 'unknown field "regoin" at position 22; did you mean "region"?'


def test_error_suggests_a_known_status() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('status = "lapsd"')
    assert caught.value.hint == 'did you mean "lapsed"?'


def test_quoted_date_error_says_to_remove_the_quotes() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('joined < "2026-01-01"')
    assert caught.value.hint == "remove the quotes: 2026-01-01"


def test_error_text_points_a_caret_at_the_offending_character() -> None:
    rule = 'status = "active" and regoin = "x"'
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    _summary, shown, caret = str(caught.value).splitlines()
    assert shown.strip() == rule
    assert caret.index("^") - shown.index("s") == 22


def test_error_in_a_rule_over_several_lines_shows_that_line() -> None:
    rule = 'status = "active"\nand\tregion < "M"'
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    assert caught.value.position == rule.index("<")
    _summary, shown, caret = str(caught.value).splitlines()
    assert shown == '    and\tregion < "M"'
    assert caret == "       \t       ^"


def test_keywords_are_not_field_names() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('not = "x"')
    assert caught.value.position == 4


def _documented_errors() -> list[tuple[str, list[str]]]:
    """The rows of the error table in docs/eligibility.md: the rule, and parts of the message."""
    page = Path(__file__).resolve().parents[3] / "docs" / "eligibility.md"
    table = page.read_text(encoding="utf-8").split("| you wrote |", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("| "):
            continue
        written, message = (cell.strip().strip("`") for cell in line.strip("|").split(" | "))
        rule = "" if written == "(nothing)" else written
        rows.append((rule, [part.strip() for part in message.split("…") if part.strip()]))
    return rows


def test_the_documented_error_messages_are_the_ones_given() -> None:
    documented = _documented_errors()
    assert len(documented) >= 15
    for rule, parts in documented:
        with pytest.raises(RuleError) as caught:
            parse_rule(rule)
        for part in parts:
            assert part in caught.value.summary, (rule, caught.value.summary)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_attribute_names_and_values_reach_the_database_as_parameters(dialect: Dialect) -> None:
    rule = 'attribute("x\'); DROP TABLE members; --") = "\'; DELETE FROM members; --"'
    sql = str(select(Member.id).where(compile_rule(rule)).compile(dialect=dialect))
    assert "DROP" not in sql
    assert "DELETE" not in sql
