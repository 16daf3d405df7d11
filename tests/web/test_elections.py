"""Setting up an election: timetable in the body's zone, contests with rules and constraints,
settings locked once nominations open, announce, copy, cancel, audit chain and export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user, post_form, sign_in

from governance import clock
from governance.audit import chain
from governance.bodies.models import Body
from governance.elections.models import Contest, Election
from governance.security.roles import Role

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
ELECTION = {
    "title": "Policy Advisory Group 2026",
    "description": "",
    "nominations_open_at": "2026-03-02T09:00",
    "nominations_close_at": "2026-03-16T17:00",
    "voting_open_at": "2026-04-01T09:00",
    "voting_close_at": "2026-04-15T17:00",
    "statement_word_limit": "250",
    "proposers_required": "1",
    "seconders_required": "1",
    "max_supports_per_member": "2",
    "supporters_other_organisation": "on",
    "ballot_order": "random",
}
CONTEST = {
    "name": "Regional seats",
    "seats": "12",
    "method": "stv-scottish",
    "stand_rule": 'status = "active"',
    "vote_rule": "",
    "constraints": "region min 1\norganisation max 2",
}


async def _setup(client: AsyncTestClient[Any], db: AsyncSession) -> str:
    clock.set_clock(lambda: NOW)
    db.add(
        Body(
            name="Policy Advisory Group",
            description="",
            seats=36,
            term_months=36,
            time_zone="Europe/London",
            created_at=NOW,
        )
    )
    await db.commit()
    body = await db.scalar(select(Body))
    assert body is not None
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await sign_in(client, "ro@example.org")
    created = await post_form(
        client, "/ro/elections/new", "/ro/elections", {**ELECTION, "body_id": str(body.id)}
    )
    assert created.status_code == 303, created.text
    return str(created.headers["location"])


async def test_the_timetable_is_read_in_the_body_zone_and_stored_in_utc(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _setup(client, db)
    election = await db.scalar(select(Election))
    assert election is not None
    # 09:00 London time on 2 March is 09:00 UTC; 09:00 on 1 April is 08:00 UTC (summer time).
    assert election.nominations_open_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert election.voting_open_at == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    assert election.ballot_order == "random" and election.supporters_other_organisation
    assert not election.supporters_distinct_organisations


async def test_a_timetable_out_of_order_names_each_bad_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    reversed_window = {**ELECTION, "nominations_close_at": "2026-03-01T09:00"}
    response = await post_form(client, f"{location}/edit", f"{location}/edit", reversed_window)
    assert response.status_code == 422
    assert "Nominations must close after they open." in response.text
    not_a_date = {**ELECTION, "voting_open_at": "next Tuesday"}
    response = await post_form(client, f"{location}/edit", f"{location}/edit", not_a_date)
    assert response.status_code == 422 and "Enter a date and time" in response.text


async def test_contests_take_valid_rules_and_constraints_only(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    action = f"{location}/contests"
    bad = await post_form(
        client,
        f"{location}/contests/new",
        action,
        {
            **CONTEST,
            "stand_rule": 'regoin = "x"',
            "method": "coin-toss",
            "constraints": "region at least one",
        },
    )
    assert bad.status_code == 422
    assert "regoin" in bad.text and "Choose a counting method" in bad.text
    assert "Line 1: write a constraint as" in bad.text
    good = await post_form(client, f"{location}/contests/new", action, CONTEST)
    assert good.status_code == 303
    contest = await db.scalar(select(Contest))
    assert contest is not None and contest.seats == 12
    assert contest.constraints == [
        {"dimension": "region", "value": None, "minimum": 1, "maximum": None},
        {"dimension": "organisation", "value": None, "minimum": 0, "maximum": 2},
    ]


async def test_settings_lock_once_nominations_open_and_every_step_is_audited(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    refused = await post_form(client, location, f"{location}/announce", {})
    assert refused.status_code == 409 and "Add at least one contest" in refused.text
    await post_form(client, f"{location}/contests/new", f"{location}/contests", CONTEST)
    await post_form(
        client, f"{location}/edit", f"{location}/edit", {**ELECTION, "statement_word_limit": "300"}
    )
    assert (await post_form(client, location, f"{location}/announce", {})).status_code == 303
    clock.set_clock(lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await sign_in(client, "ro@example.org")  # a month on, the earlier session has expired
    page = await client.get(location)
    assert "<strong>Nominations open</strong>" in page.text
    locked = await post_form(
        client, location, f"{location}/edit", {**ELECTION, "statement_word_limit": "500"}
    )
    assert locked.status_code in (409, 200)
    assert "Settings are locked once nominations open." in locked.text
    election = await db.scalar(select(Election))
    assert election is not None
    await db.refresh(election)
    assert election.statement_word_limit == 300
    export = await client.get(f"{location}/audit.jsonl")
    events = list(chain.read_jsonl(export.text.splitlines()))
    assert [e["action"] for e in events] == [
        "election.created",
        "contest.added",
        "election.settings_changed",
        "election.announced",
    ]
    assert events[2]["payload"] == {
        "before": {"statement_word_limit": 250},
        "after": {"statement_word_limit": 300},
    }
    verdict = chain.verify(events)
    assert verdict.ok and verdict.head in page.text


async def test_copying_shifts_the_timetable_and_keeps_settings_and_contests(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    await post_form(client, f"{location}/contests/new", f"{location}/contests", CONTEST)
    copied = await post_form(client, location, f"{location}/copy", {"shift_days": "364"})
    assert copied.status_code == 303
    elections = list(await db.scalars(select(Election).order_by(Election.id)))
    assert len(elections) == 2
    first, second = elections
    assert second.nominations_open_at - first.nominations_open_at == timedelta(days=364)
    assert second.copied_from_id == first.id and second.announced_at is None
    assert [c.name for c in second.contests] == ["Regional seats"]
    assert second.ballot_order == first.ballot_order


async def test_cancelling_needs_a_reason_and_is_shown_publicly(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    await post_form(client, f"{location}/contests/new", f"{location}/contests", CONTEST)
    await post_form(client, location, f"{location}/announce", {})
    missing = await post_form(client, location, f"{location}/cancel", {"reason": ""})
    assert missing.status_code == 422 and "Give the reason for cancelling" in missing.text
    done = await post_form(
        client, location, f"{location}/cancel", {"reason": "Merged with the AGM ballot."}
    )
    assert done.status_code == 303
    election_id = location.rsplit("/", 1)[1]
    public = await client.get(f"/elections/{election_id}")
    assert "Merged with the AGM ballot." in public.text and "Cancelled" in public.text
    listing = await client.get("/elections")
    assert "Policy Advisory Group 2026" in listing.text


async def test_scrutineers_read_but_cannot_change_and_members_cannot_enter(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    await post_form(client, "/", "/logout", {})
    await make_user(db, "scrutineer@example.org", {Role.SCRUTINEER})
    await sign_in(client, "scrutineer@example.org")
    assert (await client.get(location)).status_code == 200
    assert (await client.get(f"{location}/edit")).status_code == 403
    await post_form(client, "/", "/logout", {})
    await make_user(db, "member@example.org", {Role.MEMBER})
    await sign_in(client, "member@example.org")
    assert (await client.get(location)).status_code == 403


async def test_an_unannounced_election_is_not_public(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    election_id = location.rsplit("/", 1)[1]
    await post_form(client, "/", "/logout", {})
    assert (await client.get(f"/elections/{election_id}")).status_code == 404
    assert "Policy Advisory Group 2026" not in (await client.get("/elections")).text


async def test_an_announced_timetable_cannot_move_into_the_past(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    await post_form(client, f"{location}/contests/new", f"{location}/contests", CONTEST)
    await post_form(client, location, f"{location}/announce", {})
    past = {**ELECTION, "nominations_open_at": "2026-01-02T09:00"}
    response = await post_form(client, f"{location}/edit", f"{location}/edit", past)
    assert response.status_code == 422
    assert "nominations cannot open in the past" in response.text


async def test_nonsense_numbers_in_election_forms_are_refused_not_crashed(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    location = await _setup(client, db)
    bad_body = await post_form(
        client, "/ro/elections/new", "/ro/elections", {**ELECTION, "body_id": "abc"}
    )
    assert bad_body.status_code == 422 and "Choose the body this election fills." in bad_body.text
    far = await post_form(client, location, f"{location}/copy", {"shift_days": "3000000"})
    assert far.status_code == 422 and "at most 3650" in far.text
