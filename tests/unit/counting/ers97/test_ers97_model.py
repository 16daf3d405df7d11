"""ERS97 against the published figures of the Society's model election (3rd ed., section 8).

The Society publishes the model election's figures, not its ballots. These ballots are built to
reproduce every published figure of its first two stages: 758 papers of which 5 are invalid,
753 valid, 11 candidates for 6 places; Smith elected at the first stage with 134 votes; 123 of
Smith's 134 papers transferable, so the surplus of 26.42 goes at 0.21 a paper, 25.83 is credited
and the non-transferable difference is 0.59. The two lowest candidates have 24 and 23 votes, so
the surplus (26.42) exceeds their difference (1) and is not deferred. The other first-stage
figures are ours.
"""

from __future__ import annotations

from fractions import Fraction

from governance.counting import ers97
from governance.counting.model import BallotGroup, CountSheet, Election, Lot

NAMES = (
    "Smith", "Abbott", "Baker", "Carpenter", "Duke", "Edwards",
    "Fisher", "Glazier", "Hunter", "Vine", "Wright",
)  # fmt: skip
FIRST = {
    "Smith": 134, "Abbott": 100, "Baker": 95, "Carpenter": 90, "Duke": 80, "Edwards": 70,
    "Fisher": 55, "Glazier": 45, "Hunter": 37, "Vine": 24, "Wright": 23,
}  # fmt: skip
# Smith's papers by next preference: 123 transferable, 11 naming Smith alone.
SMITH_NEXT = {"Wright": 40, "Vine": 35, "Hunter": 28, "Abbott": 20}


def model_election() -> Election:
    index = {name: i for i, name in enumerate(NAMES)}
    groups = [
        BallotGroup((index["Smith"], index[name]), papers) for name, papers in SMITH_NEXT.items()
    ]
    groups.append(BallotGroup((index["Smith"],), FIRST["Smith"] - sum(SMITH_NEXT.values())))
    groups += [BallotGroup((index[name],), n) for name, n in FIRST.items() if name != "Smith"]
    groups.append(BallotGroup((), 5))  # three with crosses, two with several 1s (5.1.2)
    return Election("ERS model election", NAMES, 6, tuple(groups))


def model_sheet() -> CountSheet:
    return ers97.count(model_election(), Lot(1))


def by_name(votes: dict[int, Fraction]) -> dict[str, Fraction]:
    return {NAMES[c]: v for c, v in votes.items()}


def test_model_election_has_753_valid_votes_of_758_papers_5_1_2() -> None:
    sheet = model_sheet()
    assert sheet.valid_votes == 753
    assert sheet.invalid_papers == 5


def test_model_election_quota_is_107_58_5_1_6() -> None:
    assert model_sheet().quota == Fraction("107.58")


def test_model_election_smith_deemed_elected_at_first_stage_5_1_7() -> None:
    first = model_sheet().stages[0]
    assert by_name(first.votes) == {name: Fraction(n) for name, n in FIRST.items()}
    assert [NAMES[c] for c in first.elected] == ["Smith"]


def test_model_election_surplus_not_deferred_as_it_exceeds_24_less_23_5_2_2() -> None:
    second = model_sheet().stages[1]
    assert second.action == "surplus"
    assert second.number == 2
    assert not any("deferred" in note for note in second.notes)


def test_model_election_transfer_value_0_21_credits_25_83_5_3_7_to_5_3_8() -> None:
    second = model_sheet().stages[1]
    assert "Transfer value 26.42 / 123 = 0.21 (5.3.7)" in second.notes
    credited = {NAMES[c]: v for c, v in second.transfers.items() if v > 0}
    assert credited == {
        "Wright": Fraction("8.40"),
        "Vine": Fraction("7.35"),
        "Hunter": Fraction("5.88"),
        "Abbott": Fraction("4.20"),
    }
    assert sum(credited.values()) == Fraction("25.83")
    assert second.transfers[NAMES.index("Smith")] == Fraction("-26.42")


def test_model_election_non_transferable_difference_0_59_5_3_9() -> None:
    second = model_sheet().stages[1]
    assert "Non-transferable difference 0.59 (5.3.9)" in second.notes
    assert second.non_transferable_votes == Fraction("0.59")
    assert by_name(second.votes)["Smith"] == Fraction("107.58")


def test_model_election_total_stays_753_at_every_stage_5_3_11_and_5_4_15() -> None:
    sheet = model_sheet()
    for stage in sheet.stages:
        assert sum(stage.votes.values()) + stage.non_transferable_votes == 753
    assert len(sheet.elected) == 6
