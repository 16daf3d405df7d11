"""DESIGN invariant 3, no early results (issue 11, item 7): with ballots in the box and voting
still open, every route of the app, asked by every kind of person, answers without a tally,
without any ballot's content or key, and without a tracking code; and the logs carry none of it.

The routes come from the app itself (``app.routes``), so a route added later is swept too: the
last test adds a route that shows the ballot box and checks that the sweep catches it.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import structlog
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from nominations_arrange import OFFICER, as_user, at, election, member, staff, with_account
from poll_arrange import VOTING, candidates, freeze, poll, vote
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import csrf_from

from governance.db import DBSession, create_engine
from governance.elections.models import Election
from governance.nominations.models import Candidate, Nomination, Support
from governance.security.roles import Role
from governance.voting.casting import tracking_code
from governance.voting.models import Ballot
from governance.voting.voters import VOTING_COOKIE, Voter, issue_pass

QUIET = "sweep"  # the logging name of the engine the sweep reads the box with
OTHER_OFFICER = "other-ro@example.org"
SCRUTINEER = "scrutineer@example.org"
ADMIN = "admin@example.org"
# First preferences arranged per candidate: counts no page shows beside these names for any
# other reason (ballot positions are 1 to 3; dates and times have two or more digits).
FIRST_PREFERENCES = {
    "Zebedee Quartermaine": 7,
    "Ottoline Vexhall": 4,
    "Peregrine Ashcombe": 0,
    "Hepzibah Thornquist": 5,
    "Lysander Moult": 2,
}
RESULTS_WORDING = re.compile(
    r"\b(quota|tally|tallies|count sheet|first preferences|non-transferable|surplus|"
    r"exhausted|votes for|(?:declared|is|are|were) elected(?! unopposed)|results? of the count)\b",
    re.IGNORECASE,
)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Poll:
    """What the sweep looks for, and the ids it fills paths with."""

    held: Election
    other: Election
    ids: dict[str, list[int]]
    contents: set[str]
    keys: set[str]
    codes: set[str]
    roles: dict[str, str | None]  # role -> email to sign in with (None: anonymous)
    voting_pass: str  # an elector who came in with a voting code, as the cookie carries it
    allowed_codes: dict[str, set[str]] = field(default_factory=dict)


async def _arrange(db: AsyncSession, secret_key: str) -> Poll:
    held = await poll(db)
    await staff(db, OTHER_OFFICER, Role.RETURNING_OFFICER)
    other = await election(db, officer=OTHER_OFFICER)
    at(VOTING)  # making the other election set the clock back
    await staff(db, SCRUTINEER, Role.SCRUTINEER)
    await staff(db, ADMIN, Role.ADMIN)
    names = list(FIRST_PREFERENCES)
    people = {name: await member(db, f"C-{n}", name) for n, name in enumerate(names)}
    first = await candidates(db, held, 0, [people[n] for n in names[:3]])
    second = await candidates(db, held, 1, [people[n] for n in names[3:]])
    elector = await member(db, "E-1", "Elsie Elector")
    voter = await member(db, "E-2", "Victor Voter")
    coded = await member(db, "E-3", "Cody Coded")
    roles: dict[str, str | None] = {
        "anonymous": None,
        "member elector": await with_account(db, elector),
        "member who voted": await with_account(db, voter),
        "candidate": await with_account(db, people[names[0]]),
        "scrutineer": SCRUTINEER,
        "returning officer of this election": OFFICER,
        "returning officer of another election": OTHER_OFFICER,
        "admin": ADMIN,
    }
    crowd = [await member(db, f"X-{n:02d}", f"Crowd {n}") for n in range(17)]
    await freeze(db, held)
    await _cast(db, held, first, second, voter, crowd)
    ballots = list(await db.scalars(select(Ballot)))
    supports = list(await db.scalars(select(Support.id)))
    nominations = list(await db.scalars(select(Nomination.id)))
    return Poll(
        held=held,
        other=other,
        ids={
            "election_id": [held.id, other.id],
            "contest_id": [c.id for c in held.contests],
            "nomination_id": nominations[:1],
            "candidate_id": [first[0].id],
            "member_id": [voter.id, elector.id],
            "support_id": supports[:1],
            "body_id": [held.body_id],
        },
        contents={b.content for b in ballots},
        keys={b.key for b in ballots},
        codes={tracking_code(b.key, b.content) for b in ballots},
        roles=roles,
        voting_pass=issue_pass(secret_key, Voter(coded.id, held.id, 1), VOTING),
    )


async def _cast(
    db: AsyncSession,
    held: Election,
    first: list[Candidate],
    second: list[Candidate],
    voter: Any,
    crowd: list[Any],
) -> None:
    """Ballots whose first preferences are FIRST_PREFERENCES, the voter's among them."""
    for contest, listed in ((held.contests[0], first), (held.contests[1], second)):
        people = iter([voter, *crowd])
        for index, candidate in enumerate(listed):
            others = [c.id for c in listed if c is not candidate]
            for n in range(FIRST_PREFERENCES[candidate.name]):
                marks = {"ranking": [candidate.id, *others[: (n + index) % 2 + 1]]}
                when = VOTING + timedelta(minutes=3 * n + index)
                await vote(db, contest.id, next(people), marks, when)


_PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
_TEXT_DEFAULTS = {"file_path": "css/site.css", "digest": "0" * 64, "answer": "confirm"}


def _addresses(path: str, ids: dict[str, list[int]]) -> Iterator[str]:
    """Every filling of the path's parameters with the arranged ids (or a sensible value)."""
    names = _PARAMETER.findall(path)
    choices = []
    for name, kind in names:
        if kind == "int":
            choices.append([str(v) for v in ids.get(name, [1])])
        else:
            choices.append([_TEXT_DEFAULTS.get(name, "x")])
    for values in itertools.product(*choices):
        filled = path
        for (name, kind), value in zip(names, values, strict=True):
            filled = filled.replace("{" + f"{name}:{kind}" + "}", value)
        yield filled


def _requests(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) for every route of the app; signing out comes last for each person."""
    pairs = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }
    return sorted(pairs, key=lambda pair: (pair[1] == "/logout", pair[1], pair[0]))


def _leaks(text: str, arranged: Poll, allowed: set[str], *, pages: bool = True) -> list[str]:
    """What in ``text`` would reveal a result, a ballot or a tracking code. In the logs, where
    database rows put ids beside names, a number near a candidate's name proves nothing."""
    plain = html.unescape(text)
    found = [f"ballot content {c}" for c in arranged.contents if c in plain]
    found += [f"ballot key {k}" for k in arranged.keys if k in plain]
    found += [f"tracking code {c[:12]}…" for c in arranged.codes - allowed if c in plain]
    words = " ".join(re.sub(r"<[^>]+>", " ", plain).split())
    for name, votes in FIRST_PREFERENCES.items() if pages else ():
        if votes and re.search(rf"{name}\W{{0,80}}\b{votes}\b|\b{votes}\b\W{{0,80}}{name}", words):
            found.append(f"{votes} beside {name}")
    if match := RESULTS_WORDING.search(words):
        found.append(f"results wording {match.group(0)!r}")
    return found


async def _token(client: AsyncTestClient[Any]) -> str:
    for page in ("/", "/login"):
        response = await client.get(page)
        if 'name="_csrf_token"' in response.text:
            return csrf_from(response)
    raise AssertionError("no page offered a CSRF token")


@asynccontextmanager
async def _quiet_box(url: str) -> AsyncIterator[AsyncSession]:
    """A session for the sweep's own look at the ballot box, on an engine whose statements stay
    out of the logs under test (its logger is set above DEBUG and INFO)."""
    logging.getLogger(f"sqlalchemy.engine.Engine.{QUIET}").setLevel(logging.WARNING)
    engine = create_engine(url, logging_name=QUIET)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
    finally:
        await engine.dispose()


async def _sweep_as(
    app: Litestar, client: AsyncTestClient[Any], db: AsyncSession, arranged: Poll, role: str
) -> tuple[list[str], int]:
    email = arranged.roles.get(role)
    client.cookies.clear()
    if email is not None:
        await as_user(client, email)
    if role == "elector with a voting code":
        client.cookies.set(VOTING_COOKIE, arranged.voting_pass)
    allowed = arranged.allowed_codes.setdefault(role, set())
    findings, asked = [], 0
    for method, route in _requests(app):
        for address in _addresses(route, arranged.ids):
            before = set(await db.scalars(select(Ballot.key)))
            if method in UNSAFE:
                data = {"_csrf_token": await _token(client)}
                response = await client.request(method, address, data=data)
            else:
                response = await client.request(method, address)
            asked += 1
            # A ballot cast by this very request: its receipt may show its own tracking code.
            # The whole box is read, never a statement with keys in it: aiosqlite's own DEBUG log
            # writes every statement's parameters.
            for ballot in await db.scalars(select(Ballot)):
                if ballot.key in before:
                    continue
                code = tracking_code(ballot.key, ballot.content)
                allowed.add(code)
                arranged.codes.add(code)
            body = response.content.decode("utf-8", "replace") + str(response.headers)
            found = _leaks(body, arranged, allowed)
            findings += [f"{role}: {method} {address}: {leak}" for leak in found]
            if address == "/logout" and email is not None:
                await as_user(client, email)
    return findings, asked


