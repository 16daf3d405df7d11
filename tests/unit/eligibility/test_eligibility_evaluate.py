"""One member against a rule: SQL's three-valued logic in Python, and failures in plain words."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from governance.eligibility.rules import describe_failure, evaluate, truth_for
from governance.members.models import Member

RULE = 'status = "active" and region in ("East Midlands", "West Midlands") and joined < 2026-01-01'


def member(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "membership_number": "M-1",
        "name": "Zoë Brontë",
        "email": "zoe@example.org",
        "organisation": "Peak Trust",
        "region": "East Midlands",
        "category": "Full",
        "status": "active",
        "joined_on": date(2020, 5, 1),
        "attributes": {"school type": "Academy", "years": 5},
    }
    return {**entry, **fields}


def test_an_eligible_member_passes_and_has_no_failure() -> None:
    assert evaluate(RULE, member()) is True
    assert describe_failure(RULE, member()) is None


def test_a_member_object_is_evaluated_like_a_mapping() -> None:
    entry = member()
    assert evaluate(RULE, Member(**entry)) is True
    assert evaluate(RULE, Member(**{**entry, "region": "North West"})) is False


@pytest.mark.parametrize(
    "rule",
    [
        "joined < 2026-01-01",
        "not joined < 2026-01-01",
        "joined != 2026-01-01",
        "joined in (2020-05-01)",
    ],
)
def test_a_missing_joining_date_is_unknown_and_never_admits(rule: str) -> None:
    assert truth_for(rule, member(joined_on=None)) is None
    assert evaluate(rule, member(joined_on=None)) is False


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # Kleene logic: false and unknown is false; true or unknown is true.
        ('joined < 2026-01-01 and region = "Nowhere"', False),
        ('joined < 2026-01-01 and region = "East Midlands"', None),
        ('joined < 2026-01-01 or region = "East Midlands"', True),
        ('joined < 2026-01-01 or region = "Nowhere"', None),
        ("joined is empty", True),
        ("joined is not empty", False),
        ("not joined is empty", False),
    ],
)
def test_unknown_combines_as_in_sql(rule: str, expected: bool | None) -> None:
    assert truth_for(rule, member(joined_on=None)) is expected


@pytest.mark.parametrize(
    ("attributes", "rule", "expected"),
    [
        ({}, 'attributes.phase = "x"', None),
        ({}, 'attributes.phase != "x"', None),
        ({}, "attributes.phase is empty", True),
        ({"phase": ""}, "attributes.phase is empty", True),
        ({"phase": ""}, 'attributes.phase = ""', True),
        ({"phase": "Primary"}, "attributes.phase is not empty", True),
        # Only text counts: numbers, true/false and null read as missing on both databases.
        ({"phase": 5}, 'attributes.phase = "5"', None),
        ({"phase": True}, 'attributes.phase = "true"', None),
        ({"phase": None}, "attributes.phase is empty", True),
    ],
)
def test_attributes_missing_empty_and_not_text(
    attributes: dict[str, Any], rule: str, expected: bool | None
) -> None:
    assert truth_for(rule, member(attributes=attributes)) is expected


def test_text_compares_exactly() -> None:
    assert evaluate('region = "east midlands"', member()) is False
    assert evaluate('region = "East Midlands "', member()) is False
    assert evaluate('name = "Zoë Brontë"', member()) is True


def test_empty_text_is_a_value_and_empty() -> None:
    assert truth_for('category = ""', member(category="")) is True
    assert truth_for("category is empty", member(category="")) is True
    assert truth_for('category != "Full"', member(category="")) is True


def test_a_mapping_may_carry_the_joining_date_as_iso_text() -> None:
    assert evaluate("joined = 2020-05-01", member(joined_on="2020-05-01")) is True


def test_failure_names_the_clause_and_the_members_value() -> None:
    assert describe_failure(RULE, member(region="North West")) == (
        'your region is "North West"; this election needs '
        'region in ("East Midlands", "West Midlands")'
    )


def test_failure_names_the_first_clause_that_does_not_hold() -> None:
    lapsed = member(status="lapsed", region="North West")
    assert describe_failure(RULE, lapsed) == (
        'your membership status is "lapsed"; this election needs status = "active"'
    )


def test_failure_for_a_missing_value_says_the_register_lacks_it() -> None:
    assert describe_failure(RULE, member(joined_on=None)) == (
        "the register has no joining date for you; this election needs joined < 2026-01-01"
    )
    assert describe_failure('attribute("phase") = "Primary"', member()) == (
        'the register has no "phase" for you; this election needs attributes.phase = "Primary"'
    )


def test_failure_for_blank_text_says_it_is_blank() -> None:
    assert describe_failure("organisation is not empty", member(organisation="")) == (
        "your organisation is blank in the register; this election needs organisation is not empty"
    )


def test_failure_of_alternatives_explains_each() -> None:
    rule = 'region = "North West" or (category = "Associate" and joined < 2019-01-01)'
    assert describe_failure(rule, member()) == (
        "you meet none of the alternatives: "
        '(your region is "East Midlands"; this election needs region = "North West"); or '
        '(your category is "Full"; this election needs category = "Associate")'
    )


def test_failure_of_a_negation_lists_every_value_it_reads() -> None:
    rule = 'not (region = "East Midlands" and joined < 2021-01-01)'
    assert describe_failure(rule, member()) == (
        'your region is "East Midlands"; your joining date is 2020-05-01; '
        'this election needs not (region = "East Midlands" and joined < 2021-01-01)'
    )
