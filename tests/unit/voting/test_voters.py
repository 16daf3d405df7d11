"""Voting passes: trusted without a lookup, for one election and one code generation, briefly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from governance.voting.voters import PASS_LIFETIME, Voter, issue_pass, read_pass

KEY = "s" * 32
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_a_pass_names_the_elector_election_and_generation() -> None:
    token = issue_pass(KEY, Voter(7, 3, 2), NOW)
    assert read_pass(KEY, token, NOW) == Voter(7, 3, 2)


def test_a_pass_expires() -> None:
    token = issue_pass(KEY, Voter(7, 3, 2), NOW)
    assert read_pass(KEY, token, NOW + PASS_LIFETIME) is None


def test_a_pass_altered_to_name_another_member_is_refused() -> None:
    token = issue_pass(KEY, Voter(7, 3, 2), NOW)
    assert read_pass(KEY, "8" + token[1:], NOW) is None


def test_a_pass_for_one_election_is_not_good_for_another() -> None:
    voter = read_pass(KEY, issue_pass(KEY, Voter(7, 3, 2), NOW), NOW)
    assert voter is not None and voter.by_code
    assert voter.may_vote_in(3) and not voter.may_vote_in(4)
    assert Voter(7).may_vote_in(4), "a signed-in member may vote wherever they are on the roll"


def test_a_signed_in_member_gets_no_pass() -> None:
    with pytest.raises(ValueError, match="code"):
        issue_pass(KEY, Voter(7), NOW)
