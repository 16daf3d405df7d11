"""Arrangements shared by the voting tests (no tests here): an election whose voting is open
around a fixed clock, a register written in bulk, and sessions on their own connections."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.accounts.models import User
from governance.bodies.models import Body
from governance.db import create_engine
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.voting.electorate import freeze_electorate

# Voting runs from 09:00 on 1 March to 17:00 on 3 March 2027 (GMT: British Summer Time starts on
# 28 March), so messages read "17:00 on 3 March 2027".
OPEN = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DURING = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)
CLOSE = datetime(2027, 3, 3, 17, 0, tzinfo=UTC)
MARKS = {"ranking": [3, 1, 2]}
_bodies = itertools.count(1)


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


@asynccontextmanager
async def own_connections(
    url: str, connections: int = 24
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on their own connections, as many web workers would have; the pool is bounded
    (PostgreSQL allows 100 connections in all) and callers queue for it instead of timing out."""
    engine = create_engine(url, pool_size=connections, max_overflow=0, pool_timeout=600)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def race(
    sessions: async_sessionmaker[AsyncSession],
    steps: list[Callable[[AsyncSession], Awaitable[Any]]],
) -> list[Any]:
    """Run every step at once, each in its own session; outcomes (results or errors) in order."""

    async def one(step: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with sessions() as session:
            return await step(session)

    return await asyncio.gather(*(one(step) for step in steps), return_exceptions=True)


async def _officer(db: AsyncSession) -> int:
    found = await db.scalar(select(User.id).where(User.email == "ro@example.org"))
    if found is None:
        user = User(email="ro@example.org", name="Rowan Officer", created_at=OPEN)
        db.add(user)
        await db.flush()
        found = user.id
    return found


async def election(db: AsyncSession, vote_rules: list[str] | None = None) -> Election:
    """An announced election with published candidates; voting is open from OPEN to CLOSE. One
    contest per vote rule (default: one contest open to every active member)."""
    at(DURING)
    body = Body(name=f"Body {next(_bodies)}", seats=36, term_months=24, created_at=OPEN)
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
    )
    for position, rule in enumerate(vote_rules or [""]):
        row.contests.append(
            Contest(
                position=position,
                name=f"Contest {position + 1}",
                seats=2,
                method="stv-scottish",
                vote_rule=rule,
                constraints=[],
            )
        )
    db.add(row)
    await db.commit()
    return row


async def register(
    db: AsyncSession, count: int, prefix: str = "PAG", start: int = 1, **fields: Any
) -> list[int]:
    """``count`` members in one INSERT (active, in London unless ``fields`` say otherwise);
    returns their ids in membership-number order."""
    values = {"organisation": "", "region": "London", "category": "", "status": "active", **fields}
    numbers = [f"{prefix}{n:07d}" for n in range(start, start + count)]
    await db.execute(
        insert(Member),
        [
            {
                "membership_number": number,
                "name": f"Member {number}",
                "email": f"{number.lower()}@example.org",
                "attributes": {},
                "created_at": OPEN,
                "updated_at": OPEN,
                **values,
            }
            for number in numbers
        ],
    )
    await db.commit()
    ids = await db.scalars(
        select(Member.id).where(Member.membership_number.in_(numbers)).order_by(Member.id)
    )
    return list(ids)


async def open_for_voting(db: AsyncSession, held: Election) -> None:
    """Freeze the rolls as the first request after the opening would."""
    await freeze_electorate(db, held, DURING)


async def count(db: AsyncSession, model: type[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)
