"""The voting sandbox: an election open for voting with N electors, built only in an empty
database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.demo.voting import BLOCK_CANDIDATES, STV_CANDIDATES, STV_SEATS, build
from governance.elections import lifecycle
from governance.elections.models import Contest, Election
from governance.errors import Conflict
from governance.members.models import Member
from governance.nominations.models import Candidate


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
