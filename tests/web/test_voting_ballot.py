"""The elector's way through the ballot, through the HTTP client on SQLite and PostgreSQL:
"Vote now", a paper for every method in the published order, errors named and linked, the
review that stores nothing, the cast, the receipt and its mail (issue 11, items 2 to 5)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from ballot_arrange import NAMES, cast, election, hidden_fields, review, signed_in, stored
from integration.voting_arrange import CLOSE, DURING, at
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import csrf_from

from governance.notify.models import OutboxMessage
from governance.voting.models import Ballot, Credential
from governance.voting.voters import VOTING_COOKIE, Voter, issue_pass

Client = AsyncTestClient[Any]
SECRET = "test-secret-key-" + "x" * 32

METHODS = [
    ("plurality", 1),
    ("block", 2),
    ("approval", 2),
    ("irv", 1),
    ("stv-scottish", 2),
    ("stv-ers97", 2),
    ("stv-meek", 2),
    ("yes-no", 1),
]
RON_METHODS = {"plurality", "irv", "stv-scottish", "stv-ers97", "stv-meek"}


def positions(text: str, names: list[str]) -> list[int]:
    return [text.index(f">{name}") for name in names]


@pytest.mark.parametrize(("method", "seats"), METHODS)
async def test_each_method_has_a_ballot_page_in_the_published_order(
    client: Client, db: AsyncSession, method: str, seats: int
) -> None:
    published = ["Mary Somerville", "Ada Lovelace", "Karen Jones", "Alan Turing"]
    arranged = await election(db, [(method, seats)], names=published)
    await signed_in(client, arranged.voter)
    page = await client.get(f"/vote/contests/{arranged.contests[0].id}")
    assert page.status_code == 200
    if method == "yes-no":
        assert 'name="answer" value="yes"' in page.text
        assert 'name="answer" value="abstain"' in page.text
        return
    found = positions(page.text, published)
    assert found == sorted(found)
    field = 'name="rank-1"' if method in RON_METHODS - {"plurality"} else 'name="choice"'
    assert field in page.text
    # Each statement is a click away, on the public candidate list.
    assert f"/contests/{arranged.contests[0].id}/candidates#candidate-2" in page.text


@pytest.mark.parametrize(("method", "seats"), METHODS)
async def test_re_open_nominations_only_when_set_and_only_on_ranked_and_single_choice(
    client: Client, db: AsyncSession, method: str, seats: int
) -> None:
    arranged = await election(db, [(method, seats)], re_open_nominations=True)
    await signed_in(client, arranged.voter)
    page = await client.get(f"/vote/contests/{arranged.contests[0].id}")
    assert ("Re-open nominations" in page.text) == (method in RON_METHODS)
    plain = await election(db, [(method, seats)])
    await signed_in(client, plain.voter)
    page = await client.get(f"/vote/contests/{plain.contests[0].id}")
    assert "Re-open nominations" not in page.text


@pytest.mark.parametrize(
    ("method", "fields", "field", "message"),
    [
        ("stv-scottish", {"rank-1": "2", "rank-2": "2", "rank-3": "1"}, "rank-2",
         "You gave 2 to both Ada Lovelace and Mary Somerville"),
        ("stv-scottish", {"rank-1": "1", "rank-2": "3"}, "rank-2", "You have not used 2"),
        ("irv", {"rank-1": "first"}, "rank-1",
         "The number beside Ada Lovelace must be a whole number"),
        ("stv-meek", {"rank-1": "1", "rank-4": "9"}, "rank-4",
         "Number your choices from 1 to 5: you gave Alan Turing 9"),
        ("stv-ers97", {"rank-1": "1", "rank-77": "2"}, "rank-1",
         "not standing in this contest"),
        ("block", {"choice": ["1", "2", "3"]}, "choice-1",
         "You can vote for up to 2 candidates: you chose 3"),
        ("plurality", {"choice": ["1", "5"]}, "choice-1", "Vote for one candidate only"),
        ("approval", {}, "empty", "You have not marked any choice"),
        ("yes-no", {}, "answer-yes", "Choose Yes, No or Abstain."),
    ],
)  # fmt: skip
async def test_each_problem_is_named_and_linked_and_nothing_is_stored(
    client: Client,
    db: AsyncSession,
    method: str,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    arranged = await election(db, [(method, 2 if method in ("block", "approval") else 1)])
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    page = await review(client, contest_id, fields)
    assert page.status_code == 422
    summary = page.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.search(rf'<a href="#{field}">[^<]*{re.escape(message)}', summary), summary
    assert f'id="{field}"' in page.text
    assert "<title>Error:" in page.text
    assert await stored(db, contest_id) == (0, [])


async def test_the_paper_keeps_what_was_typed_when_it_is_refused(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    page = await review(client, arranged.contests[0].id, {"rank-1": "1", "rank-3": "3"})
    assert page.status_code == 422
    assert 'name="rank-3" value="3" aria-invalid="true"' in page.text


async def test_the_review_shows_the_order_and_stores_nothing(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    page = await review(client, contest_id, {"rank-4": "1", "rank-2": "2", "rank-5": "3"})
    assert page.status_code == 200
    order = page.text.split("Your choices, in order", 1)[1]
    found = positions(order, ["Alan Turing", "Mary Somerville", "Karen Jones"])
    assert found == sorted(found)
    assert "You ranked 3 of 5 candidates." in page.text
    assert "undervote" not in page.text.lower()
    assert "Cast my vote" in page.text
    assert await stored(db, contest_id) == (0, [])


async def test_change_my_choices_returns_to_the_marked_paper(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    checked = await review(client, contest_id, {"rank-4": "1", "rank-2": "2"})
    page = await client.post(f"/vote/contests/{contest_id}/change", data=hidden_fields(checked))
    assert page.status_code == 200
    assert 'name="rank-4" value="1"' in page.text
    assert 'name="rank-2" value="2"' in page.text
    assert await stored(db, contest_id) == (0, [])


@pytest.mark.parametrize(
    ("method", "seats", "fields", "content"),
    [
        ("stv-scottish", 2, {"rank-3": "1", "rank-1": "2", "rank-5": "3"}, '{"ranking":[3,1,5]}'),
        ("irv", 1, {"rank-ron": "1", "rank-2": "2"}, '{"ranking":["ron",2]}'),
        ("block", 2, {"choice": ["4", "2"]}, '{"ranking":[2,4]}'),
        ("approval", 2, {"choice": ["5", "1", "3"]}, '{"ranking":[1,3,5]}'),
        ("plurality", 1, {"choice": "2"}, '{"ranking":[2]}'),
        ("yes-no", 1, {"answer": "no"}, '{"ranking":[2]}'),
        ("yes-no", 1, {"answer": "abstain"}, '{"ranking":[]}'),
    ],
)
async def test_casting_stores_one_ballot_with_the_canonical_marks_and_a_matching_receipt(
    client: Client, db: AsyncSession, method: str, seats: int, fields: dict[str, Any], content: str
) -> None:
    arranged = await election(db, [(method, seats)], re_open_nominations=True)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    done = await cast(client, contest_id, fields)
    assert done.status_code == 303
    assert done.headers["location"] == f"/vote/contests/{contest_id}/receipt"
    assert await stored(db, contest_id) == (1, [content])
    receipt = await client.get(done.headers["location"])
    assert receipt.status_code == 200
    assert "Your vote has been recorded" in receipt.text
    key = await db.scalar(select(Ballot.key).where(Ballot.contest_id == contest_id))
    code = hashlib.sha256(f"{key}\n{content}".encode()).hexdigest()
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    assert grouped in receipt.text
    assert "17:00 on 3 March 2027" in receipt.text  # when the board shows it


async def test_a_second_cast_is_refused_with_the_date_and_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    checked = await review(client, contest_id, {"rank-1": "1"})
    first = await client.post(
        f"/vote/contests/{contest_id}/cast", data=hidden_fields(checked), follow_redirects=False
    )
    assert first.status_code == 303
    before = await stored(db, contest_id)
    again = await client.post(f"/vote/contests/{contest_id}/cast", data=hidden_fields(checked))
    assert again.status_code == 409
    assert "You have already voted in this contest, on 2 March 2027." in again.text
    assert await stored(db, contest_id) == before
    page = await client.get(f"/vote/contests/{contest_id}")
    assert page.status_code == 409
    assert "You have already voted" in page.text


async def test_a_cast_after_the_close_is_refused(client: Client, db: AsyncSession) -> None:
    arranged = await election(db)
    at(CLOSE - timedelta(minutes=5))  # the voter signs in near the close, and is slow
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    checked = await review(client, contest_id, {"rank-1": "1"})
    at(CLOSE + timedelta(seconds=1))
    late = await client.post(f"/vote/contests/{contest_id}/cast", data=hidden_fields(checked))
    assert late.status_code == 409
    assert "Voting closed at 17:00 on 3 March 2027." in late.text
    assert await stored(db, contest_id) == (0, [])


async def test_a_member_not_on_the_roll_is_refused(client: Client, db: AsyncSession) -> None:
    arranged = await election(db, vote_rule='region = "North East"')
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    page = await client.get(f"/vote/contests/{contest_id}")
    assert page.status_code == 403
    assert "You are not on the roll of electors for this contest" in page.text
    token = csrf_from(await client.get("/vote"))
    forced = await client.post(
        f"/vote/contests/{contest_id}/cast", data={"rank-1": "1", "_csrf_token": token}
    )
    assert forced.status_code == 403
    assert await stored(db, contest_id) == (0, [])
    assert "nothing for you to vote in" in (await client.get("/vote")).text


async def test_an_empty_ballot_is_cast_only_after_the_confirmation(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    refused = await review(client, contest_id, {})
    assert refused.status_code == 422
    assert 'id="empty"' in refused.text
    token = csrf_from(refused)
    forced = await client.post(
        f"/vote/contests/{contest_id}/cast", data={"_csrf_token": token}
    )  # an empty cast without the confirmation, as a crafted request would send
    assert forced.status_code == 422
    assert await stored(db, contest_id) == (0, [])
    done = await cast(client, contest_id, {"empty": "yes"})
    assert done.status_code == 303
    assert await stored(db, contest_id) == (1, ['{"ranking":[]}'])


async def test_vote_now_lists_open_contests_then_says_when_the_voter_voted(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db, [("stv-scottish", 2), ("block", 2)])
    await signed_in(client, arranged.voter)
    first, second = arranged.contests
    listed = await client.get("/vote")
    assert listed.status_code == 200
    assert f'href="/vote/contests/{first.id}"' in listed.text
    assert f'href="/vote/contests/{second.id}"' in listed.text
    assert (await cast(client, first.id, {"rank-2": "1"})).status_code == 303
    listed = await client.get("/vote")
    assert "You voted on 2 March 2027" in listed.text
    assert f'href="/vote/contests/{first.id}"' not in listed.text
    assert f'href="/vote/contests/{second.id}"' in listed.text
    assert "Mary Somerville" not in listed.text  # never how


async def test_vote_now_is_linked_from_the_home_page(client: Client, db: AsyncSession) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    assert 'href="/vote"' in (await client.get("/")).text


async def test_the_order_so_far_is_rendered_for_htmx(client: Client, db: AsyncSession) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    token = csrf_from(await client.get(f"/vote/contests/{contest_id}"))
    block = await client.post(
        f"/vote/contests/{contest_id}/order",
        data={"rank-5": "1", "rank-1": "2", "rank-2": "2", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert block.status_code == 200
    assert block.text.lstrip().startswith('<aside id="order"')
    assert "<html" not in block.text
    found = positions(block.text, ["Karen Jones", "Ada Lovelace"])
    assert found == sorted(found)
    assert "You gave 2 to both Ada Lovelace and Mary Somerville" in block.text


async def test_the_receipt_mail_holds_the_tracking_code_and_no_choices(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    done = await cast(client, contest_id, {"rank-4": "1", "rank-2": "2"})
    receipt = await client.get(done.headers["location"])
    code = re.search(r'class="tracking-code">([0-9a-f ]+)<', receipt.text)
    assert code
    sent = await client.post(
        f"/vote/contests/{contest_id}/receipt/email",
        data={"_csrf_token": csrf_from(receipt)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "We have sent the receipt" in (await client.get(sent.headers["location"])).text
    mail = (await db.scalars(select(OutboxMessage))).one()
    assert mail.recipient == arranged.voter.email
    for body in (mail.text_body, mail.html_body):
        assert code.group(1) in body
        for name in NAMES:
            assert name not in body


async def test_the_receipt_is_not_fetchable_by_its_address_alone(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    await signed_in(client, arranged.voter)
    done = await cast(client, arranged.contests[0].id, {"rank-1": "1"})
    await signed_in(client, arranged.voter)  # the same voter, on a browser without the receipt
    later = await client.get(done.headers["location"])
    assert later.status_code == 410
    assert "tracking-code" not in later.text


async def test_nobody_voting_is_sent_to_sign_in_or_enter_a_code(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    page = await client.get(f"/vote/contests/{arranged.contests[0].id}")
    assert page.status_code == 401
    assert 'href="/vote/code"' in page.text
    assert 'href="/login?next=/vote"' in page.text


async def _code_voter(db: AsyncSession, client: Client, member_id: int, election_id: int) -> None:
    db.add(
        Credential(
            election_id=election_id,
            member_id=member_id,
            generation=2,
            code_hash="ab" * 32,
            issued_at=DURING,
        )
    )
    await db.commit()
    client.cookies.clear()


async def test_a_code_voter_casts_while_their_code_is_current(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    other = await election(db)
    voter, election_id = arranged.voter.id, arranged.election.id
    await _code_voter(db, client, voter, election_id)
    client.cookies[VOTING_COOKIE] = issue_pass(SECRET, Voter(voter, election_id, 2), DURING)
    listed = await client.get("/vote")
    assert f'href="/vote/contests/{arranged.contests[0].id}"' in listed.text
    assert f'href="/vote/contests/{other.contests[0].id}"' not in listed.text  # their election only
    assert (await client.get(f"/vote/contests/{other.contests[0].id}")).status_code == 403
    done = await cast(client, arranged.contests[0].id, {"rank-1": "1"})
    assert done.status_code == 303
    assert await stored(db, arranged.contests[0].id) == (1, ['{"ranking":[1]}'])


async def test_a_pass_from_a_reissued_code_is_refused_and_cleared(
    client: Client, db: AsyncSession
) -> None:
    arranged = await election(db)
    voter, election_id = arranged.voter.id, arranged.election.id
    await _code_voter(db, client, voter, election_id)
    client.cookies[VOTING_COOKIE] = issue_pass(SECRET, Voter(voter, election_id, 1), DURING)
    checked = await review(client, arranged.contests[0].id, {"rank-1": "1"})
    refused = await client.post(
        f"/vote/contests/{arranged.contests[0].id}/cast", data=hidden_fields(checked)
    )
    assert refused.status_code == 403
    assert "Your voting code has been replaced" in refused.text
    assert VOTING_COOKIE in refused.headers.get("set-cookie", "")
    assert await stored(db, arranged.contests[0].id) == (0, [])


async def test_the_served_app_casts_through_its_group_commit_writer(
    app: Any, client: Client, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running app holds one ballot writer, and the cast route hands the ballot to it."""
    writer = app.state["ballot_writer"]
    handed: list[int] = []
    original = writer.cast

    async def counted(contest_id: int, member_id: int, marks: Any) -> Any:
        handed.append(contest_id)
        return await original(contest_id, member_id, marks)

    monkeypatch.setattr(writer, "cast", counted)
    arranged = await election(db, [("plurality", 1)])
    await signed_in(client, arranged.voter)
    contest_id = arranged.contests[0].id
    assert (await cast(client, contest_id, {"choice": "2"})).status_code == 303
    assert handed == [contest_id]
    assert await stored(db, contest_id) == (1, ['{"ranking":[2]}'])
