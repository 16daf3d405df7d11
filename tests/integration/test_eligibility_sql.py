"""Eligibility rules on a real database: the SQL condition picks exactly whom Python admits.

The property test builds random registers (missing joining dates, missing and non-text
attributes, empty strings, non-ASCII text, quotes and backslashes) and random rule trees,
renders each tree to text, parses it back, and compares ``SELECT … WHERE compile_rule(rule)``
with ``evaluate`` member by member. It runs on SQLite by default and on PostgreSQL when
GOVERNANCE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any, cast

import hypothesis
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from governance.config import Settings
from governance.db import create_engine
from governance.eligibility.rules import (
    And,
    Attribute,
    Comparison,
    Emptiness,
    Expression,
    Field,
    Membership,
    Not,
    Or,
    canonical,
    compile_rule,
    describe_failure,
    evaluate,
    parse_rule,
)
from governance.members.models import Member, MemberStatus

MEMBERS = cast(Table, Member.__table__)
TEXT_FIELDS = ("membership_number", "name", "email", "organisation", "region", "category")
STATUSES = [status.value for status in MemberStatus]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# Values that sit on the edges where SQL and Python could part: case, trailing space, empty,
# non-ASCII, quotes and backslashes (which the rule text must escape).
TEXT_POOL = [
    "East Midlands",
    "east midlands",
    "East Midlands ",
    "West Midlands",
    "North West",
    "",
    "Île-de-France",
    "Zoë Brontë",
    'O"Brien',
    "back\\slash",
    "Ōsaka 大阪",
]
# Any Unicode text PostgreSQL can store: no NUL, and UTF-8 leaves out lone surrogates.
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)
TEXTS = st.one_of(st.sampled_from(TEXT_POOL), ANY_TEXT)
DATE_POOL = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2), date(2020, 2, 29)]
DATES = st.one_of(st.sampled_from(DATE_POOL), st.dates(date(1990, 1, 1), date(2030, 12, 31)))
KEYS = st.sampled_from(
    ["phase", "school type", "clé", "a.b", "back\\slash", 'q"t', "it's; --", "Key-2"]
)
ATTRIBUTE_VALUES = st.one_of(
    TEXTS, st.integers(-3, 3), st.booleans(), st.none(), st.just(["East Midlands"])
)


# --- registers ------------------------------------------------------------------------------


@st.composite
def registers(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(0, 8))
    return [draw(member_rows(number)) for number in range(1, size + 1)]


def member_rows(number: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.just(number),
            "membership_number": st.just(f"M{number:03d}"),
            "name": TEXTS,
            "email": TEXTS,
            "organisation": TEXTS,
            "region": TEXTS,
            "category": TEXTS,
            "status": st.sampled_from(STATUSES),
            "joined_on": st.one_of(st.none(), DATES),
            "attributes": st.dictionaries(KEYS, ATTRIBUTE_VALUES, max_size=3),
            "created_at": st.just(NOW),
            "updated_at": st.just(NOW),
        }
    )


# --- rules ----------------------------------------------------------------------------------


def text_conditions() -> st.SearchStrategy[Expression]:
    subjects = st.one_of(
        st.sampled_from([Field(name) for name in TEXT_FIELDS]), KEYS.map(Attribute)
    )
    return st.one_of(
        st.builds(Comparison, subjects, st.sampled_from(["=", "!="]), TEXTS),
        st.builds(
            Membership, subjects, st.lists(TEXTS, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(Emptiness, subjects, st.booleans()),
    )


def status_conditions() -> st.SearchStrategy[Expression]:
    status = st.just(Field("status"))
    values = st.sampled_from(STATUSES)
    return st.one_of(
        st.builds(Comparison, status, st.sampled_from(["=", "!="]), values),
        st.builds(
            Membership, status, st.lists(values, min_size=1, max_size=2).map(tuple), st.booleans()
        ),
    )


def date_conditions() -> st.SearchStrategy[Expression]:
    joined = st.just(Field("joined"))
    return st.one_of(
        st.builds(Comparison, joined, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), DATES),
        st.builds(
            Membership, joined, st.lists(DATES, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(Emptiness, joined, st.booleans()),
    )


def groups(children: st.SearchStrategy[Expression]) -> st.SearchStrategy[Expression]:
    operands = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(st.builds(Not, children), st.builds(And, operands), st.builds(Or, operands))


RULES = st.recursive(
    st.one_of(text_conditions(), status_conditions(), date_conditions()), groups, max_leaves=6
)


def test_rendered_rules_parse_back_to_the_same_tree() -> None:
    @hypothesis.settings(max_examples=300, deadline=None)
    @given(RULES)
    def round_trip(tree: Expression) -> None:
        assert parse_rule(canonical(tree)) == tree

    round_trip()


# --- SQL against Python ---------------------------------------------------------------------


async def _store(engine: AsyncEngine, register: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace the register (one executemany) and read it back as the database holds it."""
    async with engine.begin() as connection:
        await connection.execute(delete(MEMBERS))
        if register:
            await connection.execute(insert(MEMBERS), register)
    async with engine.connect() as connection:
        rows = await connection.execute(select(MEMBERS).order_by(MEMBERS.c.id))
        return [dict(row._mapping) for row in rows]


