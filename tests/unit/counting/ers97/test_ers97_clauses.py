"""Small hand-worked ERS97 elections, each pinning one clause of the 1997 rules (section 5).

Candidates are letters; a ballot line ``(n, "ADC")`` is n papers ranking A, then D, then C.
The expected figures were worked by hand from the rule text and are written out in each test.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.counting import ers97
from governance.counting.model import (
    BallotGroup,
    CountingError,
    CountSheet,
    Election,
    Lot,
    Stage,
)


def election(names: str, seats: int, *lines: tuple[int, str]) -> Election:
    groups = tuple(BallotGroup(tuple(names.index(c) for c in order), n) for n, order in lines)
    return Election("hand-worked", tuple(names), seats, groups)


def count(names: str, seats: int, *lines: tuple[int, str], seed: int = 1) -> CountSheet:
    return ers97.count(election(names, seats, *lines), Lot(seed))


def figures(stage: Stage) -> dict[str, str]:
    """Each candidate's vote as the result sheet prints it, plus the non-transferable vote."""
    shown = {_name(stage, c): f"{float(v):.2f}" for c, v in stage.votes.items()}
    shown["non-transferable"] = f"{float(stage.non_transferable_votes):.2f}"
    return shown


def _name(stage: Stage, candidate: int) -> str:
    return "ABCDEFGH"[candidate]


def elected(sheet: CountSheet) -> str:
    return "".join(sheet.elected_names)


def reasons(sheet: CountSheet) -> dict[str, str]:
    return {sheet.candidates[d.candidate]: d.reason for d in sheet.decisions}


def test_quota_exact_division_is_the_quota_5_1_6() -> None:
    assert ers97.quota_for(100_00, 3) == 25_00  # 100 / 4 = 25.00 exactly


def test_quota_inexact_drops_remainder_and_adds_a_hundredth_5_1_6() -> None:
    assert ers97.quota_for(100_00, 2) == 33_34  # 33.333... -> 33.33 + 0.01
    assert ers97.quota_for(753_00, 6) == 107_58  # the model election


def test_surplus_deferred_while_it_cannot_exceed_gap_between_two_lowest_5_2_2_a() -> None:
    # quota 91/3 = 30.333.. -> 30.34; A's surplus 0.66 never exceeds the gap of the two lowest
    sheet = count("ABCDE", 2, (31, "AD"), (20, "B"), (19, "CB"), (12, "D"), (9, "ED"))
    one, two, three = sheet.stages
    assert figures(one) == {
        "A": "31.00", "B": "20.00", "C": "19.00", "D": "12.00", "E": "9.00",
        "non-transferable": "0.00",
    }  # fmt: skip
    assert "Surpluses totalling 0.66 deferred (5.2.2a)" in two.notes  # 0.66 <= 12 - 9
    assert two.action == "exclusion"
    assert figures(two) == {
        "A": "31.00", "B": "20.00", "C": "19.00", "D": "21.00", "E": "0.00",
        "non-transferable": "0.00",
    }  # fmt: skip
    assert "Surpluses totalling 0.66 deferred (5.2.2a)" in three.notes  # 0.66 <= 20 - 19
    assert figures(three) == {
        "A": "31.00", "B": "39.00", "C": "0.00", "D": "21.00", "non-transferable": "0.00",
    }  # fmt: skip
    assert elected(sheet) == "AB"
    assert reasons(sheet)["D"] == "formally excluded: all places filled (5.5.2)"


def test_surplus_deferred_while_a_group_could_be_excluded_below_next_5_2_2_b() -> None:
    # quota 108/3 = 36.00; A's surplus 2.00 exceeds 6 - 5 but 5 + 6 + 2 <= 29 (b),
    # so D and E go together (5.2.5 with the deferred surplus) and A's surplus waits.
    sheet = count("ABCDE", 2, (38, "A"), (30, "B"), (29, "C"), (6, "DB"), (5, "EC"))
    two = sheet.stages[1]
    assert "Surpluses totalling 2.00 deferred (5.2.2b)" in two.notes
    assert {reasons(sheet)[c] for c in "DE"} == {"one of the 2 lowest, excluded together (5.2.5)"}
    assert figures(two) == {
        "A": "38.00", "B": "36.00", "C": "34.00", "D": "0.00", "E": "0.00",
        "non-transferable": "0.00",
    }  # fmt: skip
    assert elected(sheet) == "AB"
    assert reasons(sheet)["B"] == "reached the quota (5.4.9a)"


