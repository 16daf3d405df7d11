"""The poll as the returning officer and the scrutineers see it (issue 11, items 1 and 6): turnout
per contest from the marked register alone, hour by hour, and changes to the frozen roll made
only with a reason, confirmed, audited, and never taking off anyone who has voted."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from nominations_arrange import OFFICER, as_user, at, chain_of, member, staff
from poll_arrange import CLOSES, OPENS, VOTING, freeze, poll, vote
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from support import post_form

from governance.bodies.models import Body
from governance.elections.models import Election
from governance.members.models import Member
from governance.security.roles import Role
from governance.voting import roll
from governance.voting.models import Elector, Roll

MARKS = {"ranking": [1]}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _voters(db: AsyncSession, count: int) -> list[Member]:
    return [await member(db, f"V-{n:03d}", f"Voter {n}") for n in range(count)]


async def _arranged(db: AsyncSession, zone: str = "Europe/London") -> tuple[Election, list[Member]]:
    """Two contests open to every active member; in contest 1, two ballots in the hour from
    13:00 UTC and one in the hour from 15:00; in contest 2, one."""
    held = await poll(db)
    body = await db.get(Body, held.body_id)
    assert body is not None
    body.time_zone = zone
    await db.commit()
    people = await _voters(db, 4)
    await freeze(db, held)
    first, second = held.contests[0].id, held.contests[1].id
    for voter, minutes in ((people[0], 5), (people[1], 50), (people[2], 130)):
        await vote(db, first, voter, MARKS, VOTING + timedelta(minutes=minutes))
    await vote(db, second, people[3], MARKS, VOTING + timedelta(minutes=10))
    at(VOTING + timedelta(hours=3))
    return held, people


async def test_turnout_shows_electorate_ballots_and_each_hour_in_the_body_s_time(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db, zone="Europe/Paris")
    electorate = (await db.get(Roll, held.contests[0].id, populate_existing=True)).electors  # type: ignore[union-attr]
    await as_user(client, OFFICER)
    page = await client.get(f"/ro/elections/{held.id}/turnout")
    assert page.status_code == 200
    text = _text(page.text)
    share = f"{100 * 3 / electorate:.1f}%"
    assert f"Electorate {electorate} Ballots cast 3 Turnout {share}" in text
    assert f"Electorate {electorate} Ballots cast 1 Turnout {100 / electorate:.1f}%" in text
    # Paris is an hour ahead of UTC in March: the hour from 13:00 UTC is shown as 14:00.
    assert f"14:00 on 15 March 2027 2 2 {100 * 2 / electorate:.1f}%" in text
    assert f"16:00 on 15 March 2027 1 3 {share}" in text
    assert "15:00 on 15 March 2027 0" not in text, "hours nobody voted in stay out of the table"
    assert page.text.count("<svg") == 2 and "<title id=" in page.text
    assert "<script" not in page.text.split("<main", 1)[1]


async def test_an_htmx_refresh_gets_only_the_figures(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db)
    await as_user(client, OFFICER)
    page = await client.get(f"/ro/elections/{held.id}/turnout")
    assert 'hx-trigger="every 60s"' in page.text and "<html" in page.text
    block = await client.get(f"/ro/elections/{held.id}/turnout", headers={"HX-Request": "true"})
    assert block.status_code == 200
    assert block.text.lstrip().startswith('<div id="figures"') and "<html" not in block.text
    assert "Ballots cast" in block.text


async def test_turnout_never_reads_the_ballot_box(
    app: Litestar, client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db)
    await as_user(client, OFFICER)
    statements: list[str] = []
    engine = app.state["alchemy_config"].get_engine().sync_engine

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = await client.get(f"/ro/elections/{held.id}/turnout")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page.status_code == 200
    assert any("participations" in s for s in statements), "the control: statements were seen"
    assert not any(re.search(r"\bballots\b", s) for s in statements)


async def test_scrutineers_read_turnout_and_members_do_not(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db)
    await staff(db, "scrutineer@example.org", Role.SCRUTINEER)
    await as_user(client, "scrutineer@example.org")
    assert (await client.get(f"/ro/elections/{held.id}/turnout")).status_code == 200
    client.cookies.clear()
    anonymous = await client.get(f"/ro/elections/{held.id}/turnout", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]


async def test_the_election_page_links_to_turnout_once_voting_has_opened(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await poll(db)
    await as_user(client, OFFICER)
    at(OPENS - timedelta(hours=1))
    before = await client.get(f"/ro/elections/{held.id}")
    assert f"/ro/elections/{held.id}/turnout" not in before.text
    at(VOTING)
    during = await client.get(f"/ro/elections/{held.id}")
    assert f"/ro/elections/{held.id}/turnout" in during.text
    assert f"/ro/elections/{held.id}/contests/{held.contests[0].id}/roll" in during.text


# --- Changing the roll during the poll ----------------------------------------------------


def _change(change: str, number: str, **extra: str) -> dict[str, str]:
    return {
        "change": change,
        "membership_number": number,
        "reason": "challenge_accepted",
        "detail": "Challenge 12 upheld: renewal was paid on time.",
        **extra,
    }


async def _electors(db: AsyncSession, contest_id: int) -> tuple[int, set[int]]:
    rolled = await db.get(Roll, contest_id, populate_existing=True)
    assert rolled is not None
    members = set(
        await db.scalars(select(Elector.member_id).where(Elector.contest_id == contest_id))
    )
    return rolled.electors, members


async def test_adding_a_member_is_confirmed_then_made_and_audited(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db)
    late = await member(db, "LATE-1", "Late Joiner")
    contest = held.contests[0].id
    size, members = await _electors(db, contest)
    assert late.id not in members
    await as_user(client, OFFICER)
    page = f"/ro/elections/{held.id}/contests/{contest}/roll"
    asked = await post_form(client, page, page, _change("add", "LATE-1"))
    assert asked.status_code == 200 and "Confirm the change to the roll" in asked.text
    assert f"Electors after the change {size + 1}" in _text(asked.text)
    assert await _electors(db, contest) == (size, members), "nothing changes before confirming"
    done = await post_form(client, page, page, _change("add", "LATE-1", confirm="yes"))
    assert done.status_code == 303
    assert await _electors(db, contest) == (size + 1, members | {late.id})
    rolled = await db.get(Roll, contest, populate_existing=True)
    assert rolled is not None and len(rolled.digest) == 64, "the freeze digest is kept"
    last = (await chain_of(db, held.id))[-1]
    assert last["action"] == "electorate.elector_added" and last["actor"] == OFFICER
    assert last["payload"] == {
        "contest": contest,
        "contest_name": "Contest 1",
        "membership_number": "LATE-1",
        "reason": "challenge_accepted",
        "detail": "Challenge 12 upheld: renewal was paid on time.",
        "electors": size + 1,
    }
    shown = await client.get(str(done.headers["location"]))
    assert "The change has been made" in shown.text and "LATE-1" in shown.text


async def test_nobody_who_has_voted_is_removed_but_a_non_voter_is(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, people = await _arranged(db)
    contest = held.contests[0].id
    size, members = await _electors(db, contest)
    before = await chain_of(db, held.id)
    await as_user(client, OFFICER)
    page = f"/ro/elections/{held.id}/contests/{contest}/roll"
    refused = await post_form(client, page, page, _change("remove", "V-000", confirm="yes"))
    assert refused.status_code == 422
    assert "This member voted in this contest on 15 March 2027" in refused.text
    assert 'href="#membership_number"' in refused.text
    assert await _electors(db, contest) == (size, members)
    assert await chain_of(db, held.id) == before
    # V-003 voted only in contest 2, so may be taken off contest 1's roll.
    done = await post_form(client, page, page, _change("remove", "V-003", confirm="yes"))
    assert done.status_code == 303
    assert await _electors(db, contest) == (size - 1, members - {people[3].id})
    assert (await chain_of(db, held.id))[-1]["payload"]["electors"] == size - 1


async def test_the_marked_register_refuses_a_removal_the_check_missed(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, _people = await _arranged(db)
    contest = held.contests[0].id
    size, members = await _electors(db, contest)
    before = await chain_of(db, held.id)

    async def never_voted(*_args: Any) -> None:
        return None

    monkeypatch.setattr(roll, "_voted_at", never_voted)
    officer = await _officer(db)
    form = roll.RollChangeForm(**_change("remove", "V-000", confirm="yes"))
    with pytest.raises(IntegrityError):
        await roll.change_roll(db, officer, held.id, contest, form)
    assert await _electors(db, contest) == (size, members)
    assert await chain_of(db, held.id) == before


async def _officer(db: AsyncSession) -> Any:
    from governance.accounts.models import User
    from governance.security.roles import Account

    user = await db.scalar(select(User).where(User.email == OFFICER))
    assert user is not None
    return Account(user.id, user.email, user.name, frozenset({Role.RETURNING_OFFICER}), None)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (_change("add", "NOBODY-9"), "There is no member with this number on the register."),
        (_change("add", "V-001"), "This member is already on the roll."),
        (_change("remove", "LATE-2"), "This member is not on the roll."),
        (_change("add", "LATE-2", reason="whim"), "Choose the reason for the change."),
        (_change("add", "LATE-2", detail="  "), "Say what the challenge or the error was"),
        (_change("add", "LATE-2", detail="x" * 501), "Use at most 500 characters."),
        (_change("", "LATE-2"), "Choose whether to add a member to the roll or remove one."),
        (_change("add", ""), "membership number."),
    ],
)
async def test_a_change_the_rules_refuse_is_named_beside_its_field(
    client: AsyncTestClient[Any], db: AsyncSession, fields: dict[str, str], problem: str
) -> None:
    held, _people = await _arranged(db)
    await member(db, "LATE-2", "Late Two")
    contest = held.contests[0].id
    size, members = await _electors(db, contest)
    await as_user(client, OFFICER)
    page = f"/ro/elections/{held.id}/contests/{contest}/roll"
    refused = await post_form(client, page, page, {**fields, "confirm": "yes"})
    assert refused.status_code == 422 and problem in refused.text
    assert "There is a problem" in refused.text
    assert await _electors(db, contest) == (size, members)


async def test_the_roll_changes_only_while_voting_is_open(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _people = await _arranged(db)
    await member(db, "LATE-3", "Late Three")
    contest = held.contests[0].id
    size, members = await _electors(db, contest)
    await as_user(client, OFFICER)
    page = f"/ro/elections/{held.id}/contests/{contest}/roll"
    form = await client.get(page)
    assert "Change the roll" in form.text
    at(CLOSES + timedelta(minutes=1))
    await as_user(client, OFFICER)
    closed = await client.get(page)
    assert closed.status_code == 200 and "Change the roll" not in closed.text
    refused = await post_form(client, page, page, _change("add", "LATE-3", confirm="yes"))
    assert refused.status_code == 409
    assert "only while voting is open" in refused.text
    assert await _electors(db, contest) == (size, members)