async def _selected(engine: AsyncEngine, rule: str) -> set[int]:
    async with engine.connect() as connection:
        result = await connection.execute(select(Member.id).where(compile_rule(rule)))
        return set(result.scalars())


async def _check(
    engine: AsyncEngine, register: list[dict[str, Any]], trees: list[Expression]
) -> None:
    stored = await _store(engine, register)
    for tree in trees:
        rule = canonical(tree)
        assert parse_rule(rule) == tree
        expected = {row["id"] for row in register if evaluate(rule, row)}
        assert {row["id"] for row in stored if evaluate(rule, row)} == expected, rule
        assert await _selected(engine, rule) == expected, rule


def test_sql_and_python_agree_on_random_registers_and_rules(settings: Settings) -> None:
    # A sync test driving its own event loop: hypothesis runs each example to completion on one
    # engine, and no fixture-owned loop is shared between examples.
    with asyncio.Runner() as runner:
        engine = create_engine(settings.database_url)

        @hypothesis.settings(max_examples=60, deadline=None)
        @given(registers(), st.lists(RULES, min_size=1, max_size=4))
        def agree(register: list[dict[str, Any]], trees: list[Expression]) -> None:
            runner.run(_check(engine, register, trees))

        try:
            agree()
        finally:
            runner.run(engine.dispose())


# --- worked examples on the database --------------------------------------------------------


async def _add(db: AsyncSession, number: int, **fields: Any) -> Member:
    entry: dict[str, Any] = {
        "membership_number": f"M{number:03d}",
        "name": f"Member {number}",
        "email": f"m{number}@example.org",
        "organisation": "Peak Trust",
        "region": "East Midlands",
        "category": "Full",
        "status": "active",
        "joined_on": date(2020, 1, 1),
        "attributes": {},
        "created_at": NOW,
        "updated_at": NOW,
    }
    member = Member(**{**entry, **fields})
    db.add(member)
    await db.flush()
    return member


async def test_the_example_rule_selects_the_members_it_describes(db: AsyncSession) -> None:
    rule = (
        'status = "active" and region in ("East Midlands", "West Midlands") and joined < 2026-01-01'
    )
    eligible = await _add(db, 1)
    lapsed = await _add(db, 2, status="lapsed")
    elsewhere = await _add(db, 3, region="North West")
    undated = await _add(db, 4, joined_on=None)
    late = await _add(db, 5, joined_on=date(2026, 1, 1))
    await db.commit()

    chosen = (await db.scalars(select(Member).where(compile_rule(rule)))).all()

    assert [member.id for member in chosen] == [eligible.id]
    for member in (lapsed, elsewhere, undated, late):
        assert evaluate(rule, member) is False
        assert describe_failure(rule, member)
    assert describe_failure(rule, elsewhere) == (
        'your region is "North West"; this election needs '
        'region in ("East Midlands", "West Midlands")'
    )


async def test_negating_an_unknown_comparison_still_excludes(db: AsyncSession) -> None:
    await _add(db, 1, joined_on=None, attributes={"phase": 3})
    await db.commit()
    for rule in (
        "not joined < 2026-01-01",
        'not attributes.phase = "3"',
        "not joined >= 2026-01-01",
    ):
        assert (await db.scalars(select(Member.id).where(compile_rule(rule)))).all() == [], rule


async def test_attribute_names_with_spaces_dots_quotes_and_accents(db: AsyncSession) -> None:
    attributes = {"school type": "Academy", "a.b": "x", "clé": "é", 'say "hi"': "y"}
    member = await _add(db, 1, attributes=attributes)
    await _add(db, 2, attributes={"school type": "Academy"})
    await db.commit()
    rule = (
        'attribute("school type") = "Academy" and attribute("a.b") = "x" '
        'and attributes.clé = "é" and attribute("say \\"hi\\"") = "y"'
    )
    assert (await db.scalars(select(Member.id).where(compile_rule(rule)))).all() == [member.id]
