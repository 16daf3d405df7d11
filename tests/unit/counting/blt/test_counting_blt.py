"""BLT in and out: the dialects real files use, clear errors, and the fast reader's agreement."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting.blt import file as blt_file
from governance.counting.blt import load_blt, read_blt, write_blt
from governance.counting.model import (
    MAX_PAPERS,
    BallotGroup,
    CountingError,
    Election,
    RankingTable,
)


def test_names_may_be_unquoted_with_doubled_quotes_trailing_commas_and_runs_of_spaces() -> None:
    text = '3 1\n2   1  2 0\n1 3 0\n0\n"Ann ""The Chair"" Smith",\nBob   Jones\n"Cy"\n"A  title"\n'
    election = read_blt(text)
    assert election.candidates == ('Ann "The Chair" Smith', "Bob Jones", "Cy")
    assert election.title == "A title"
    assert election.ballots == (BallotGroup((0, 1), 2), BallotGroup((2,), 1))


def test_identical_ballot_lines_are_merged_into_one_group() -> None:
    election = read_blt('2 1\n1 1 2 0\n3 1 2 0\n1  1 2 0\n0\n"A"\n"B"\n"t"\n')
    assert election.ballots == (BallotGroup((0, 1), 5),)


def test_comments_and_blank_lines_are_ignored() -> None:
    text = '# a comment\n2 1\n\n1 1 0 # one paper\n# between\n1 2 0\n0\n"A" # first\n"B"\n"t"\n'
    election = read_blt(text)
    assert election.ballots == (BallotGroup((0,), 1), BallotGroup((1,), 1))
    assert election.candidates == ("A", "B")


def test_withdrawn_candidates_by_negative_line_and_by_option_line(ballots_dir: Path) -> None:
    negative = load_blt(ballots_dir / "droop-tests/SCw.blt")
    option = load_blt(ballots_dir / "droop-tests/SCwopt.blt")
    assert negative.withdrawn == option.withdrawn == frozenset({3})
    assert negative.ballots == option.ballots


def test_tie_option_line_is_recorded_as_the_tie_order(ballots_dir: Path) -> None:
    assert load_blt(ballots_dir / "droop-tests/42t.blt").tie_order == (2, 1, 0)


def test_blank_papers_are_kept_and_text_after_the_title_is_ignored(ballots_dir: Path) -> None:
    election = load_blt(ballots_dir / "droop-tests/M135.blt")
    assert election.title == "M135: Gen v1.1 1 3 45"
    assert len(election.candidates) == 25
    blank = [g for g in election.ballots if not g.ranking]
    assert blank == [BallotGroup((), 2)]
    assert sum(g.count for g in election.valid_groups()) == 677


def test_equal_rankings_are_refused_saying_the_method_does_not_allow_them(
    ballots_dir: Path,
) -> None:
    with pytest.raises(CountingError) as refused:
        load_blt(ballots_dir / "droop-tests/meek-eq1.blt")
    message = str(refused.value)
    assert "meek-eq1.blt" in message
    assert "line 4" in message
    assert "equal rankings" in message
    assert "not allowed by this method" in message


def test_equal_rankings_and_nicknames_read_when_allowed(ballots_dir: Path) -> None:
    election = load_blt(ballots_dir / "droop-tests/meek-eq2.blt", allow_equal_rankings=True)
    first = election.ballots[0]
    assert (first.count, first.levels) == (5, ((0,), (1, 2), (3,)))
    assert first.ranking == (0, 1, 2, 3)
    assert read_blt(write_blt(election), allow_equal_rankings=True) == election


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", "line 1", "empty"),
        ("3\n", "line 1", "CANDIDATES SEATS"),
        ("2 3\n0\n", "line 1", "seats must be between 1 and"),
        ('2 1\n1 1 2\n0\n"A"\n"B"\n"t"\n', "line 2", "must end with 0"),
        ('2 1\n1 1 3 0\n0\n"A"\n"B"\n"t"\n', "line 2", "'3' is not a candidate"),
        ('2 1\n1 1 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "ranked more than once"),
        ('2 1\nx 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "must start with its weight"),
        ('2 1\n1.5 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "must start with its weight"),
        ('2 1\n1 1 0\n"A"\n"B"\n"t"\n', "line 5", "ends before the '0' line"),
        ('2 1\n1 1 0\n0\n"A"\n', "line 4", "names 1 candidates"),
        ('2 1\n[colour red]\n1 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "unknown option"),
        ('2 1\n-3\n1 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "is not a candidate"),
        ('2 1\n1 1 0\n[tie 1 2]\n0\n"A"\n"B"\n"t"\n', "line 3", "before the ballots"),
        ('2 1\n1 1 0\n0\n"A\n"B"\n"t"\n', "line 4", "not closed"),
        ('3 2\n[]\n2 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', "line 2", "empty option line"),
        ('3 2\n[ , ]\n2 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', "line 2", "empty option line"),
        ('3 2\n[tie 1 1]\n2 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', "line 2", "[tie] names 1 twice"),
        ('3 2\n[tie 3 1]\n2 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', "line 2", "leaves out 2"),
        ('3 2\n[tie]\n2 1 0\n0\n"A"\n"B"\n"C"\n"t"\n', "line 2", "leaves out 1, 2, 3"),
        (
            '3 1\n[nick 2 1 3]\n5 1 0\n0\n"A"\n"B"\n"C"\n"t"\n',
            "line 2",
            "nickname '2' would be read as candidate 2's number",
        ),
        (
            '3 1\n[nick a 0 c]\n5 a 0\n0\n"A"\n"B"\n"C"\n"t"\n',
            "line 2",
            "nickname '0' is a number",
        ),
        (
            '3 1\n-1 2 0\n0\n"A"\n"B"\n"C"\n"t"\n',
            "line 2",
            "a ballot's weight must be a whole number of papers, not -1",
        ),
        (
            '3 1\n1 1 0\n-1 2 0\n0\n"A"\n"B"\n"C"\n"t"\n',
            "line 3",
            "a ballot's weight must be a whole number of papers, not -1",
        ),
        ('3 1\n5 1 0\n0\n""\n"B"\n"C"\n"t"\n', "line 4", "candidate 1 has an empty name"),
        ('3 1\n5 1 0\n0\n"A" "  " "C"\n"t"\n', "line 4", "candidate 2 has an empty name"),
        ("2 1\n5 1 0\n0\nAnn\n,\n", "line 5", "candidate 2 has an empty name"),
        (
            '2 1\n1000000001 1 0\n0\n"A"\n"B"\n"t"\n',
            "line 2",
            "a weight of more than 1,000,000,000 papers on one line cannot be counted exactly",
        ),
        (
            '2 1\n1 1 0\n9223372036854775808 2 0\n0\n"A"\n"B"\n"t"\n',
            "line 3",
            "a weight of more than 1,000,000,000 papers on one line",
        ),
        ("2 1\n" + "9" * 5000 + ' 1 0\n0\n"A"\n"B"\n"t"\n', "line 2", "a weight of more than"),
        ("3000000 1\n1 1 0\n0\n", "line 1", "too short to name 3000000 candidates"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_line_and_the_problem(
    text: str, line: str, problem: str
) -> None:
    with pytest.raises(CountingError) as refused:
        read_blt(text)
    assert line in str(refused.value)
    assert problem in str(refused.value)


def test_an_unreadable_file_is_a_counting_error(tmp_path: Path) -> None:
    with pytest.raises(CountingError, match="cannot read"):
        load_blt(tmp_path / "missing.blt")


def test_every_shared_ballot_file_reads_and_round_trips(ballots_dir: Path) -> None:
    files = sorted(ballots_dir.glob("*/*.blt"))
    assert len(files) > 200
    for path in files:
        if path.name.startswith("meek-eq"):
            continue
        election = load_blt(path)
        assert read_blt(write_blt(election)) == election, path.name


rankings = st.lists(st.integers(0, 5), unique=True, max_size=6).map(tuple)
elections = st.builds(
    lambda groups, seats, withdrawn, title: Election(
        title=title,
        candidates=tuple(f'Cand "{i}"' for i in range(6)),
        seats=seats,
        ballots=tuple(BallotGroup(r, n) for r, n in groups.items()),
        withdrawn=frozenset(withdrawn),
    ),
    st.dictionaries(rankings, st.integers(1, 50), max_size=20),
    st.integers(1, 6),
    st.sets(st.integers(0, 5), max_size=2),
    st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")), max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(elections)
def test_write_then_read_gives_the_same_election(election: Election) -> None:
    assert read_blt(write_blt(election)) == election


def _big_file(lines: int, seed: int) -> str:
    chooser = random.Random(seed)
    body = []
    for _ in range(lines):
        ranking = chooser.sample(range(1, 16), chooser.randint(0, 8))
        body.append(" ".join(map(str, [chooser.choice((1, 1, 2)), *ranking, 0])))
    names = [f'"C{i}"' for i in range(1, 16)]
    return "\n".join(["15 4", *body, "0", *names, '"big"']) + "\n"


def test_the_fast_reader_agrees_with_the_line_by_line_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _big_file(3000, seed=7)
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
    fast = read_blt(text)
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 10**9)
    careful = read_blt(text)
    assert isinstance(fast.ballots, RankingTable)
    assert isinstance(careful.ballots, tuple)
    assert list(fast.ballots) == list(careful.ballots)  # the same groups, in the same order
    assert fast == careful


def test_the_fast_reader_agrees_on_every_shared_ballot_file(
    ballots_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_ones = 0
    for path in sorted(ballots_dir.glob("*/*.blt")):
        text = path.read_text(encoding="utf-8-sig")
        monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 10**9)
        try:
            careful: Election | str = read_blt(text)
        except CountingError as error:
            careful = str(error)
        monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
        try:
            fast: Election | str = read_blt(text)
        except CountingError as error:
            fast = str(error)
        assert fast == careful, path.name
        if isinstance(fast, Election) and isinstance(fast.ballots, RankingTable):
            fast_ones += 1
            assert isinstance(careful, Election)
            assert list(fast.ballots) == list(careful.ballots)
    assert fast_ones > 150  # most real files are plain


def test_a_big_file_of_plain_lines_is_read_into_arrays(tmp_path: Path) -> None:
    path = tmp_path / "big.blt"
    path.write_text(_big_file(blt_file.SCAN_FROM_LINES + 10, seed=11), encoding="utf-8")
    election = load_blt(path)
    assert isinstance(election.ballots, RankingTable)
    assert (election.seats, election.candidates[14], election.title) == (4, "C15", "big")


EVERY_NUMBER = " ".join(map(str, range(1, 16)))  # of the candidates of _big_file


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: text.replace("\n1 ", "\n1  ", 1),
        lambda text: text.replace("\n2 ", "\n\n2 ", 1),
        lambda text: text.replace("15 4\n", f"15 4\n-3\n[tie 2 1 {EVERY_NUMBER[4:]}]\n# note\n"),
        lambda text: text.replace("\n1 ", "\n01 ", 1),
        lambda text: text.replace("\n0\n", "\n 0\n"),
        lambda text: text.replace("\n1 ", "\n900000000 ", 1),
        lambda text: text.replace("15 4\n", f"15 4\n[nick {EVERY_NUMBER}]\n"),
        lambda text: text.replace('"big"\n', '"big" and trailing text\nmore "junk\n'),
    ],
)
def test_the_fast_reader_agrees_on_files_that_are_not_quite_plain(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[str], str]
) -> None:
    text = change(_big_file(400, seed=5))
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
    fast = read_blt(text)
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 10**9)
    assert fast == read_blt(text)


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("1 2 0 3 0", "'0' is not a candidate"),
        ("1 2 2 0", "ranked more than once"),
        ("1 16 0", "'16' is not a candidate"),
        ("1 02 0", "'02' is not a candidate"),
        ("1 2", "must end with 0"),
        ("1000000001 2 0", "a weight of more than 1,000,000,000 papers on one line"),
        ("99999999999999999 2 0", "a weight of more than 1,000,000,000 papers on one line"),
        ("-1 2 0", "a ballot's weight must be a whole number of papers, not -1"),
    ],
)
def test_the_fast_reader_leaves_a_bad_line_to_the_careful_reader(
    monkeypatch: pytest.MonkeyPatch, bad_line: str, problem: str
) -> None:
    lines = _big_file(50, seed=3).split("\n")
    lines.insert(20, bad_line)
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
    with pytest.raises(CountingError, match="line 21") as refused:
        read_blt("\n".join(lines))
    assert problem in str(refused.value)


def test_both_readers_refuse_a_file_of_more_papers_than_a_count_can_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _big_file(50, seed=3).split("\n")
    lines[1:4] = ["1000000000 1 0"] * 3  # each line allowed, the total not
    text = "\n".join(lines)
    refusals = []
    for scan_from in (1, 10**9):
        monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", scan_from)
        with pytest.raises(CountingError) as refused:
            read_blt(text)
        refusals.append(str(refused.value))
    too_many = f"the file holds more than {MAX_PAPERS:,} papers: too many to count exactly"
    assert refusals == [too_many, too_many]


def test_the_fast_reader_handles_weights_and_blank_papers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
    election = read_blt('2 1\n3 1 2 0\n2 1 2 0\n1 0\n0\n"A"\n"B"\n"t"\n')
    assert set(election.ballots) == {BallotGroup((0, 1), 5), BallotGroup((), 1)}


def test_the_fast_reader_checks_repeats_with_many_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More than 128 candidates takes the sorting check instead of the bit sets."""
    names = "\n".join(f'"C{i}"' for i in range(1, 201))
    good = f'200 3\n2 200 1 150 0\n1 129 0\n0\n{names}\n"many"\n'
    monkeypatch.setattr(blt_file, "SCAN_FROM_LINES", 1)
    assert set(read_blt(good).ballots) == {BallotGroup((199, 0, 149), 2), BallotGroup((128,), 1)}
    with pytest.raises(CountingError, match="line 3: a candidate is ranked more than once"):
        read_blt(good.replace("1 129 0", "1 129 7 129 0"))


