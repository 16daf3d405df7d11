"""BLT dialects the reader accepts, the limits it keeps, and malformed files it refuses cleanly."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting import blt, scottish
from governance.counting.blt import read_blt
from governance.counting.meek import ballots as meek_ballots
from governance.counting.methods import METHODS
from governance.counting.model import MAX_PAPERS, BallotGroup, CountingError, Lot

VALID = (
    "4 2\n"
    "-4\n"
    "[withdrawn 4]\n"
    "[tie 3 2 1 4]\n"
    "[nick a b c d]\n"
    "3 a b 0\n"
    "2 b,c 0  # two papers\n"
    "1 c 0\n"
    "1 0\n"
    "0\n"
    '"Ann ""Chair"" Smith", Bob   Jones\n'
    '"Cy"\n'
    "Dee\n"
    '"A title"\n'
)


def test_text_after_the_title_and_lines_after_it_are_ignored() -> None:
    text = '3 1\n2 1 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"Title" trailing text\nextra\n"more" junk\n'
    election = read_blt(text)
    assert (election.candidates, election.title) == (("A", "B", "C"), "Title")


def test_text_after_a_title_on_the_line_of_the_names_is_ignored() -> None:
    election = read_blt('3 1\n5 1 0\n0\n"A" "B" "C" "Title", then "a note\n')
    assert (election.candidates, election.title) == (("A", "B", "C"), "Title")


def test_text_after_a_candidate_name_is_still_refused() -> None:
    with pytest.raises(CountingError, match="line 4: text outside quotes: 'junk'"):
        read_blt('2 1\n5 1 0\n0\n"A" junk\n"B"\n"t"\n')


def test_a_tie_line_naming_every_candidate_once_is_the_tie_order() -> None:
    election = read_blt('3 1\n[nick a b c]\n[tie c 1 b]\n5 a 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert election.tie_order == (2, 0, 1)


def test_a_tie_line_naming_a_candidate_by_number_and_nickname_is_refused() -> None:
    with pytest.raises(CountingError, match=re.escape("line 3: [tie] names 1 twice")):
        read_blt('3 1\n[nick a b c]\n[tie c a 1]\n5 a 0\n0\n"A"\n"B"\n"C"\n"t"\n')


def test_a_nickname_may_be_the_candidates_own_number() -> None:
    election = read_blt('3 1\n[nick 1 b 3]\n5 1 0\n2 b 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert election.ballots == (BallotGroup((0,), 5), BallotGroup((1,), 2))


def test_a_line_over_the_cap_of_weight_is_refused_by_its_line_the_rest_by_the_total() -> None:
    names = '0\n"A"\n"B"\n"t"\n'
    assert read_blt(f"2 1\n{MAX_PAPERS} 1 0\n{names}").ballots == (BallotGroup((0,), MAX_PAPERS),)
    assert read_blt(f"2 1\n000{MAX_PAPERS} 1 0\n{names}").ballots == (
        BallotGroup((0,), MAX_PAPERS),
    )
    with pytest.raises(CountingError, match=r"^the file holds more than 922,337,203 papers"):
        read_blt(f"2 1\n{blt.MAX_WEIGHT} 1 0\n{names}")
    with pytest.raises(CountingError, match="line 2: a weight of more than 1,000,000,000 papers"):
        read_blt(f"2 1\n{blt.MAX_WEIGHT + 1} 1 0\n{names}")


def test_identical_lines_adding_up_past_the_cap_of_papers_are_refused() -> None:
    line = "500000000 1 0\n"
    with pytest.raises(CountingError, match=r"^the file holds more than 922,337,203 papers"):
        read_blt("2 1\n" + line * 2 + '0\n"A"\n"B"\n"t"\n')


def test_the_readers_cap_of_papers_is_within_every_engines() -> None:
    # Scottish STV multiplies a paper's value (to SCALE) by a surplus (to papers x SCALE).
    assert scottish.SCALE * scottish.SCALE * MAX_PAPERS < 2**63
    assert MAX_PAPERS <= meek_ballots.MAX_PAPERS


@pytest.mark.parametrize("method", ["irv", "stv-scottish", "stv-ers97", "stv-meek"])
def test_a_file_of_as_many_papers_as_the_cap_counts_exactly(method: str) -> None:
    """The cap keeps the engines' 64-bit sums exact: valid votes add up, none negative."""
    first, second = 400_000_000, 300_000_000
    third = MAX_PAPERS - first - second
    text = f'3 1\n{first} 1 2 0\n{second} 2 3 0\n{third} 3 1 0\n0\n"A"\n"B"\n"C"\n"t"\n'
    sheet = METHODS[method](read_blt(text), Lot(1))
    assert sheet.valid_votes == MAX_PAPERS
    assert sheet.elected == [0]
    for stage in sheet.stages:
        assert all(votes >= 0 for votes in stage.votes.values())
        assert sum(stage.votes.values(), Fraction(0)) <= MAX_PAPERS


# Tokens and lines that have broken readers: option brackets, signs, quotes, line breaks that
# str.splitlines knows, numbers past any int64 and past int()'s digit limit.
NASTY = [
    "[]", "[", "]", "[tie", "[nick", "[withdrawn", "[tie]", "[nick 1]", "-", "-0", "-1", "-9",
    "--1", "0", "00", "1=", "=1", "1==2", "a=b", '"', '""', '"""', "#", ",", ",,", "x", "",
    "99999999999999999999", "9" * 5000, "1000000001", "\r", "\x0c", "\u2028", "\t", "\x00",
    "\ufeff", "٣", "１", "²", "[nick 0 1 2 3]", "[tie 1 1 1 1]",
]  # fmt: skip


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    """The valid file with a few tokens or lines replaced, inserted or removed."""
    lines = [line.split(" ") for line in VALID.split("\n")]
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete", "line", "drop line"]))
        tokens = lines[row]
        at = draw(st.integers(0, max(len(tokens) - 1, 0)))
        nasty = draw(st.sampled_from(NASTY))
        if action == "replace" and tokens:
            tokens[at] = nasty
        elif action == "insert":
            tokens.insert(at, nasty)
        elif action == "delete" and tokens:
            del tokens[at]
        elif action == "line":
            lines.insert(row, [nasty])
        elif len(lines) > 1:
            del lines[row]
    return "\n".join(" ".join(tokens) for tokens in lines)


@settings(max_examples=400, deadline=None)
@given(mutated_files(), st.booleans())
def test_a_mangled_file_is_read_or_refused_naming_the_line(text: str, equal: bool) -> None:
    try:
        read_blt(text, allow_equal_rankings=equal)
    except CountingError as error:
        message = str(error)
        assert re.match(r"line \d+: ", message) or message.startswith("the file holds"), message