def test_bulk_exclusion_takes_as_many_lowest_as_stay_below_next_above_5_2_5() -> None:
    # quota 125/3 = 41.67, no one elected. Lowest 5, 7, 8: 5+7 > 8 but 5+7+8 = 20 <= 30,
    # and 5+7+8+30 > 35: F, E and D are excluded together.
    sheet = count("ABCDEF", 2, (40, "A"), (35, "B"), (30, "C"), (8, "DB"), (7, "EC"), (5, "F"))
    two = sheet.stages[1]
    assert sorted(two.excluded) == [2, 3, 4, 5]  # C formally, when B and A fill the places
    assert reasons(sheet)["C"] == "formally excluded: all places filled (5.5.2)"
    assert {reasons(sheet)[c] for c in "DEF"} == {"one of the 3 lowest, excluded together (5.2.5)"}
    assert figures(two) == {
        "A": "40.00", "B": "43.00", "C": "37.00", "D": "0.00", "E": "0.00", "F": "0.00",
        "non-transferable": "5.00",
    }  # fmt: skip


def test_quota_reduced_when_papers_exhaust_before_anyone_is_elected_5_4_8() -> None:
    # Same election: F's 5 papers become non-transferable before anyone is elected, so the
    # quota becomes (125 - 5) / 3 = 40.00 and A's 40 now reaches it.
    sheet = count("ABCDEF", 2, (40, "A"), (35, "B"), (30, "C"), (8, "DB"), (7, "EC"), (5, "F"))
    two = sheet.stages[1]
    assert sheet.stages[0].quota == Fraction("41.67")
    assert two.quota == Fraction("40.00")
    assert "Quota reduced to 40.00 (5.4.8)" in two.notes
    assert elected(sheet) == "BA"
    assert reasons(sheet)["A"] == "reached the quota (5.4.9a)"


SUB_STAGES = (
    "ABCDE",
    3,
    (10, "ADCB"),
    (50, "AE"),
    (30, "B"),
    (34, "CE"),
    (6, "DCB"),
    (12, "E"),
)  # quota 142/4 = 35.50


def test_exclusion_moves_batches_in_descending_value_as_sub_stages_5_4_1_and_5_4_11() -> None:
    sheet = count(*SUB_STAGES)
    two = sheet.stages[1]
    assert "Transfer value 24.50 / 60 = 0.40 (5.3.7)" in two.notes
    assert figures(two) == {
        "A": "35.50", "B": "30.00", "C": "34.00", "D": "10.00", "E": "32.00",
        "non-transferable": "0.50",
    }  # fmt: skip
    batch1, batch2 = sheet.stages[2:4]
    assert batch1.number == batch2.number == 3
    assert batch1.description == "Exclusion of D: batch 1 of 2, papers at 1.00"
    assert figures(batch1) == {
        "A": "35.50", "B": "30.00", "C": "40.00", "D": "4.00", "E": "32.00",
        "non-transferable": "0.50",
    }  # fmt: skip
    assert batch2.description == "Exclusion of D: batch 2 of 2, papers at 0.40"
    assert figures(batch2) == {
        "A": "35.50", "B": "34.00", "C": "40.00", "D": "0.00", "E": "32.00",
        "non-transferable": "0.50",
    }  # fmt: skip


def test_candidate_elected_after_a_batch_receives_no_more_papers_5_4_10() -> None:
    sheet = count(*SUB_STAGES)
    batch1, batch2 = sheet.stages[2:4]
    assert batch1.elected == [2]  # C reaches 40.00 >= 35.50 on the 1.00 batch
    assert 2 not in batch2.transfers  # the ten 0.40 papers pass over C to B
    assert batch2.transfers[1] == Fraction("4.00")


def test_later_surplus_transfers_only_the_last_received_batch_5_3_2() -> None:
    # C's surplus of 4.50 arose from D's six 1.00 papers; only those are examined and all
    # go on to B at 4.50 / 6 = 0.75. C's own 34 papers (next preference E) stay put.
    sheet = count(*SUB_STAGES)
    four = sheet.stages[4]
    assert four.description == "Surplus of C"
    assert "6 papers examined (5.3.1-5.3.2)" in four.notes
    assert "Transfer value 4.50 / 6 = 0.75 (5.3.7)" in four.notes
    assert figures(four) == {
        "A": "35.50", "B": "38.50", "C": "35.50", "E": "32.00", "non-transferable": "0.50",
    }  # fmt: skip
    assert elected(sheet) == "ACB"


def test_first_stage_surplus_examines_all_papers_5_3_1() -> None:
    sheet = count(*SUB_STAGES)
    assert "60 papers examined (5.3.1-5.3.2)" in sheet.stages[1].notes


