"""Nominations against a real database, SQLite and PostgreSQL: the unique key decides a concurrent
double submit, the support limit holds when one member confirms two supports at the same moment,
and the review board's query count does not grow with the number of nominations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from web.nominations_arrange import NOW, STATEMENT, election, member, nominated

from governance.config import Settings
from governance.db import create_engine
from governance.errors import Conflict, DomainError, Forbidden
from governance.members.models import Member
from governance.nominations import review, service, supporters
from governance.nominations.models import Nomination, Support
from governance.security.roles import Account, Role


def _account(person: Member) -> Account:
    return Account(0, person.email, person.name, frozenset({Role.MEMBER}), person.id)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on their own connections, as two web workers would have."""
    engine = create_engine(settings.database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def _race(
    sessions: async_sessionmaker[AsyncSession], *steps: Callable[[AsyncSession], Awaitable[Any]]
) -> list[Any]:
    async def one(step: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with sessions() as session:
            return await step(session)

    return await asyncio.gather(*(one(step) for step in steps), return_exceptions=True)


async def test_a_concurrent_double_submit_stores_one_nomination(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    held = await election(db)
    person = await member(db, "N-1", "Grace Hopper")
    form = service.Submission(statement=STATEMENT, declaration=True)

    async def submit(session: AsyncSession) -> Nomination:
        return await service.nominate(session, _account(person), held.contests[0].id, form)

    outcomes = await _race(sessions, submit, submit)
    stored = [o for o in outcomes if isinstance(o, Nomination)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert "already nominated yourself" in refused[0].message
    assert await db.scalar(select(func.count()).select_from(Nomination)) == 1


async def test_the_support_limit_holds_when_one_member_confirms_twice_at_once(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    held = await election(db, max_supports_per_member=1)
    keen = await member(db, "S-1", "Katherine Johnson")
    for number in (1, 2):
        nominee = await member(db, f"N-{number}", f"Nominee {number}", f"Trust {number}")
        nomination = await nominated(db, held.contests[0], nominee, [])
        db.add(
            Support(
                nomination_id=nomination.id,
                member_id=keen.id,
                role="proposer",
                state="requested",
                requested_at=NOW,
            )
        )
    await db.commit()
    ids = list(await db.scalars(select(Support.id).order_by(Support.id)))

    def confirming(support_id: int) -> Callable[[AsyncSession], Awaitable[None]]:
        async def step(session: AsyncSession) -> None:
            await supporters.confirm(session, _account(keen), support_id)

        return step

    outcomes = await _race(sessions, *(confirming(i) for i in ids))
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and isinstance(refused[0], Forbidden), outcomes
    assert "support limit" in refused[0].message
    states = sorted(
        await db.scalars(select(Support.state).execution_options(populate_existing=True))
    )
    assert states == ["confirmed", "requested"]


async def _statements_for_board(db: AsyncSession, held: Any, viewer: Account) -> int:
    executed: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    engine = db.bind.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        db.expunge_all()  # nothing cached: every row comes from the database
        board = await review.board(db, viewer, held.id)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sum(len(c.entries) for c in board.contests) > 0
    return len(executed)


async def test_the_review_board_runs_as_many_queries_for_thirty_nominations_as_for_three(
    db: AsyncSession,
) -> None:
    """No query per nomination or per supporter (the 150-nomination budget depends on it)."""
    held = await election(db)
    viewer = Account(0, "ro@example.org", "RO", frozenset({Role.RETURNING_OFFICER}), None)
    counts = []
    for numbers in (range(3), range(3, 30)):  # three nominations, then thirty
        for number in numbers:
            people = [await member(db, f"{kind}-{number}", f"{kind} {number}") for kind in "NPS"]
            await nominated(db, held.contests[0], people[0], people[1:])
        counts.append(await _statements_for_board(db, held, viewer))
    assert counts[0] == counts[1] <= 5, counts  # election, contests, nominations, supports, people
