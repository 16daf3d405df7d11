"""Category constraints: the worked examples in docs/constraints.md, the guard, bad limits."""

from __future__ import annotations

from fractions import Fraction

import pytest
from constraint_cases import CATEGORIES, NAMES, NORTH_PROTECTED, RULES, decisions, election

from governance.counting import ers97
from governance.counting.constraints import (
    ConstraintError,
    ConstraintGuard,
    Constraints,
    Limit,
    count_block_with_constraints,
)
from governance.counting.methods import count
from governance.counting.model import BallotGroup, CountingError, Election, Lot, Stage


def figures(stage: Stage) -> dict[str, str]:
    shown = {NAMES[c]: f"{float(v):.2f}" for c, v in stage.votes.items()}
    shown["non-transferable"] = f"{float(stage.non_transferable_votes):.2f}"
    return shown


# -- worked example 1 (docs/constraints.md): protection, a barred bulk exclusion, forced election

EXAMPLE_1 = election(3, (18, "AB"), (17, "BA"), (15, "CF"), (14, "FCA"), (6, "DC"), (3, "ED"))


def test_worked_example_1_without_constraints_elects_no_one_from_the_north() -> None:
    sheet = ers97.count(EXAMPLE_1, Lot(1))
    assert "".join(sheet.elected_names) == "CAB"


def test_worked_example_1_count_sheet() -> None:
    sheet = ers97.count(EXAMPLE_1, Lot(1), constraints=RULES)
    assert sheet.quota == Fraction("18.25")
    assert [figures(s) for s in sheet.stages] == [
        {"A": "18.00", "B": "17.00", "C": "15.00", "D": "6.00", "E": "3.00", "F": "14.00",
         "non-transferable": "0.00"},
        {"A": "18.00", "B": "17.00", "C": "15.00", "D": "9.00", "E": "0.00", "F": "14.00",
         "non-transferable": "0.00"},
        {"A": "18.00", "B": "17.00", "C": "29.00", "D": "9.00", "F": "0.00",
         "non-transferable": "0.00"},
        {"A": "28.64", "B": "17.00", "C": "18.25", "D": "9.00", "non-transferable": "0.11"},
        {"A": "28.64", "B": "17.00", "C": "18.25", "D": "9.00", "non-transferable": "0.11"},
    ]  # fmt: skip
    assert [s.description for s in sheet.stages] == [
        "First preferences",
        "Exclusion of E: batch 1 of 1, papers at 1.00",
        "Exclusion of F: batch 1 of 1, papers at 1.00",
        "Surplus of C",
        "Elected to meet the category minimums",
    ]
    assert decisions(sheet) == [
        (2, "E", "excluded", "lowest vote; a bulk exclusion was barred by a constraint"),
        (3, "F", "excluded", "lowest of those not protected by a constraint (5.2.5)"),
        (3, "C", "elected", "reached the quota (5.4.9a)"),
        (4, "A", "elected", "reached the quota (5.3.13a)"),
        (5, "D", "elected", f"constraint: {NORTH_PROTECTED}; they exactly fill the places left"),
        (5, "B", "excluded", "formally excluded: all places filled (5.5.2)"),
    ]
    assert "".join(sheet.elected_names) == "CAD"


def test_worked_example_1_notes_name_each_constraint_decision() -> None:
    stages = ers97.count(EXAMPLE_1, Lot(1), constraints=RULES).stages
    assert "E, D not excluded together: the category limits forbid it" in stages[1].notes
    assert f"D {NORTH_PROTECTED}" in stages[2].notes
    assert "Transfer value 10.75 / 14 = 0.76 (5.3.7)" in stages[3].notes
    assert stages[4].notes[0] == (
        f"D elected by constraint: {NORTH_PROTECTED}; they exactly fill the places left"
    )


# -- worked example 2: a candidate reaching the quota is excluded instead of elected

EXAMPLE_2 = election(2, (30, "ABD"), (28, "BAE"), (12, "CD"), (8, "DE"), (6, "EC"), names="ABCDE")


def test_worked_example_2_without_constraints_elects_both_acme_candidates() -> None:
    assert "".join(ers97.count(EXAMPLE_2, Lot(1)).elected_names) == "AB"


def test_worked_example_2_count_sheet() -> None:
    sheet = ers97.count(EXAMPLE_2, Lot(1), constraints=RULES)
    one, two = sheet.stages
    assert sheet.quota == 28
    assert (one.elected, one.excluded) == ([0], [1])
    assert (
        "B excluded instead of elected: electing would exceed the maximum of 1 for "
        + ("organisation = Acme")
        in one.notes
    )
    assert figures(two) == {
        "A": "30.00", "B": "0.00", "C": "0.00", "D": "20.00", "E": "34.00",
        "non-transferable": "0.00",
    }  # fmt: skip
    assert decisions(sheet) == [
        (1, "A", "elected", "reached the quota (5.1.7a)"),
        (1, "B", "excluded",
         "constraint: electing would exceed the maximum of 1 for organisation = Acme"),
        (2, "C", "excluded", "constraint: electing would leave too few places for the "
         "minimum of region = North (minimum 1)"),
        (2, "E", "elected", "reached the quota (5.4.9a)"),
        (2, "D", "excluded", "formally excluded: all places filled (5.5.2)"),
    ]  # fmt: skip


