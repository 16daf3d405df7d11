"""Freezing an electorate: seconds to freeze one contest's roll of N members (every member
active and eligible) on a fresh SQLite and a fresh PostgreSQL database, including the roll's
digest and its audit event. Beside it, the seconds to read the register's membership numbers
once (the least any freeze must do). The issue's budget: 1,000,000 members under 60 s.

    .venv/bin/python -m bench.voting.freeze [--quick] [--members N]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance.accounts.models import User
from governance.bodies.models import Body
from governance.db import create_engine
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.migrate import upgrade
from governance.voting.electorate import freeze_electorate

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
OPEN = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# One INSERT … SELECT per database: the register is made in the database, not sent row by row.
_SERIES = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :size) "
    "SELECT i FROM n",
    "postgresql": "SELECT generate_series(1, :size) AS i",
}
_REGISTER = """
INSERT INTO members (membership_number, name, email, organisation, region, category, status,
                     attributes, created_at, updated_at)
SELECT 'PAG' || substr('000000000' || i, -9, 9), 'Member ' || i, 'member' || i || '@example.org',
       'Trust ' || (i % 997), 'London', 'Trust leader', 'active', '{{}}', :at, :at
FROM ({series}) AS numbers
"""


async def _register(session: AsyncSession, size: int) -> None:
    dialect = session.get_bind().dialect.name
    statement = _REGISTER.format(series=_SERIES[dialect])
    if dialect == "postgresql":  # substr with a negative start is SQLite's; use lpad here
        statement = statement.replace("substr('000000000' || i, -9, 9)", "lpad(i::text, 9, '0')")
    at = OPEN if dialect == "postgresql" else OPEN.isoformat(sep=" ")
    await session.execute(text(statement), {"size": size, "at": at})
    await session.commit()


async def _election(session: AsyncSession) -> Election:
    body = Body(name="Policy Advisory Group", seats=36, term_months=36, created_at=OPEN)
    officer = User(email="ro@example.org", name="Returning Officer", created_at=OPEN)
    session.add_all([body, officer])
    await session.flush()
    election = Election(
        body_id=body.id,
        title="Benchmark",
        nominations_open_at=OPEN - timedelta(days=28),
        nominations_close_at=OPEN - timedelta(days=14),
        voting_open_at=OPEN,
        voting_close_at=OPEN + timedelta(days=3),
        announced_at=OPEN - timedelta(days=30),
        candidates_published_at=OPEN - timedelta(days=7),
        returning_officer_id=officer.id,
        created_at=OPEN,
    )
    election.contests.append(
        Contest(name="National seats", seats=36, method="stv-scottish", vote_rule="")
    )
    session.add(election)
    await session.commit()
    return election


async def _measure(url: str, size: int) -> tuple[float, float, int]:
    """(seconds to read every membership number, seconds to freeze, electors on the roll)."""
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await _register(session, size)
            election = await _election(session)
            started = time.perf_counter()
            numbers = await session.stream_scalars(select(Member.membership_number))
            async for _chunk in numbers.partitions(10_000):
                pass
            read = time.perf_counter() - started
            started = time.perf_counter()
            (roll,) = await freeze_electorate(session, election, OPEN + timedelta(minutes=1))
            return read, time.perf_counter() - started, roll.electors
    finally:
        await engine.dispose()


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _one(label: str, url: str, size: int) -> str:
    upgrade(url)
    read, froze, electors = asyncio.run(_measure(url, size))
    return f"{size:>10,} {label:10} {read:>13.1f} {froze:>10.1f} {electors:>10,}"


def run(size: int) -> str:
    rows = [
        f"{'members':>10} {'database':10} {'read numbers':>13} {'freeze s':>10} {'electors':>10}"
    ]
    with tempfile.TemporaryDirectory() as folder:
        rows.append(_one("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'freeze.sqlite3'}", size))
    name = f"governance_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        rows.append(_one("PostgreSQL", f"{PG_SERVER}/{name}", size))
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.voting.freeze")
    parser.add_argument("--quick", action="store_true", help="100,000 members")
    parser.add_argument("--members", type=int, default=None)
    arguments = parser.parse_args()
    size = arguments.members or (100_000 if arguments.quick else 1_000_000)
    print(run(size))


if __name__ == "__main__":
    main()