def test_papers_worth_no_more_than_surplus_move_at_present_value_5_3_7() -> None:
    # quota 30/3 = 10.00; A's surplus 10.00 but only 2 papers are transferable, worth 2.00:
    # they move at 1.00 each and the other 8.00 is the non-transferable difference.
    sheet = count("ABCD", 2, (2, "AB"), (18, "A"), (5, "B"), (4, "C"), (1, "D"))
    two = sheet.stages[1]
    assert "2 transferable papers move at their present value (5.3.7)" in two.notes
    assert figures(two) == {
        "A": "10.00", "B": "7.00", "C": "4.00", "D": "1.00", "non-transferable": "8.00",
    }  # fmt: skip


def test_elected_on_total_active_vote_over_places_plus_one_5_3_13_b() -> None:
    # Same election: total active vote 30 - 8 - 10 = 12; one place left, 12 / 2 = 6 <= B's 7.
    sheet = count("ABCD", 2, (2, "AB"), (18, "A"), (5, "B"), (4, "C"), (1, "D"))
    assert elected(sheet) == "AB"
    assert reasons(sheet)["B"] == (
        "reached the total active vote / (places unfilled + 1) (5.3.13b)"
    )


FORWARD = (
    "ABCDEF",
    2,
    (20, "AC"),
    (6, "B"),
    (10, "C"),
    (9, "D"),
    (2, "ED"),
    (10, "F"),
)  # quota 57/3 = 19.00


def test_tie_for_last_place_goes_to_higher_at_earliest_unequal_point_5_6_2() -> None:
    # Stage 1: C 10, D 9. Stage 2 (E and B out, E's 2 to D): C 10, D 11. Stage 3 (A's surplus
    # 1.00 at 0.05 to C): C 11, D 11. Stage 4 (F out, exhausted): total active vote
    # 57 - 16 - 19 = 22, so both reach 22 / 2 = 11 with one place. C led at the first stage
    # (a backward look-back would pick D, who led at stage 2).
    sheet = count(*FORWARD)
    assert "Surpluses totalling 1.00 deferred (5.2.2a)" in sheet.stages[1].notes
    assert figures(sheet.stages[2]) == {
        "A": "19.00", "C": "11.00", "D": "11.00", "F": "10.00", "non-transferable": "6.00",
    }  # fmt: skip
    assert sheet.stages[3].elected == [2]
    assert "Equal votes for the last places: C by the forward rule (5.6.2)" in sheet.stages[3].notes
    assert elected(sheet) == "AC"
    assert reasons(sheet)["D"] == "formally excluded: all places filled (5.5.2)"


def test_equal_lowest_excludes_fewer_at_earliest_unequal_point_5_2_5() -> None:
    # Quota 106/3 = 35.34. Stage 2: D out (2 to C, 1 exhausted), quota (106-1)/3 = 35.00.
    # Stage 3: B and C both 12; at the first stage C had 10 to B's 12, so C goes.
    sheet = count(
        "ABCDEF", 2, (30, "A"), (12, "B"), (10, "C"), (2, "DC"), (1, "D"), (28, "E"), (23, "F")
    )
    three = sheet.stages[2]
    assert three.excluded == [2]
    assert "Equal lowest votes: C excluded by the forward rule (5.2.5)" in three.notes
    assert reasons(sheet)["C"] == "lowest vote, equal lowest settled by the forward rule (5.2.5)"
    assert not sheet.draws
    assert elected(sheet) == "AE"


def test_equal_lowest_at_every_point_is_settled_by_lot_5_2_5() -> None:
    outcomes = set()
    for seed in range(8):
        sheet = count("ABC", 1, (5, "A"), (3, "B"), (3, "C"), seed=seed)
        (draw,) = sheet.draws
        assert (draw.stage, draw.tied, draw.purpose) == (2, (1, 2), "equal lowest")
        assert sheet.stages[1].excluded == [draw.chosen, 3 - draw.chosen]  # then 5.5.2
        assert (
            reasons(sheet)["ABC"[draw.chosen]] == "lowest vote, equal lowest settled by lot (5.2.5)"
        )
        outcomes.add(draw.chosen)
        assert elected(sheet) == "A"
    assert outcomes == {1, 2}


def test_equal_largest_surpluses_at_every_point_are_settled_by_lot_5_2_3() -> None:
    # quota 89/4 = 22.25; A and B both 31 at every point.
    for seed in range(4):
        sheet = count("ABCDE", 3, (31, "AC"), (31, "BD"), (10, "C"), (8, "D"), (9, "E"), seed=seed)
        (draw,) = sheet.draws
        assert (draw.tied, draw.purpose) == ((0, 1), "equal surpluses")
        assert sheet.stages[1].description == f"Surplus of {'AB'[draw.chosen]}"


