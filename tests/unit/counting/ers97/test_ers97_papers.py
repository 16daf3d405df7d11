"""The NumPy paper store behind ERS97, against the same operations done by hand."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.counting.ers97.papers import PaperStore
from governance.counting.model import BallotGroup, Election


def store(
    *lines: tuple[int, tuple[int, ...]], withdrawn: frozenset[int] = frozenset()
) -> PaperStore:
    groups = tuple(BallotGroup(r, n) for n, r in lines)
    return PaperStore(Election("p", ("A", "B", "C", "D"), 2, groups, withdrawn=withdrawn))


def test_first_preferences_pass_over_withdrawn_and_drop_papers_naming_no_one() -> None:
    papers = store((3, (1, 0)), (2, (2,)), (4, (1,)), (1, ()), withdrawn=frozenset({1}))
    assert papers.invalid_papers == 5
    assert papers.valid_papers == 5
    assert papers.first_preference_votes().tolist() == [300, 0, 200, 0]


def test_next_preference_skips_candidates_no_longer_continuing_6_10() -> None:
    papers = store((1, (0, 1, 2, 3)), (1, (0, 2)), (1, (0, 1)))
    continuing = np.array([False, False, True, True])
    moves = papers.next_preferences(np.arange(3, dtype=np.int64), continuing)
    assert moves.target.tolist() == [2, 2, -1]
    assert moves.position.tolist()[:2] == [2, 1]


def test_last_batch_is_the_papers_received_in_the_latest_transfer_5_3_2() -> None:
    papers = store((5, (0, 1)), (3, (2, 1)), (2, (3, 1)))
    continuing = np.array([True, True, False, True])
    moves = papers.next_preferences(np.array([1], dtype=np.int64), continuing)
    papers.move(moves, np.array([37], dtype=np.int64), batch=4)
    assert papers.last_batch(1).tolist() == [1]
    assert papers.last_batch(0).tolist() == [0]  # first preferences only: all of them
    assert papers.worth(papers.rows_of([1])) == 3 * 37


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.permutations(range(4)).map(tuple), st.integers(1, 9)), min_size=1, max_size=20
    ),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_transfers_match_a_paper_by_paper_count(
    lines: list[tuple[tuple[int, ...], int]], alive: list[bool]
) -> None:
    papers = store(*((n, r) for r, n in lines))
    rows = np.arange(len(lines), dtype=np.int64)
    moves = papers.next_preferences(rows, np.array(alive))
    expected = [0, 0, 0, 0]
    for ranking, n in lines:
        nxt = next((c for c in ranking[1:] if alive[c]), None)
        if nxt is not None:
            expected[nxt] += n * 21
    keep = moves.transferable
    credit = papers.tally(rows[keep], moves.target[keep], np.full(int(keep.sum()), 21))
    assert credit.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.permutations(range(4)).map(tuple), st.integers(0, 4), st.integers(1, 9)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.integers(0, 5),
)
def test_walking_rows_one_by_one_gives_the_same_moves_as_walking_them_together(
    lines: list[tuple[tuple[int, ...], int, int]], alive: list[bool], steps: int
) -> None:
    """Small batches are walked in Python, large ones in NumPy (6.10): the same targets and
    positions, for rows part-way along their rankings and rows already past their end."""
    papers = store(*((n, ranking[:length]) for ranking, length, n in lines))
    rows = np.arange(papers.holder.size, dtype=np.int64)
    papers.position[rows] = np.minimum(steps - 1, papers.length[rows])
    continuing = np.array(alive)
    one_by_one = papers.walk_rows(rows, continuing)
    together = papers.walk_arrays(rows, continuing)
    assert one_by_one.target.tolist() == together.target.tolist()
    assert one_by_one.position.tolist() == together.position.tolist()
    assert one_by_one.target.dtype == together.target.dtype
    assert one_by_one.position.dtype == together.position.dtype


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.permutations(range(4)).map(tuple), st.integers(0, 4), st.integers(1, 9)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.integers(0, 5),
    st.integers(0, 30),
)
def test_walking_rows_together_then_one_by_one_gives_the_same_moves(
    lines: list[tuple[tuple[int, ...], int, int]], alive: list[bool], steps: int, few: int
) -> None:
    """A large batch is walked in NumPy until ``few`` rows are left, then in Python (6.10)."""
    papers = store(*((n, ranking[:length]) for ranking, length, n in lines))
    rows = np.arange(papers.holder.size, dtype=np.int64)
    papers.position[rows] = np.minimum(steps - 1, papers.length[rows])
    continuing = np.array(alive)
    one_by_one = papers.walk_rows(rows, continuing)
    handed_on = papers.walk_arrays(rows, continuing, few=few)
    assert one_by_one.target.tolist() == handed_on.target.tolist()
    assert one_by_one.position.tolist() == handed_on.position.tolist()
    assert handed_on.target.dtype == one_by_one.target.dtype
    assert handed_on.position.dtype == one_by_one.position.dtype


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.permutations(range(4)).map(tuple), st.integers(1, 4), st.integers(1, 9)),
        min_size=1,
        max_size=120,
    ),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.integers(0, 250),
)
def test_a_batch_moves_as_counted_paper_by_paper_5_4(
    lines: list[tuple[tuple[int, ...], int, int]], alive: list[bool], value: int
) -> None:
    """Small batches are moved in Python, large ones (over 48 rows) with NumPy: either way each
    paper leaves its holder and reaches its next continuing preference at ``value``."""
    papers = store(*((n, ranking[:length]) for ranking, length, n in lines))
    rows = np.arange(papers.holder.size, dtype=np.int64)
    expected: dict[int, int] = {}
    lost = 0
    for ranking, length, n in lines:
        expected[ranking[0]] = expected.get(ranking[0], 0) - n * value
        nxt = next((c for c in ranking[1:length] if alive[c]), None)
        if nxt is None:
            lost += n
        else:
            expected[nxt] = expected.get(nxt, 0) + n * value
    change, papers_lost = papers.transfer(rows, np.array(alive), value, batch=3)
    assert change == {c: v for c, v in sorted(expected.items()) if v}
    assert list(change) == sorted(change)
    assert papers_lost == lost
    assert papers.value.tolist() == [value] * rows.size
    assert papers.batch.tolist() == [3] * rows.size


def test_exclusion_batches_go_highest_value_first_5_4() -> None:
    papers = store((1, (0, 1)), (1, (0, 2)), (1, (0, 3)), (1, (0, 1, 2)))
    papers.value[:] = [50, 100, 50, 21]
    batches = papers.by_value(np.arange(4, dtype=np.int64))
    assert [(value, rows.tolist()) for value, rows in batches] == [
        (100, [1]),
        (50, [0, 2]),
        (21, [3]),
    ]
    assert papers.by_value(np.array([], dtype=np.int64)) == []