ballot_tokens = st.sampled_from(["1", "2", "3", "4", "0", "02", "5", "x", "2=3", "#"])
ballot_weights = st.sampled_from(["1", "1", "7", "1000000000", "1000000001", "-1", "-0"])
ballot_lines = st.one_of(
    st.tuples(ballot_weights, st.lists(ballot_tokens, max_size=5)).map(
        lambda line: " ".join([line[0], *line[1], "0"])
    ),
    st.lists(ballot_tokens, min_size=1, max_size=6).map(" ".join),
    st.sampled_from(["", "  ", "3 1 2 0", "1 0", " 2  4 1 0", "1 2 0 "]),
)


def _read_with_scan_from(text: str, lines: int) -> tuple[object, ...] | str:
    original = blt_file.SCAN_FROM_LINES
    blt_file.SCAN_FROM_LINES = lines
    try:
        return tuple(sorted(read_blt(text).ballots, key=repr))
    except CountingError as error:
        return str(error)
    finally:
        blt_file.SCAN_FROM_LINES = original


@settings(max_examples=150, deadline=None)
@given(st.lists(ballot_lines, min_size=1, max_size=12))
def test_the_fast_reader_never_disagrees_with_the_careful_one(lines: list[str]) -> None:
    text = "\n".join(["4 2", *lines, "0", '"A"', '"B"', '"C"', '"D"', '"t"']) + "\n"
    assert _read_with_scan_from(text, 1) == _read_with_scan_from(text, 10**9)


