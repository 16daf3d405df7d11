"""Server-side render time of the returning officer's review page and the public candidate list
for a contest of 150 nominations, each with a proposer and a seconder, next to the bare home page
as the baseline, through Litestar's in-process test client (no network, no server): p50 and p99
milliseconds over many requests, and the SQL statements one request runs.

The issue's budget: under 100 ms each. The p99 of the two heavy pages is set by CPython's full
garbage collections, which walk every object the process holds (about 200,000 after start-up)
and fall every few requests of a page that builds a few thousand ORM objects; the p50 is the
page's own cost. Each page is therefore measured twice: as the app runs today, and after
``gc.freeze()`` (start-up objects moved out of the collector's reach, as a worker would do once it
has started), so the two causes can be told apart.

    .venv/bin/python -m bench nominations [--quick]
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
NOMINATIONS = 150
PASSWORD = "benchmark password 1"
WORDS = (
    "members",
    "trust",
    "schools",
    "policy",
    "listen",
    "report",
    "fair",
    "funding",
    "**clear**",
    "voice",
    "region",
    "*every*",
    "pupil",
    "leaders",
    "together",
    "budget",
)
NOW = datetime.now(UTC)


def _statement(number: int) -> str:
    words = [WORDS[(number * 7 + i) % len(WORDS)] for i in range(140)]
    paragraph, first, second = (" ".join(part) for part in (words[:70], words[70:100], words[100:]))
    return f"## Why me\n\n{paragraph}\n\n- {first}\n- {second}"


async def _populate(url: str) -> tuple[int, int]:
    """A closed, published election with one contest of NOMINATIONS nominations; (election,
    contest) ids."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from governance.accounts.service import NewAccount, create_user
    from governance.bodies.models import Body
    from governance.db import create_engine
    from governance.elections.models import Contest, Election
    from governance.members.models import Member
    from governance.nominations.models import Candidate, Nomination, Support
    from governance.security.roles import Role

    engine = create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        form = NewAccount("ro@example.org", "Bench Officer", PASSWORD)
        officer = await create_user(
            session, form, frozenset({Role.RETURNING_OFFICER}), actor="bench"
        )
        body = Body(name="Policy Advisory Group", seats=36, term_months=24, created_at=NOW)
        session.add(body)
        await session.flush()
        election = Election(
            body_id=body.id,
            title="Bench election",
            returning_officer_id=officer.id,
            nominations_open_at=NOW - timedelta(days=9),
            nominations_close_at=NOW - timedelta(days=2),
            voting_open_at=NOW + timedelta(days=5),
            voting_close_at=NOW + timedelta(days=9),
            announced_at=NOW - timedelta(days=10),
            candidates_published_at=NOW - timedelta(days=1),
            created_at=NOW,
        )
        contest = Contest(
            name="National seats",
            seats=36,
            method="stv-scottish",
            position=0,
            stand_rule="",
            vote_rule="",
            constraints=[],
        )
        election.contests.append(contest)
        session.add(election)
        people = [
            Member(
                membership_number=f"PAG{n:05d}",
                name=f"Member {n:05d} Surname{n % 97:02d}",
                email=f"m{n}@example.org",
                organisation=f"Trust {n % 211}",
                region="London",
                category="",
                status="active",
                attributes={},
                created_at=NOW,
                updated_at=NOW,
            )
            for n in range(NOMINATIONS * 3)
        ]
        session.add_all(people)
        await session.flush()
        for n in range(NOMINATIONS):
            nominee, proposer, seconder = people[3 * n : 3 * n + 3]
            nomination = Nomination(
                contest_id=contest.id,
                member_id=nominee.id,
                statement=_statement(n),
                declaration_at=NOW,
                submitted_at=NOW,
                updated_at=NOW,
                review="valid",
            )
            for helper, role in ((proposer, "proposer"), (seconder, "seconder")):
                nomination.supports.append(
                    Support(
                        member_id=helper.id,
                        role=role,
                        state="confirmed",
                        requested_at=NOW,
                        responded_at=NOW - timedelta(days=3),
                    )
                )
            session.add(nomination)
            await session.flush()
            session.add(
                Candidate(
                    contest_id=contest.id,
                    nomination_id=nomination.id,
                    member_id=nominee.id,
                    ballot_position=n + 1,
                    name=nominee.name,
                    organisation=nominee.organisation,
                    published_at=NOW,
                )
            )
        await session.commit()
        ids = (election.id, contest.id)
    await engine.dispose()
    return ids


async def _timed(client: Any, path: str, requests: int, counter: list[int]) -> tuple[float, ...]:
    for _warm_up in range(5):
        assert (await client.get(path)).status_code == 200, path
    samples = []
    counter[0] = 0
    for _request in range(requests):
        started = time.perf_counter()
        response = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples), p99, counter[0] / requests


async def _measure(label: str, url: str, requests: int) -> list[str]:
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event

    from governance.app import create_app
    from governance.config import Settings

    election_id, contest_id = await _populate(url)
    app = create_app(Settings(database_url=url, secret_key="benchmark-secret-key-" + "x" * 32))
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(
        app.state["alchemy_config"].get_engine().sync_engine, "before_cursor_execute", count
    )
    pages = [
        ("home page (baseline)", "/"),
        ("RO review page", f"/ro/elections/{election_id}/nominations"),
        ("public candidate list", f"/elections/{election_id}/contests/{contest_id}/candidates"),
    ]
    rows = []
    async with AsyncTestClient(app=app, base_url="http://bench.local") as client:
        login = await client.get("/login")
        token = login.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        await client.post(
            "/login", data={"email": "ro@example.org", "password": PASSWORD, "_csrf_token": token}
        )
        for frozen in (False, True):
            if frozen:
                # What a worker that calls gc.freeze() after start-up sees: full collections no
                # longer walk the app's ~200,000 start-up objects (see the module docstring).
                gc.collect()
                gc.freeze()
            for name, path in pages:
                p50, p99, queries = await _timed(client, path, requests, counter)
                name = f"{name}{', gc frozen' if frozen else ''}"
                rows.append(
                    f"{label:10} {name:34} {requests:>8} {p50:>8.1f} {p99:>8.1f} {queries:>8.1f}"
                )
        gc.unfreeze()
    return rows


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _on_postgresql(requests: int) -> list[str]:
    from governance.migrate import upgrade

    name = f"governance_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    except OSError:
        return [f"{'PostgreSQL':10} not reachable on 127.0.0.1:5432: skipped"]
    try:
        upgrade(f"{PG_SERVER}/{name}")
        return asyncio.run(_measure("PostgreSQL", f"{PG_SERVER}/{name}", requests))
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(quick: bool = False) -> str:
    from governance.migrate import upgrade

    requests = 30 if quick else 300
    rows = [
        f"{NOMINATIONS} nominations, 2 supporters each; in-process test client, milliseconds",
        f"{'database':10} {'page':34} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8}",
    ]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade(url)
        rows += asyncio.run(_measure("SQLite", url, requests))
    rows += _on_postgresql(requests)
    # The p99 column moves with whatever else the machine is doing; say how busy it was.
    rows.append("load average (1, 5, 15 min) at the end: " + ", ".join(
        f"{load:.2f}" for load in os.getloadavg()))  # fmt: skip
    return "\n".join(rows)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
