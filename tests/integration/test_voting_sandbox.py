"""The voting sandbox: an election open for voting with N electors, built only in an empty
database."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.cli import main
from governance.db import create_engine
from governance.demo.voting import BLOCK_CANDIDATES, STV_CANDIDATES, STV_SEATS, build
from governance.elections import lifecycle
from governance.elections.models import Contest, Election
from governance.errors import Conflict
from governance.members.models import Member
from governance.nominations.models import Candidate
from governance.voting import codes
from governance.voting.models import Credential


async def test_the_sandbox_is_an_election_open_for_voting_with_two_contests(
    db: AsyncSession,
) -> None:
    now = clock.now()
    sandbox = await build(db, 300, now)
    election = await db.get(Election, sandbox.election_id)
    assert election is not None
    assert lifecycle.phase(election, now) is lifecycle.Phase.VOTING_OPEN
    contests = (await db.scalars(select(Contest).order_by(Contest.position))).all()
    assert [(c.method, c.seats) for c in contests] == [("stv-scottish", STV_SEATS), ("block", 4)]
    standing = [
        await db.scalar(select(func.count()).where(Candidate.contest_id == c.id)) for c in contests
    ]
    assert standing == [STV_CANDIDATES, BLOCK_CANDIDATES]
    positions = (
        await db.scalars(
            select(Candidate.ballot_position).where(Candidate.contest_id == contests[0].id)
        )
    ).all()
    assert sorted(positions) == list(range(1, STV_CANDIDATES + 1))
    assert await db.scalar(select(func.count()).select_from(Member)) == 300


async def test_the_sandbox_refuses_a_database_that_holds_an_election(db: AsyncSession) -> None:
    await build(db, 200, clock.now())
    with pytest.raises(Conflict, match="already holds elections"):
        await build(db, 200, clock.now())


def test_the_sandbox_command_opens_the_poll_and_writes_working_codes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``governance demo voting``: one line per elector, each code the one the database holds a
    keyed hash of, each link carrying that code; run again, it refuses."""
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVERNANCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_SECRET_KEY", "sandbox-test-key-" + "x" * 32)
    listing = tmp_path / "codes.csv"
    done = CliRunner().invoke(
        main, ["demo", "voting", "--electors", "150", "--codes", str(listing)]
    )
    assert done.exit_code == 0, done.output
    with listing.open(encoding="utf-8") as rows:
        listed = list(csv.DictReader(rows))
    assert len(listed) == 150
    hashes = {codes.code_hash("sandbox-test-key-" + "x" * 32, row["code"]) for row in listed}
    assert hashes == asyncio.run(_stored_hashes(database_url))
    assert all(row["url"].endswith(row["code"].replace("-", "")) for row in listed)
    again = CliRunner().invoke(main, ["demo", "voting", "--electors", "5", "--codes", str(listing)])
    assert again.exit_code == 1 and "already holds elections" in again.output


async def _stored_hashes(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        found = set((await connection.execute(select(Credential.code_hash))).scalars())
    await engine.dispose()
    return found
