"""Arrangements shared by the ballot page tests (no tests here): an election open for voting at
DURING, with contests of any method and a published candidate list, a voter signed in, and the
requests a browser sends through the ballot, the review and the cast."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from httpx import Response
from integration.voting_arrange import CLOSE, DURING, OPEN, at
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import csrf_from, link_account, make_member, sign_in

from governance.bodies.models import Body
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.nominations.models import Candidate, Nomination
from governance.voting.models import Ballot, Participation

NAMES = ["Ada Lovelace", "Mary Somerville", "Grace Hopper", "Alan Turing", "Karen Jones"]
_numbers = itertools.count(1)


@dataclass
class Arranged:
    election: Election
    contests: list[Contest]
    voter: Member


async def _officer(db: AsyncSession) -> int:
    from governance.accounts.models import User

    found = await db.scalar(select(User.id).where(User.email == "ro@example.org"))
    if found is None:
        user = User(email="ro@example.org", name="Rowan Officer", created_at=OPEN)
        db.add(user)
        await db.flush()
        found = user.id
    return found


async def _candidates(db: AsyncSession, contest: Contest, names: list[str]) -> None:
    """Candidates published in the order given (position 1 first)."""
    for position, name in enumerate(names, start=1):
        person = await make_member(db, f"C{next(_numbers):07d}", name, organisation=f"{name} Trust")
        nomination = Nomination(
            contest_id=contest.id,
            member_id=person.id,
            statement=f"Statement of {name}.",
            declaration_at=OPEN - timedelta(days=20),
            submitted_at=OPEN - timedelta(days=20),
            updated_at=OPEN - timedelta(days=20),
            review="valid",
        )
        db.add(nomination)
        await db.flush()
        db.add(
            Candidate(
                contest_id=contest.id,
                nomination_id=nomination.id,
                member_id=person.id,
                ballot_position=position,
                name=name,
                organisation=person.organisation,
                published_at=OPEN - timedelta(days=7),
            )
        )
    await db.commit()


async def election(
    db: AsyncSession,
    methods: list[tuple[str, int]] | None = None,
    names: list[str] | None = None,
    vote_rule: str = "",
    **settings: Any,
) -> Arranged:
    """An election open for voting at DURING: one contest per (method, seats), each with
    ``names`` as its published candidates (none for yes-no), and a voter with an account."""
    at(DURING)
    body = Body(name=f"Body {next(_numbers)}", seats=36, term_months=24, created_at=OPEN)
    db.add(body)
    await db.flush()
    row = Election(
        body_id=body.id,
        title="Policy Advisory Group 2027",
        nominations_open_at=OPEN - timedelta(days=28),
        nominations_close_at=OPEN - timedelta(days=14),
        voting_open_at=OPEN,
        voting_close_at=CLOSE,
        announced_at=OPEN - timedelta(days=30),
        candidates_published_at=OPEN - timedelta(days=7),
        returning_officer_id=await _officer(db),
        created_at=OPEN - timedelta(days=30),
        **settings,
    )
    for position, (method, seats) in enumerate(methods or [("stv-scottish", 2)]):
        row.contests.append(
            Contest(
                position=position,
                name=f"Contest {position + 1} ({method})",
                seats=seats,
                method=method,
                vote_rule=vote_rule,
                constraints=[],
            )
        )
    db.add(row)
    await db.commit()
    for contest in row.contests:
        if contest.method != "yes-no":
            await _candidates(db, contest, names or NAMES)
    voter = await make_member(db, f"V{next(_numbers):07d}", "Vera Voter", region="London")
    await link_account(db, voter)
    return Arranged(row, list(row.contests), voter)


async def signed_in(client: AsyncTestClient[Any], voter: Member) -> None:
    client.cookies.clear()
    response = await sign_in(client, voter.email)
    assert response.status_code == 303, response.text


async def review(client: AsyncTestClient[Any], contest_id: int, fields: dict[str, Any]) -> Response:
    """Mark the paper and continue to the review, as a browser does."""
    page = await client.get(f"/vote/contests/{contest_id}")
    assert page.status_code == 200, page.text
    return await client.post(
        f"/vote/contests/{contest_id}",
        data={**fields, "_csrf_token": csrf_from(page)},
        follow_redirects=False,
    )


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page: Response) -> dict[str, list[str]]:
    """The review's hidden fields (the marks and the CSRF token), as a browser would post them."""
    fields: dict[str, list[str]] = {}
    for name, value in _HIDDEN.findall(page.text):
        fields.setdefault(name, []).append(value)
    return fields


async def cast(client: AsyncTestClient[Any], contest_id: int, fields: dict[str, Any]) -> Response:
    """Mark, review, then press "Cast my vote" with the review's hidden fields."""
    checked = await review(client, contest_id, fields)
    assert checked.status_code == 200, checked.text
    return await client.post(
        f"/vote/contests/{contest_id}/cast",
        data=hidden_fields(checked),
        follow_redirects=False,
    )


async def stored(db: AsyncSession, contest_id: int) -> tuple[int, list[str]]:
    """(participations, ballot contents) of a contest, as the database holds them now."""
    voted = await db.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.contest_id == contest_id)
    )
    contents = list(await db.scalars(select(Ballot.content).where(Ballot.contest_id == contest_id)))
    return int(voted or 0), contents
