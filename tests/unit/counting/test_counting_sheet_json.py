"""The count sheet's own JSON writer and number formatter against the standard ones."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting.sheet import dumps, format_number, number_formatter, remembering

SCALARS = st.none() | st.booleans() | st.integers() | st.text()
JSON_DATA = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_DATA)
def test_dumps_writes_what_json_dumps_writes(data: Any) -> None:
    assert dumps(data) == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


@settings(max_examples=50, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False),
        st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=3),
        st.lists(st.floats(allow_nan=False), min_size=1, max_size=3),
    )
)
def test_dumps_leaves_anything_else_to_json_dumps(data: Any) -> None:
    assert dumps(data) == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.integers(-(10**12), 10**12), st.fractions(max_denominator=10**9)),
    st.sampled_from([None, 0, 2, 5, 9]),
)
def test_number_formatter_writes_what_format_number_writes(
    value: Fraction | int, decimals: int | None
) -> None:
    assert number_formatter(decimals)(value) == format_number(value, decimals)


def test_remembered_numbers_are_told_apart_by_object_and_value() -> None:
    num = remembering(number_formatter(2))
    half, third = Fraction(1, 2), Fraction(1, 3)
    assert [num(half), num(third), num(half), num(Fraction(1, 2)), num(7)] == [
        "0.50",
        "0.33",
        "0.50",
        "0.50",
        "7.00",
    ]


def test_remembering_never_mistakes_a_new_number_for_a_freed_one() -> None:
    num = remembering(number_formatter(2))
    for i in range(2000):  # temporaries: without care a freed object's id comes back
        assert num(Fraction(i, 100)) == format_number(Fraction(i, 100), 2)
