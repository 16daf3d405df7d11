"""Reading a marked ballot paper (governance.voting.ballots): every method's marks, and every
problem named, with the field the error summary links to."""

from __future__ import annotations

import pytest

from governance.voting.ballots import (
    RON,
    BallotPaper,
    Form,
    Option,
    Paper,
    SpoiltBallot,
    order_so_far,
    paper_for,
    read,
)

NAMES = ["Ada Lovelace", "Mary Somerville", "Grace Hopper", "Alan Turing"]
CANDIDATES = [Option(str(n), name, "", n * 10) for n, name in enumerate(NAMES, start=1)]


def paper(method: str = "stv-scottish", seats: int = 2, ron: bool = False) -> BallotPaper:
    return paper_for(method, seats, CANDIDATES, ron)


def ranks(**given: str) -> Form:
    return {f"rank-{key.removeprefix('c')}": [value] for key, value in given.items()}


def problems(ballot: BallotPaper, form: Form) -> list[tuple[str, str]]:
    with pytest.raises(SpoiltBallot) as refused:
        read(ballot, form)
    return [(problem.field, problem.message) for problem in refused.value.problems]


def test_ranked_paper_stores_ballot_positions_best_first() -> None:
    marked = read(paper(), ranks(c3="1", c1="2", c4="3"))
    assert marked.marks == {"ranking": [3, 1, 4]}
    assert [option.name for option in marked.chosen] == [
        "Grace Hopper",
        "Ada Lovelace",
        "Alan Turing",
    ]


def test_blank_and_spaced_boxes_are_read_as_typed() -> None:
    marked = read(paper(), ranks(c1=" 2 ", c2="", c4="1"))
    assert marked.marks == {"ranking": [4, 1]}


def test_duplicate_ranks_name_both_candidates() -> None:
    found = problems(paper(), ranks(c1="1", c2="2", c3="2"))
    assert found == [
        ("rank-3", "You gave 2 to both Mary Somerville and Grace Hopper: give each choice a "
         "different number."),
    ]  # fmt: skip


def test_duplicate_ranks_flag_every_field_involved() -> None:
    with pytest.raises(SpoiltBallot) as refused:
        read(paper(), ranks(c1="1", c2="1", c3="1"))
    assert set(refused.value.fields) == {"rank-1", "rank-2", "rank-3"}
    assert "Ada Lovelace, Mary Somerville and Grace Hopper" in refused.value.problems[0].message


def test_a_gap_in_the_ranks_is_named_at_the_number_after_it() -> None:
    found = problems(paper(), ranks(c1="1", c2="3"))
    assert found == [
        ("rank-2", "You have not used 2: number your choices 1, 2, 3… without a gap. The next "
         "number you used is 3, beside Mary Somerville."),
    ]  # fmt: skip


def test_a_ranking_that_does_not_start_at_one_has_a_gap() -> None:
    assert problems(paper(), ranks(c4="2"))[0][0] == "rank-4"


@pytest.mark.parametrize("typed", ["one", "1.5", "-1", "١", "2a", "9" * 40])
def test_a_box_that_is_not_a_whole_number_is_named(typed: str) -> None:
    [(field, message)] = problems(paper(), ranks(c1="1", c2=typed))
    assert field == "rank-2"
    assert "Mary Somerville" in message


@pytest.mark.parametrize("typed", ["0", "5", "120"])
def test_ranks_beyond_the_number_of_candidates_are_named(typed: str) -> None:
    [(field, message)] = problems(paper(), ranks(c1="1", c2=typed))
    assert field == "rank-2"
    assert message.startswith("Number your choices from 1 to 4: you gave Mary Somerville")


def test_a_rank_for_a_candidate_not_standing_is_refused() -> None:
    found = problems(paper(), {**ranks(c1="1"), "rank-9": ["2"]})
    assert found[0][0] == "rank-1"
    assert "not standing in this contest" in found[0][1]


def test_every_problem_is_named_at_once() -> None:
    found = problems(paper(), ranks(c1="1", c2="1", c3="x", c4="4"))
    fields = [field for field, _ in found]
    assert fields == ["rank-3", "rank-2", "rank-4"]  # not a number; duplicate 1; gap at 2


def test_an_empty_paper_needs_the_confirmation() -> None:
    assert problems(paper(), {})[0][0] == "empty"
    marked = read(paper(), {"empty": ["yes"]})
    assert marked.empty
    assert marked.marks == {"ranking": []}