@st.composite
def plain_files(draw: st.DrawFn) -> str:
    """Long rankings from few distinct stems (packed into several words), often repeated."""
    candidates = draw(st.sampled_from([1, 3, 120, 300, 70_000]))
    stems = draw(
        st.lists(
            st.lists(st.integers(1, candidates), unique=True, max_size=min(25, candidates)),
            min_size=1,
            max_size=4,
        )
    )
    body = []
    for _ in range(draw(st.integers(1, 40))):
        stem = draw(st.sampled_from(stems))
        cut = draw(st.integers(0, len(stem)))
        body.append(" ".join(map(str, [draw(st.integers(1, 3)), *stem[:cut], 0])))
    names = [f'"C{i}"' for i in range(1, candidates + 1)]
    return "\n".join([f"{candidates} 1", *body, "0", *names, '"t"']) + "\n"


@settings(max_examples=80, deadline=None)
@given(plain_files())
def test_the_fast_reader_groups_long_rankings_exactly(text: str) -> None:
    original = blt_file.SCAN_FROM_LINES
    blt_file.SCAN_FROM_LINES = 1
    try:
        fast = read_blt(text)
    finally:
        blt_file.SCAN_FROM_LINES = original
    careful = read_blt(text)
    assert isinstance(fast.ballots, RankingTable)
    assert list(fast.ballots) == list(careful.ballots)


def test_a_ranking_table_is_a_sequence_of_ballot_groups() -> None:
    groups = (BallotGroup((2, 0), 3), BallotGroup((), 1), BallotGroup((1,), 2))
    table = RankingTable.of(groups)
    assert RankingTable.of(table) is table
    assert (len(table), table[0], table[-1], table[1:]) == (3, groups[0], groups[2], groups[1:])
    assert table == groups and groups == table and hash(table) == hash(groups)
    assert table != groups[:2]
    assert repr(table) == "RankingTable(3 rankings, 6 papers)"


def test_a_ranking_table_tells_a_bad_mark_from_too_many_papers() -> None:
    with pytest.raises(CountingError, match="names a candidate that does not exist"):
        RankingTable.of((BallotGroup((2**63,), 1),))
    with pytest.raises(CountingError) as refused:
        RankingTable.of((BallotGroup((0,), 1), BallotGroup((1,), 2**63)))
    assert str(refused.value) == (
        f"a ballot group of {2**63} papers is more than can be counted exactly"
    )