ROLES = [
    "anonymous",
    "member elector",
    "elector with a voting code",
    "member who voted",
    "candidate",
    "scrutineer",
    "returning officer of another election",
    "admin",
    "returning officer of this election",  # last: the owner's unsafe requests change the most
]


async def _sweep(
    app: Litestar, client: AsyncTestClient[Any], db: AsyncSession, arranged: Poll
) -> tuple[list[str], int]:
    findings, asked = [], 0
    for role in ROLES:
        found, count = await _sweep_as(app, client, db, arranged, role)
        findings += found
        asked += count
    return findings, asked


def _logs_leak(texts: list[str], arranged: Poll) -> list[str]:
    """The logs may carry nothing the pages may not, and no tracking code at all."""
    return [f"log: {leak}" for text in texts for leak in _leaks(text, arranged, set(), pages=False)]


async def test_no_route_shows_any_result_ballot_or_tracking_code_while_voting_is_open(
    app: Litestar,
    client: AsyncTestClient[Any],
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arranged = await _arrange(db, app.state["settings"].secret_key)
    capsys.readouterr()  # what the arrangement printed is not the sweep's
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy's own loggers at DEBUG write every statement, its parameters and the rows it
    # read: a route that merely read the ballot box during the poll would show here.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    async with _quiet_box(app.state["settings"].database_url) as box:
        findings, asked = await _sweep(app, client, box, arranged)
    structlog.get_logger("governance.web.errors").error("sweep control", marker="control-7f3a")
    captured = capsys.readouterr()
    assert findings == []
    assert asked > 8 * 40, "every route was asked by every role"
    assert _logs_leak([caplog.text, captured.out, captured.err], arranged) == []
    # The controls: the logs were captured, from the app's own logger and from every layer of
    # the sweep (each request's statements, including the turnout page's read of the register).
    assert "control-7f3a" in captured.out + captured.err + caplog.text
    assert f"/ro/elections/{arranged.held.id}/turnout" in caplog.text
    assert any(
        "participations" in r.getMessage()
        for r in caplog.records
        if r.name.startswith("sqlalchemy")
    )
    # And the arranged poll is what the sweep looked for: turnout shows how many, never how.
    await as_user(client, OFFICER)
    turnout = await client.get(f"/ro/elections/{arranged.held.id}/turnout")
    assert "Ballots cast 11" in " ".join(re.sub(r"<[^>]+>", " ", turnout.text).split())


async def test_the_sweep_catches_a_route_that_shows_the_ballot_box(
    app: Litestar, client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """The sweep's own control: routes added after the app was made, each revealing one thing."""

    @get("/debug/ballots", name="debug_ballots")
    async def ballots(db_session: DBSession) -> str:
        rows = await db_session.scalars(select(Ballot))
        return "\n".join(f"{row.key} {row.content}" for row in rows)

    @get("/debug/receipts", name="debug_receipts")
    async def receipts(db_session: DBSession) -> str:
        rows = await db_session.scalars(select(Ballot))
        return " ".join(tracking_code(row.key, row.content) for row in rows)

    @get("/debug/standings", name="debug_standings")
    async def standings() -> str:
        return "<td>Zebedee Quartermaine</td><td>7</td>"

    for handler in (ballots, receipts, standings):
        app.register(handler)
    arranged = await _arrange(db, app.state["settings"].secret_key)
    async with _quiet_box(app.state["settings"].database_url) as box:
        findings, _asked = await _sweep_as(app, client, box, arranged, "anonymous")
    assert findings and all("/debug/" in finding for finding in findings), [
        f for f in findings if "/debug/" not in f
    ]
    assert any("/debug/ballots: ballot content" in finding for finding in findings)
    assert any("/debug/ballots: ballot key" in finding for finding in findings)
    assert any("/debug/receipts: tracking code" in finding for finding in findings)
    assert any("/debug/standings: 7 beside Zebedee Quartermaine" in finding for finding in findings)
