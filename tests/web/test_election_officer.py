"""An election has one returning officer (DESIGN: roles). Only they change it: every mutating
route refuses anyone else with a page that names them, while other returning officers and
scrutineers still read everything. An administrator hands an election to another returning
officer, and the hand-over is in the election's audit chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from nominations_arrange import (
    CLOSED,
    NOW,
    OFFICER,
    OFFICER_NAME,
    as_user,
    at,
    chain_of,
    election,
    member,
    nominated,
    officer_id,
    staff,
    verified_actions,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import post_form

from governance.elections.models import Election
from governance.nominations.models import Nomination
from governance.security.roles import Role
from governance.voting.electorate import freeze_electorate

SECOND = "second@example.org"  # another returning officer, who does not run these elections
ADMIN = "admin@example.org"
REFUSED = f"Only the returning officer of this election, {OFFICER_NAME}, can do this."
DRAFTING = NOW - timedelta(days=3)  # the unannounced election's nominations open in two days


@dataclass(frozen=True, slots=True)
class Step:
    """A mutating route, as the app declares it, and a form that the election's own returning
    officer can send successfully when the election is a draft (or after nominations close)."""

    path: str
    fields: dict[str, str]
    in_draft: bool
    during_voting: bool = False  # arranged with voting open and the rolls frozen instead


SETTINGS = {
    "title": "Policy Advisory Group 2027",
    "nominations_open_at": "2027-03-05T09:00",
    "nominations_close_at": "2027-03-06T17:00",
    "voting_open_at": "2027-03-10T09:00",
    "voting_close_at": "2027-03-12T17:00",
    "statement_word_limit": "100",
    "proposers_required": "1",
    "seconders_required": "1",
    "max_supports_per_member": "2",
    "ballot_order": "alphabetical",
}
CONTEST = {"name": "Regional seats", "seats": "3", "method": "stv-scottish"}
ELECTION = "/ro/elections/{election_id:int}"
NOMINATIONS = ELECTION + "/nominations"

# A new mutating route of an election belongs here or in OPEN_TO_EVERY_OFFICER (the route test
# below fails until it is in one of them).
OWNER_ONLY = {
    "edit the settings": Step(ELECTION + "/edit", SETTINGS, in_draft=True),
    "add a contest": Step(ELECTION + "/contests", CONTEST, in_draft=True),
    "edit a contest": Step(ELECTION + "/contests/{contest_id:int}/edit", CONTEST, in_draft=True),
    "announce": Step(ELECTION + "/announce", {}, in_draft=True),
    "cancel": Step(ELECTION + "/cancel", {"reason": "Merged with the AGM."}, in_draft=True),
    "review a nomination": Step(
        NOMINATIONS + "/{nomination_id:int}", {"outcome": "valid", "reason": ""}, in_draft=False
    ),
    "declare unopposed": Step(
        NOMINATIONS + "/contests/{contest_id:int}/unopposed", {}, in_draft=False
    ),
    "publish the candidates": Step(NOMINATIONS + "/publish", {}, in_draft=False),
    "change a contest's roll": Step(
        ELECTION + "/contests/{contest_id:int}/roll",
        {
            "change": "add",
            "membership_number": "M-late",
            "reason": "clerical_error",
            "detail": "Left off by mistake.",
            "confirm": "yes",
        },
        in_draft=False,
        during_voting=True,
    ),
}
# The voting steps need an open poll with codes issued: tests/web/test_voting_mail.py checks
# each is the owner's alone (its OWNER_ONLY_VOTING list, with the same paths).
OWNER_ONLY_VOTING = {
    ELECTION + "/electors/{member_id:int}/resend",
    ELECTION + "/electors/{member_id:int}/reissue",
    ELECTION + "/reminders/send",
    ELECTION + "/reminders/schedule",
    ELECTION + "/reminders/{reminder_id:int}/cancel",
}
# Copying only reads the source election, and the copy is the copier's (as a new election is).
OPEN_TO_EVERY_OFFICER = {ELECTION + "/copy"}
OWNER_ONLY_FORMS = [
    ELECTION + "/edit",
    ELECTION + "/contests/new",
    OWNER_ONLY["edit a contest"].path,
]
READ_ONLY = [
    ELECTION,
    ELECTION + "/audit.jsonl",
    NOMINATIONS,
    NOMINATIONS + "/{nomination_id:int}",
    ELECTION + "/turnout",
    ELECTION + "/contests/{contest_id:int}/roll",
]


def _address(path: str, held: Election, nomination: Nomination) -> str:
    ids = {
        "election_id": held.id,
        "contest_id": held.contests[0].id,
        "nomination_id": nomination.id,
    }
    for name, value in ids.items():
        path = path.replace("{" + name + ":int}", str(value))
    return path


async def _arranged(db: AsyncSession, *, in_draft: bool) -> tuple[Election, Nomination]:
    """An election run by OFFICER with one complete nomination, already found valid, in a
    two-seat contest: a draft at DRAFTING, or announced with nominations closed at CLOSED.
    SECOND holds the returning officer role too."""
    held = await election(db, announced=not in_draft)
    people = [await member(db, f"M-{n}", name) for n, name in enumerate(["Ada", "Bo", "Cy"])]
    nomination = await nominated(db, held.contests[0], people[0], people[1:])
    nomination.review = "valid"
    await db.commit()
    await staff(db, SECOND, Role.RETURNING_OFFICER)
    at(DRAFTING if in_draft else CLOSED)
    return held, nomination


async def _arranged_voting(db: AsyncSession) -> tuple[Election, Nomination]:
    """As ``_arranged`` after the close, then the candidates published and voting open with the
    rolls frozen, and M-late joining the register after the freeze."""
    held, nomination = await _arranged(db, in_draft=False)
    held.candidates_published_at = CLOSED
    await db.commit()
    at(held.voting_open_at + timedelta(hours=1))
    await freeze_electorate(db, held, held.voting_open_at + timedelta(hours=1))
    await member(db, "M-late", "Late Joiner")
    return held, nomination


@pytest.mark.parametrize("step", OWNER_ONLY.values(), ids=list(OWNER_ONLY))
async def test_only_the_election_s_returning_officer_takes_each_step(
    client: AsyncTestClient[Any], db: AsyncSession, step: Step
) -> None:
    if step.during_voting:
        held, nomination = await _arranged_voting(db)
    else:
        held, nomination = await _arranged(db, in_draft=step.in_draft)
    page, action = _address(ELECTION, held, nomination), _address(step.path, held, nomination)
    before = await chain_of(db, held.id)
    await as_user(client, SECOND)
    refused = await post_form(client, page, action, step.fields)
    assert refused.status_code == 403 and REFUSED in refused.text
    assert "Traceback" not in refused.text
    assert await chain_of(db, held.id) == before, "a refused step changes nothing"
    await as_user(client, OFFICER)
    done = await post_form(client, page, action, step.fields)
    assert done.status_code == 303, done.text
    assert len(await chain_of(db, held.id)) > len(before)


def test_every_mutating_route_of_an_election_is_owner_only_or_listed_as_open(app: Litestar) -> None:
    mutating = {
        route.path
        for route in app.routes
        if route.path.startswith(ELECTION) and "POST" in getattr(route, "methods", ())
    }
    owned = {step.path for step in OWNER_ONLY.values()} | OWNER_ONLY_VOTING
    assert mutating == owned | OPEN_TO_EVERY_OFFICER


async def test_other_staff_read_every_page_but_get_no_forms_or_buttons(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, nomination = await _arranged(db, in_draft=True)
    await staff(db, "scrutineer@example.org", Role.SCRUTINEER)
    for reader in (SECOND, "scrutineer@example.org"):
        await as_user(client, reader)
        for path in READ_ONLY:
            page = await client.get(_address(path, held, nomination))
            assert page.status_code == 200, (reader, path)
        overview = await client.get(_address(ELECTION, held, nomination))
        assert f"Returning officer: {OFFICER_NAME}" in overview.text
        assert "Announce the election" not in overview.text
        assert "Cancel the election" not in overview.text
        assert "Edit the timetable" not in overview.text
    await as_user(client, SECOND)
    for path in OWNER_ONLY_FORMS:
        form = await client.get(_address(path, held, nomination))
        assert form.status_code == 403 and REFUSED in form.text, path
    listing = await client.get("/ro/elections")
    assert OFFICER_NAME in listing.text
    await as_user(client, OFFICER)
    overview = await client.get(_address(ELECTION, held, nomination))
    assert "Announce the election" in overview.text and "Edit the timetable" in overview.text


async def test_other_officers_see_the_review_without_its_buttons(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, nomination = await _arranged(db, in_draft=False)
    await as_user(client, SECOND)
    board = await client.get(_address(NOMINATIONS, held, nomination))
    assert board.status_code == 200 and "Publish the candidate list" not in board.text
    one = await client.get(_address(NOMINATIONS + "/{nomination_id:int}", held, nomination))
    assert one.status_code == 200 and "Record the decision" not in one.text
    await as_user(client, OFFICER)
    board = await client.get(_address(NOMINATIONS, held, nomination))
    assert "Publish the candidate list" in board.text


async def test_whoever_sets_up_or_copies_an_election_runs_it(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, nomination = await _arranged(db, in_draft=True)
    at(DRAFTING)
    await as_user(client, SECOND)
    page = _address(ELECTION, held, nomination)
    copied = await post_form(client, page, page + "/copy", {"shift_days": "365"})
    assert copied.status_code == 303
    copy = await db.scalar(select(Election).where(Election.copied_from_id == held.id))
    assert copy is not None and copy.returning_officer_id == await officer_id(db, SECOND)
    created = await post_form(
        client, "/ro/elections/new", "/ro/elections", {**SETTINGS, "body_id": str(held.body_id)}
    )
    assert created.status_code == 303
    mine = await client.get(str(created.headers["location"]))
    assert "Returning officer: Test Person" in mine.text and "Announce the election" in mine.text
    await db.refresh(held)
    assert held.returning_officer_id == await officer_id(db, OFFICER), "the source is unchanged"


async def test_an_administrator_hands_an_election_to_another_returning_officer(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, nomination = await _arranged(db, in_draft=False)
    await staff(db, ADMIN, Role.ADMIN)
    await as_user(client, ADMIN)
    page = await client.get("/admin/elections")
    assert page.status_code == 200 and OFFICER_NAME in page.text
    second = await officer_id(db, SECOND)
    choice = {"election_id": str(held.id), "officer_id": str(second)}
    handed = await post_form(client, "/admin/elections", "/admin/elections", choice)
    assert handed.status_code == 303
    review = _address(NOMINATIONS + "/{nomination_id:int}", held, nomination)
    await as_user(client, OFFICER)
    refused = await post_form(client, review, review, {"outcome": "valid"})
    assert refused.status_code == 403
    assert "Only the returning officer of this election, Test Person, can do this." in refused.text
    await as_user(client, SECOND)
    assert (await post_form(client, review, review, {"outcome": "valid"})).status_code == 303
    assert await verified_actions(db, held.id) == [
        "election.officer_changed",
        "nomination.reviewed_valid",
    ]
    event = (await chain_of(db, held.id))[0]
    assert event["actor"] == ADMIN
    assert event["payload"] == {
        "before": {
            "returning_officer_id": await officer_id(db, OFFICER),
            "returning_officer": OFFICER,
        },
        "after": {"returning_officer_id": second, "returning_officer": SECOND},
    }


async def test_an_election_goes_only_to_a_returning_officer_and_only_by_an_administrator(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held, _nomination = await _arranged(db, in_draft=False)
    await staff(db, "scrutineer@example.org", Role.SCRUTINEER)
    await staff(db, ADMIN, Role.ADMIN)
    await as_user(client, ADMIN)
    for officer, problem in (
        (await officer_id(db, "scrutineer@example.org"), "Choose a returning officer"),
        (await officer_id(db, OFFICER), "already runs this election"),
        (0, "Choose a returning officer"),
    ):
        choice = {"election_id": str(held.id), "officer_id": str(officer)}
        refused = await post_form(client, "/admin/elections", "/admin/elections", choice)
        assert refused.status_code == 422 and problem in refused.text
    unknown = {"election_id": "999999", "officer_id": str(await officer_id(db, SECOND))}
    refused = await post_form(client, "/admin/elections", "/admin/elections", unknown)
    assert refused.status_code == 422 and "Choose an election" in refused.text
    await as_user(client, OFFICER)
    assert (await client.get("/admin/elections")).status_code == 403
    assert await chain_of(db, held.id) == []
