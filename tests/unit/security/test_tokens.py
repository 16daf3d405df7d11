"""Signed values: trusted without a lookup; refused when forged, altered or put to another use."""

from __future__ import annotations

from governance.security import tokens

KEY = "k" * 32


def test_a_signed_value_reads_back_with_the_same_key_and_purpose() -> None:
    token = tokens.sign(KEY, "voting", "member=7;until=123")
    assert tokens.verified(KEY, "voting", token) == "member=7;until=123"


def test_an_altered_payload_is_refused() -> None:
    token = tokens.sign(KEY, "voting", "member=7;until=123")
    assert tokens.verified(KEY, "voting", token.replace("member=7", "member=8")) is None


def test_another_key_or_purpose_is_refused() -> None:
    token = tokens.sign(KEY, "voting", "member=7")
    assert tokens.verified("x" * 32, "voting", token) is None
    assert tokens.verified(KEY, "session", token) is None


def test_a_token_without_a_signature_is_refused() -> None:
    assert tokens.verified(KEY, "voting", "member=7") is None
    assert tokens.verified(KEY, "voting", "") is None