def test_the_confirmation_does_not_blank_a_marked_paper() -> None:
    assert read(paper(), {**ranks(c2="1"), "empty": ["yes"]}).marks == {"ranking": [2]}


def test_re_open_nominations_is_an_option_on_ranked_and_single_choice_papers_only() -> None:
    for method in ("stv-scottish", "stv-ers97", "stv-meek", "irv", "plurality"):
        assert paper(method, seats=1, ron=True).options[-1].key == RON
        assert RON not in [o.key for o in paper(method, seats=1).options]
    for method in ("block", "approval", "yes-no"):
        assert RON not in [o.key for o in paper(method, seats=1, ron=True).options]


def test_re_open_nominations_is_stored_under_its_reserved_id() -> None:
    ballot = paper(ron=True)
    assert read(ballot, ranks(cron="1", c2="2")).marks == {"ranking": ["ron", 2]}
    single = paper("plurality", 1, ron=True)
    assert read(single, {"choice": ["ron"]}).marks == {"ranking": ["ron"]}


def test_plurality_takes_one_cross() -> None:
    single = paper("plurality", 1)
    assert read(single, {"choice": ["2"]}).marks == {"ranking": [2]}
    [(field, message)] = problems(single, {"choice": ["2", "4"]})
    assert (field, message) == (
        "choice-2",
        "Vote for one candidate only: you chose both Mary Somerville and Alan Turing.",
    )


def test_block_vote_takes_up_to_the_number_of_seats() -> None:
    block = paper("block", 2)
    assert read(block, {"choice": ["4", "1"]}).marks == {"ranking": [1, 4]}
    [(field, message)] = problems(block, {"choice": ["1", "2", "3"]})
    assert field == "choice-1"
    assert message == (
        "You can vote for up to 2 candidates: you chose 3. Remove 1 of your crosses."
    )


def test_approval_takes_any_number() -> None:
    approval = paper("approval", 2)
    assert read(approval, {"choice": ["4", "3", "2", "1"]}).marks == {"ranking": [1, 2, 3, 4]}


def test_a_cross_for_a_candidate_not_standing_is_refused() -> None:
    found = problems(paper("approval", 2), {"choice": ["1", "77"]})
    assert "not standing in this contest" in found[0][1]


@pytest.mark.parametrize(("answer", "ranking"), [("yes", [1]), ("no", [2]), ("abstain", [])])
def test_a_motion_is_yes_no_or_abstain(answer: str, ranking: list[int]) -> None:
    motion = paper("yes-no", 1)
    assert motion.paper is Paper.MOTION
    marked = read(motion, {"answer": [answer]})
    assert marked.marks == {"ranking": ranking}
    assert read(motion, {n: [v] for n, v in marked.fields()}).marks == marked.marks


@pytest.mark.parametrize("form", [{}, {"answer": ["maybe"]}, {"answer": ["yes", "no"]}])
def test_a_motion_needs_one_answer(form: Form) -> None:
    assert problems(paper("yes-no", 1), form) == [("answer-yes", "Choose Yes, No or Abstain.")]


@pytest.mark.parametrize(
    ("method", "form"),
    [
        ("stv-meek", ranks(c4="1", c2="2", cron="3")),
        ("irv", ranks(c1="1")),
        ("block", {"choice": ["3", "1"]}),
        ("plurality", {"choice": ["ron"]}),
        ("approval", {"empty": ["yes"]}),
    ],
)
def test_the_review_fields_mark_the_same_paper_again(method: str, form: Form) -> None:
    ballot = paper(method, 2 if method == "block" else 1, ron=True)
    marked = read(ballot, form)
    again: dict[str, list[str]] = {}
    for name, value in marked.fields():
        again.setdefault(name, []).append(value)
    assert read(ballot, again).marks == marked.marks


def test_the_order_so_far_lists_usable_numbers_and_what_to_put_right() -> None:
    order, to_fix = order_so_far(paper(), ranks(c2="2", c4="1", c1="x"))
    assert [(rank, option.name) for rank, option in order] == [
        (1, "Alan Turing"),
        (2, "Mary Somerville"),
    ]
    assert len(to_fix) == 1
    assert "Ada Lovelace" in to_fix[0]


def test_every_counting_method_has_a_paper() -> None:
    from governance.counting.methods import METHOD_NAMES

    for method in METHOD_NAMES:
        assert paper_for(method, 1, CANDIDATES, False).options