# -- infeasible limits are reported before counting


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            {("region", "North"): Limit(minimum=3)},
            "region = North: the minimum 3 is more than the 2 candidate(s) standing in it",
        ),
        (
            {("region", "North"): Limit(minimum=2, maximum=1)},
            "region = North: the minimum 2 is above the maximum 1",
        ),
        ({("region", "North"): Limit(maximum=-1)}, "region = North: a limit cannot be negative"),
        (
            {("region", "North"): Limit(minimum=2), ("region", "South"): Limit(minimum=2)},
            "no choice of 3 of the 6 candidates standing meets all the category limits "
            "(region = North: at least 2; region = South: at least 2)",
        ),
        (
            {("region", "South"): Limit(maximum=0), ("organisation", "Beta"): Limit(maximum=0)},
            "no choice of 3 of the 6 candidates standing",
        ),
        (
            {("region", "North"): Limit(minimum=1), ("organisation", "Beta"): Limit(maximum=0),
             ("organisation", "Gamma"): Limit(maximum=0)},
            "no choice of 3 of the 6 candidates standing",
        ),
    ],
)  # fmt: skip
def test_infeasible_limits_are_refused_before_counting(
    limits: dict[tuple[str, str], Limit], message: str
) -> None:
    with pytest.raises(ConstraintError, match=message.replace("(", r"\(").replace(")", r"\)")):
        count(EXAMPLE_1, "stv-ers97", seed=1, constraints=Constraints(CATEGORIES, limits))


def test_constraint_errors_are_counting_errors_a_person_can_correct() -> None:
    assert issubclass(ConstraintError, CountingError)


def test_limits_count_only_the_places_the_standing_candidates_can_fill() -> None:
    """Fewer standing than seats (a withdrawal): each standing candidate elected, none barred."""
    papers = (BallotGroup((0, 1), 4), BallotGroup((2, 1), 3))
    few = Election("few", ("A", "B", "C"), 3, papers, withdrawn=frozenset({2}))
    rules = Constraints({0: {"region": "South"}}, {("region", "South"): Limit(maximum=1)})
    assert ers97.count(few, Lot(1), constraints=rules).elected_names == ["A", "B"]


# -- the guard's operations, as other engines call them


def guard() -> ConstraintGuard:
    return ConstraintGuard(RULES)


def test_would_break_maximum_names_the_limit() -> None:
    assert guard().would_break_maximum(1, elected=[0]) == (
        "electing would exceed the maximum of 1 for organisation = Acme"
    )
    assert guard().would_break_maximum(2, elected=[0]) is None


def test_last_candidate_of_a_category_short_of_its_minimum_is_protected() -> None:
    assert guard().protected([0, 1, 2, 3, 4, 5], [], 3) == {}
    assert guard().protected([0, 1, 2, 3, 5], [], 3) == {3: NORTH_PROTECTED}
    assert guard().protected([0, 2, 5], [3], 2) == {}  # North's minimum already met


def test_protected_candidates_exactly_filling_the_places_must_be_elected() -> None:
    assert guard().must_elect([1, 2, 3], [0, 5], 1) == {
        3: f"{NORTH_PROTECTED}; they exactly fill the places left"
    }
    assert guard().must_elect([1, 2, 3, 5], [0], 2) == {}
    # B is barred (Acme is full), so C and D are the only two who can fill two places
    assert set(guard().must_elect([1, 2, 3], [0], 2)) == {2, 3}


def test_a_group_is_excluded_together_only_if_the_limits_stay_reachable() -> None:
    assert not guard().can_exclude([3, 4], [0, 1, 2, 3, 4, 5], [], 3)
    assert guard().can_exclude([4, 5], [0, 1, 2, 3, 4, 5], [], 3)


def test_block_count_skips_a_candidate_the_limits_bar() -> None:
    # Tallies (each paper's first two names): A 5, B 9, C 7, D 4, E 1. B is elected; C would
    # take the last place from the North; A would be a second Acme; D takes it.
    block = election(2, (5, "AB"), (4, "BC"), (3, "CD"), (1, "DE"))
    sheet = count_block_with_constraints(block, Lot(1), RULES)
    assert "".join(sheet.elected_names) == "BD"
    assert [(NAMES[d.candidate], d.outcome) for d in sheet.decisions] == [
        ("B", "elected"),
        ("C", "excluded"),
        ("A", "excluded"),
        ("D", "elected"),
    ]
    assert sheet.stages[0].notes == [
        "C: constraint: electing would leave too few places for the minimum of region = North "
        "(minimum 1)",
        "A: constraint: electing would exceed the maximum of 1 for organisation = Acme",
    ]
