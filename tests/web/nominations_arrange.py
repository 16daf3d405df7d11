"""Arrangements shared by the nomination tests: an announced election around a
fixed clock, members with accounts, staff, and the requests a browser would send."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import csrf_from, make_user, post_form, sign_in

from governance import clock
from governance.accounts.models import User
from governance.audit import chain as chain_rules
from governance.audit import service as audit
from governance.audit.models import election_chain
from governance.bodies.models import Body
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.nominations.models import Nomination, Support
from governance.security.roles import Role

# Nominations open a day before NOW and close two hours after it: well within a sign-in session,
# so a test signs in once and moves the clock past the close.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
CLOSE = NOW + timedelta(hours=2)
CLOSED = NOW + timedelta(hours=3)
STATEMENT = "I will **listen** to members and report back every month."
OFFICER = "ro@example.org"  # the returning officer who runs the arranged elections
OFFICER_NAME = "Rowan Officer"
_bodies = itertools.count(1)


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


async def officer_id(db: AsyncSession, email: str = OFFICER) -> int:
    """The account with this email; a new returning officer's when there is none yet."""
    found = await db.scalar(select(User.id).where(User.email == email))
    if found is None:
        await make_user(db, email, {Role.RETURNING_OFFICER}, name=OFFICER_NAME)
        found = await db.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


async def election(
    db: AsyncSession,
    contests: list[dict[str, Any]] | None = None,
    announced: bool = True,
    officer: str = OFFICER,
    **settings: Any,
) -> Election:
    """An election for a fresh body whose nominations are open at NOW, run by ``officer``."""
    at(NOW)
    body = Body(name=f"Body {next(_bodies)}", seats=36, term_months=24, created_at=NOW)
    db.add(body)
    await db.flush()
    values: dict[str, Any] = {
        "statement_word_limit": 50,
        "proposers_required": 1,
        "seconders_required": 1,
        "supporters_other_organisation": False,
        "supporters_distinct_organisations": False,
        "max_supports_per_member": 2,
        "ballot_order": "alphabetical",
        **settings,
    }
    row = Election(
        body_id=body.id,
        title="Policy Advisory Group 2027",
        description="",
        nominations_open_at=NOW - timedelta(days=1),
        nominations_close_at=CLOSE,
        voting_open_at=NOW + timedelta(days=14),
        voting_close_at=NOW + timedelta(days=21),
        announced_at=NOW - timedelta(days=2) if announced else None,
        returning_officer_id=await officer_id(db, officer),
        created_at=NOW,
        **values,
    )
    for position, spec in enumerate(contests or [{"name": "National seats", "seats": 2}]):
        spec = {"stand_rule": "", "vote_rule": "", "method": "stv-scottish", **spec}
        row.contests.append(Contest(position=position, constraints=[], **spec))
    db.add(row)
    await db.commit()
    return row


async def member(
    db: AsyncSession, number: str, name: str, organisation: str = "", **fields: Any
) -> Member:
    values = {"region": "London", "category": "", "status": "active", **fields}
    row = Member(
        membership_number=number,
        name=name,
        email=f"{number.lower()}@example.org",
        organisation=organisation,
        attributes={},
        created_at=NOW,
        updated_at=NOW,
        **values,
    )
    db.add(row)
    await db.commit()
    return row


async def with_account(db: AsyncSession, person: Member, *roles: Role) -> str:
    """A member account for ``person`` (plus any staff roles); returns the email to sign in."""
    await make_user(db, person.email, {Role.MEMBER, *roles}, name=person.name)
    user = await db.scalar(select(User).where(User.email == person.email))
    assert user is not None
    user.member_id = person.id
    await db.commit()
    return person.email


async def staff(db: AsyncSession, email: str, role: Role) -> str:
    await make_user(db, email, {role})
    return email


async def as_user(client: AsyncTestClient[Any], email: str) -> None:
    client.cookies.clear()
    response = await sign_in(client, email)
    assert response.status_code == 303, response.text


async def token(client: AsyncTestClient[Any]) -> str:
    return csrf_from(await client.get("/my/nominations"))


async def nominate(
    client: AsyncTestClient[Any],
    contest_id: int,
    statement: str = STATEMENT,
    declaration: bool = True,
    photo: bytes | None = None,
) -> Response:
    """Submit the nomination form as a browser does: multipart, with the page's CSRF token."""
    page = await client.get(f"/my/nominations/new/{contest_id}")
    fields = {"statement": statement, "_csrf_token": csrf_from(page)}
    if declaration:
        fields["declaration"] = "on"
    files = {"photo": ("me.png", photo or b"", "image/png")}
    return await client.post(
        f"/my/nominations/new/{contest_id}", data=fields, files=files, follow_redirects=False
    )


async def ask(
    client: AsyncTestClient[Any], nomination_id: int, member_id: int, role: str
) -> Response:
    page = f"/my/nominations/{nomination_id}"
    fields = {"member_id": str(member_id), "role": role}
    return await post_form(client, page, f"{page}/supporters", fields)


async def answer(client: AsyncTestClient[Any], support_id: int, what: str) -> Response:
    return await post_form(
        client, "/my/nominations", f"/my/nominations/supports/{support_id}/{what}", {}
    )


def png(size: tuple[int, int] = (600, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def chain_of(db: AsyncSession, election_id: int) -> list[dict[str, Any]]:
    return [audit.as_exported(e) async for e in audit.events(db, election_chain(election_id))]


async def verified_actions(db: AsyncSession, election_id: int) -> list[str]:
    """The election chain's actions, after checking the whole chain verifies."""
    exported = await chain_of(db, election_id)
    assert chain_rules.verify(exported).ok
    return [str(e["action"]) for e in exported]


async def nominated(
    db: AsyncSession,
    contest: Contest,
    person: Member,
    supporters: list[Member],
    statement: str = STATEMENT,
) -> Nomination:
    """A nomination stored directly, its supporters (proposer first, then seconders) confirmed
    during the window: the shortcut for tests about what happens after the close."""
    row = Nomination(
        contest_id=contest.id,
        member_id=person.id,
        statement=statement,
        declaration_at=NOW,
        submitted_at=NOW,
        updated_at=NOW,
    )
    for position, supporter in enumerate(supporters):
        row.supports.append(
            Support(
                member_id=supporter.id,
                state="confirmed",
                role="proposer" if position == 0 else "seconder",
                requested_at=NOW,
                responded_at=NOW,
            )
        )
    db.add(row)
    await db.commit()
    return row