def test_equal_at_every_point_for_last_place_none_elected_at_that_stage_5_6_2() -> None:
    sheet = count("AB", 1, (5, "A"), (5, "B"))  # quota 5.00, both reach it, one place
    first = sheet.stages[0]
    assert first.elected == []
    assert "A, B equal at every point for the last place: none deemed elected (5.6.2)" in (
        first.notes
    )
    (draw,) = sheet.draws  # then one is excluded by lot, and the other fills the place
    assert sheet.elected == [1 - draw.chosen]
    assert sheet.stages[1].action == "election"


def test_exclusion_leaving_as_many_as_places_elects_them_5_5_1() -> None:
    # quota 15/4 = 3.75: A and B elected; C and D have no votes for the last place. One is
    # excluded (by lot: equal throughout), which leaves one continuing for one place.
    sheet = count("ABCD", 3, (10, "A"), (5, "B"))
    assert sheet.elected[:2] == [0, 1]
    (draw,) = sheet.draws
    last = 5 - draw.chosen  # the other of C (2) and D (3)
    assert sheet.elected[2] == last
    assert reasons(sheet)["CD"[last - 2]] == "continuing candidates fill the places (5.5.1)"
    assert reasons(sheet)["CD"[draw.chosen - 2]] == (
        "lowest vote, equal lowest settled by lot (5.2.5); "
        "the rest then fill the places and are elected (5.5.1)"
    )


def test_three_way_tie_excluded_by_lot_under_5_5_1_says_so() -> None:
    # quota 12/3 = 4.00: A, B and C all reach it, equal at every point, for two places (5.6.2).
    # The lowest is then chosen by lot (5.2.5), and excluding it leaves two for two places.
    for seed in range(6):
        sheet = count("ABC", 2, (4, "A"), (4, "B"), (4, "C"), seed=seed)
        (draw,) = sheet.draws
        loser = "ABC"[draw.chosen]
        assert (draw.tied, draw.purpose) == ((0, 1, 2), "equal lowest")
        assert reasons(sheet)[loser] == (
            "lowest vote, equal lowest settled by lot (5.2.5); "
            "the rest then fill the places and are elected (5.5.1)"
        )
        last = sheet.stages[-1]
        assert (last.action, last.excluded) == ("election", [draw.chosen])
        assert not any("5.5.2" in note for note in last.notes)
        assert elected(sheet) == "ABC".replace(loser, "")


def test_fewer_candidates_than_places_are_all_elected_5_5_1() -> None:
    sheet = count("AB", 3, (4, "A"), (1, "B"))
    assert elected(sheet) == "AB"


def test_all_places_filled_stops_the_count_and_excludes_the_rest_5_5_2() -> None:
    sheet = count("ABC", 2, (10, "A"), (9, "B"), (8, "C"))  # quota 9.00
    assert len(sheet.stages) == 1
    assert elected(sheet) == "AB"
    assert reasons(sheet)["C"] == "formally excluded: all places filled (5.5.2)"


def test_withdrawn_candidates_are_passed_over_and_blank_papers_invalid_5_1_2() -> None:
    base = election("ABC", 1, (3, "BA"), (2, "C"), (1, "B"))
    ballots = (*base.ballots, BallotGroup((), 2))
    sheet = ers97.count(
        Election("w", base.candidates, 1, ballots, withdrawn=frozenset({1})), Lot(1)
    )
    assert sheet.invalid_papers == 3  # two blank, one naming only the withdrawn B
    assert sheet.valid_votes == 5
    assert figures(sheet.stages[0]) == {"A": "3.00", "C": "2.00", "non-transferable": "0.00"}
    assert elected(sheet) == "A"


def test_equal_rankings_are_refused_with_the_reason_5_1_2() -> None:
    tied = BallotGroup((0, 1), 1, levels=((0, 1),))
    with pytest.raises(CountingError, match="ERS97 does not allow equal rankings"):
        ers97.count(Election("eq", ("A", "B"), 1, (tied,)), Lot(1))


def test_a_ballot_naming_an_unknown_candidate_is_refused() -> None:
    with pytest.raises(CountingError, match="names a candidate that does not exist"):
        ers97.count(Election("bad", ("A", "B"), 1, (BallotGroup((0, 2), 1),)), Lot(1))


def test_a_count_needs_a_place_to_fill() -> None:
    with pytest.raises(CountingError, match="at least one place"):
        ers97.count(Election("none", ("A", "B"), 0, (BallotGroup((0,), 1),)), Lot(1))


def test_count_sheet_states_method_and_two_decimal_places() -> None:
    sheet = count("AB", 1, (3, "A"), (2, "B"))
    assert (sheet.method, sheet.decimals, sheet.seed) == ("stv-ers97", 2, 1)
