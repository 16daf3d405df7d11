"""Turnout during the poll: milliseconds to compute one contest's turnout (electorate, ballots
cast, and the hour-by-hour counts with the chart's geometry) when N electors have voted, spread
over the 72 hours of the poll, on a fresh SQLite and a fresh PostgreSQL database. The counts are
grouped in the database, so the time follows the index scan, not rows sent to Python.

    .venv/bin/python -m bench.voting.turnout [--participations N]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.voting.freeze import OPEN, PG_SERVER, _election, _pg, _register
from governance.db import create_engine
from governance.migrate import upgrade
from governance.voting.chart import chart
from governance.voting.electorate import freeze_electorate
from governance.voting.turnout import turnout

_MARK = {
    "sqlite": "INSERT INTO participations (contest_id, member_id, voted_at) "
    "SELECT contest_id, member_id, strftime('%Y-%m-%d %H:%M:%f', :open, "
    "'+' || (member_id % 4320) || ' minutes') FROM electorate",
    "postgresql": "INSERT INTO participations (contest_id, member_id, voted_at) "
    "SELECT contest_id, member_id, CAST(:open AS timestamptz) "
    "+ (member_id % 4320) * interval '1 minute' FROM electorate",
}
RUNS = 20


async def _measure(url: str, size: int) -> tuple[float, int]:
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await _register(session, size)
            election = await _election(session)
            await freeze_electorate(session, election, OPEN + timedelta(minutes=1))
            dialect = session.get_bind().dialect.name
            at = OPEN if dialect == "postgresql" else OPEN.isoformat(sep=" ")
            await session.execute(text(_MARK[dialect]), {"open": at})
            await session.commit()
            now = OPEN + timedelta(days=3) - timedelta(minutes=1)
            timings = []
            for _run in range(RUNS):
                started = time.perf_counter()
                figures = await turnout(session, election, now)
                chart(figures.contests[0], "Europe/London")
                timings.append(time.perf_counter() - started)
            return sorted(timings)[RUNS // 2] * 1000, figures.contests[0].cast
    finally:
        await engine.dispose()


def _one(label: str, url: str, size: int) -> str:
    upgrade(url)
    median, cast = asyncio.run(_measure(url, size))
    return f"{cast:>14,} {label:10} {median:>12.1f}"


def run(size: int) -> str:
    rows = [f"{'participations':>14} {'database':10} {'median ms':>12}"]
    with tempfile.TemporaryDirectory() as folder:
        rows.append(_one("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 't.sqlite3'}", size))
    name = f"governance_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        rows.append(_one("PostgreSQL", f"{PG_SERVER}/{name}", size))
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.voting.turnout")
    parser.add_argument("--participations", type=int, default=100_000)
    print(run(parser.parse_args().participations))


if __name__ == "__main__":
    main()
