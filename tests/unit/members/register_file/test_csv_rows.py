"""One register row checked: keys normalised, other text kept verbatim, each problem named."""

from __future__ import annotations

from datetime import date

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from governance.members.register_file.columns import plan_columns
from governance.members.register_file.rows import (
    PROBLEM_CAP,
    ProblemLog,
    RowChecker,
    fold,
    parse_date,
    register_email,
    shown,
)

HEADINGS = ["Membership number", "Name", "Email", "Trust", "Status", "Joined", "Phone"]


def _check(cells: list[str]) -> tuple[object, list[str]]:
    problems = ProblemLog()
    row = RowChecker(plan_columns(HEADINGS), problems).check(7, cells)
    return row, [str(problem) for problem in problems.listed]


def _reference(text: str) -> str | None:
    try:
        return validate_email(text.strip().lower(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize(
    "address",
    [
        "Ann.Evans@Example.ORG", "a+b@sub.example.co.uk", "x@example.com", "bob@", "bob@localhost",
        "a@b.test", "a..b@example.org", ".a@example.org", "a@-x.org", "a@x-.org", "a@ab--cd.org",
        "a@xn--bcher-kva.example", "a@1.2.3.4", "a@[1.2.3.4]", "ä@ü.de", "a@example.c0m",
        "a" * 65 + "@example.org", "a@" + "b" * 64 + ".org", " spaced@example.org ",
        "a@example.local", "a@sub.example.onion", "a b@example.org", "a@example.org.",
    ],
)  # fmt: skip
def test_email_fast_path_agrees_with_email_validator(address: str) -> None:
    assert register_email(address) == _reference(address)


_ATOM = st.text(alphabet="abcXYZ09.-_+'=", min_size=1, max_size=12)


@given(local=_ATOM, labels=st.lists(_ATOM, min_size=1, max_size=3), tld=_ATOM)
def test_email_fast_path_agrees_with_email_validator_on_generated_addresses(
    local: str, labels: list[str], tld: str
) -> None:
    address = f"{local}@{'.'.join(labels)}.{tld}"
    assert register_email(address) == _reference(address)


def test_dates_in_iso_and_uk_order() -> None:
    assert parse_date("2024-03-01") == date(2024, 3, 1)
    assert parse_date("01/03/2024") == date(2024, 3, 1)
    assert parse_date(" ") is None
    for bad in ("31/02/2024", "2024/03/01", "1/3/24", "March 2024", "2024-13-01"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_membership_numbers_compare_without_case_or_spaces() -> None:
    assert fold("ab 123") == fold("AB123") == "AB123"
    assert fold("AB123") == "AB123"


def test_good_row_keeps_text_verbatim_and_normalises_keys() -> None:
    row, problems = _check(
        [" M1 ", "=1+2", " Ann@Example.ORG", "<b>Trust</b>", "Active", "01/03/2024", "@x"]
    )
    assert problems == []
    assert row is not None
    assert row.number == "M1" and row.email == "ann@example.org"  # type: ignore[attr-defined]
    assert row.text == {"name": "=1+2", "organisation": "<b>Trust</b>"}  # type: ignore[attr-defined]
    assert row.status == "active" and row.joined_on == date(2024, 3, 1)  # type: ignore[attr-defined]
    assert row.attributes == {"Phone": "@x"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["", "Ann", "a@example.org", "", "", "", ""],
         'line 7, column "Membership number": The membership number is empty.'),
        (["M1", " ", "a@example.org", "", "", "", ""], 'line 7, column "Name": The name is empty.'),
        (["M1", "Ann", "", "", "", "", ""], 'line 7, column "Email": The email address is empty.'),
        (["M1", "Ann", "bob@", "", "", "", ""],
         'line 7, column "Email": "bob@" is not a valid email address.'),
        (["M1", "Ann", "a@example.org", "", "gone", "", ""],
         'line 7, column "Status": "gone" is not a status: write active, lapsed or suspended.'),
        (["M1", "Ann", "a@example.org", "", "", "30/02/2024", ""],
         'line 7, column "Joined": "30/02/2024" is not a date: write YYYY-MM-DD or DD/MM/YYYY.'),
        (["M1", "A" * 201, "a@example.org", "", "", "", ""],
         'line 7, column "Name": Longer than 200 characters.'),
        (["M1", "Ann", "a@example.org"], "line 7: The row has 3 cells but the header has 7."),
        (["M1", "Ann", "a@example.org", "", "", "", "", "extra"],
         "line 7: The row has 8 cells but the header has 7."),
    ],
)  # fmt: skip
def test_each_kind_of_bad_cell_is_named_with_line_and_column(
    cells: list[str], expected: str
) -> None:
    _row, problems = _check(cells)
    assert problems == [expected]


def test_blank_rows_are_skipped() -> None:
    assert _check([""] * 7) == (None, [])
    assert _check([]) == (None, [])


def test_problem_list_is_capped_but_counts_everything() -> None:
    problems = ProblemLog()
    for line in range(PROBLEM_CAP + 500):
        problems.add(line, "Email", "bad")
    assert len(problems.listed) == PROBLEM_CAP and problems.total == PROBLEM_CAP + 500


def test_values_in_reports_are_short_and_show_control_characters() -> None:
    assert shown("a\tb\r\nc\x00") == "a\\tb\\r\\nc\\x00"
    assert shown("x" * 100) == "x" * 79 + "…"
