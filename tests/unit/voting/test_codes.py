"""Voting codes as a person reads and types them (issue 11: at least 100 bits, forgiving entry)."""

from __future__ import annotations

import math

import pytest

from governance.config import Settings
from governance.notify import fillers
from governance.voting import codes

KEY = "unit-test-secret-key-" + "k" * 32


def test_a_code_is_twenty_crockford_characters_carrying_100_bits() -> None:
    code = codes.derive(KEY, 1, 2, 1)
    assert len(code) == codes.LENGTH == 20
    assert set(code) <= set(codes.ALPHABET)
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) >= 100


def test_codes_differ_by_election_member_generation_and_key() -> None:
    variants = {
        codes.derive(KEY, 1, 2, 1),
        codes.derive(KEY, 2, 2, 1),
        codes.derive(KEY, 1, 3, 1),
        codes.derive(KEY, 1, 2, 2),
        codes.derive(KEY + "x", 1, 2, 1),
    }
    assert len(variants) == 5
    assert codes.derive(KEY, 1, 2, 1) == codes.derive(KEY, 1, 2, 1)


def test_a_code_is_shown_in_five_groups_of_four() -> None:
    shown = codes.grouped("ABCDEFGHJKMNPQRSTVWX")
    assert shown == "ABCD-EFGH-JKMN-PQRS-TVWX"


@pytest.mark.parametrize(
    "typed",
    [
        "7KQ2-M9XD-4HRT-B6WN-C3PA",
        "7kq2 m9xd 4hrt b6wn c3pa",
        " 7KQ2M9XD4HRTB6WNC3PA ",
        "7kq2-m9xd-4hrt-b6wn-c3pa",
    ],
)
def test_case_spaces_and_hyphens_do_not_matter(typed: str) -> None:
    assert codes.normalise(typed) == "7KQ2M9XD4HRTB6WNC3PA"


def test_look_alike_letters_are_read_as_the_digits_they_resemble() -> None:
    assert codes.normalise("IL0O-0000-0000-0000-0000") == "11000000000000000000"


@pytest.mark.parametrize(
    "typed", ["", "7KQ2", "7KQ2-M9XD-4HRT-B6WN-C3PAX", "UUUU-0000-0000-0000-0000"]
)
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert codes.normalise(typed) is None


def test_the_stored_hash_is_the_same_for_every_way_of_typing_the_code() -> None:
    code = codes.derive(KEY, 4, 5, 1)
    typed = codes.grouped(code).lower().replace("-", " ")
    assert codes.code_hash(KEY, typed) == codes.code_hash(KEY, code)
    assert code not in codes.code_hash(KEY, code)


def test_the_mail_placeholders_fill_in_the_code_and_the_link_at_send_time() -> None:
    codes.register_fillers()
    settings = Settings(database_url="sqlite://", secret_key=KEY, base_url="https://vote.example")
    text = f"link {codes.link_placeholder(4, 5, 2)} code {codes.code_placeholder(4, 5, 2)}"
    assert codes.derive(KEY, 4, 5, 2) not in text
    filled = fillers.fill(settings, text)
    shown = codes.grouped(codes.derive(KEY, 4, 5, 2))
    assert filled == f"link https://vote.example/vote/link/{shown} code {shown}"


def test_a_placeholder_nobody_registered_is_not_sent_as_it_is() -> None:
    settings = Settings(database_url="sqlite://", secret_key=KEY)
    with pytest.raises(fillers.MissingFiller):
        fillers.fill(settings, "[[fill:nobody-registered:1]]")
