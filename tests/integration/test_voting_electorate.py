"""Freezing the electorate against a real database, SQLite and PostgreSQL: concurrent callers
freeze each contest once, the roll is exactly the members the voting rule admits, and the audit
chain holds a size and digest that anyone can recompute from the membership numbers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from integration.voting_arrange import DURING, OPEN, election, own_connections, race, register
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance.audit.models import AuditEvent, election_chain
from governance.config import Settings
from governance.elections.models import Election
from governance.errors import Conflict
from governance.members.models import Member
from governance.voting.electorate import freeze_electorate
from governance.voting.models import Elector, Roll


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with own_connections(settings.database_url, connections=8) as made:
        yield made


def digest_of(numbers: list[str]) -> str:
    """The roll digest as docs and auditors compute it, independently of the service."""
    return hashlib.sha256("".join(f"{n}\n" for n in sorted(numbers)).encode()).hexdigest()


async def _roll(db: AsyncSession, contest_id: int) -> list[str]:
    numbers = await db.scalars(
        select(Member.membership_number)
        .join(Elector, Elector.member_id == Member.id)
        .where(Elector.contest_id == contest_id)
    )
    return sorted(numbers)


async def _freeze_events(db: AsyncSession, election_id: int) -> list[AuditEvent]:
    events = await db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.chain == election_chain(election_id),
            AuditEvent.action == "electorate.frozen",
        )
        .order_by(AuditEvent.seq)
    )
    return list(events)


async def test_freezing_at_once_from_six_callers_freezes_each_contest_once(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    held = await election(db, ["", 'region = "North West"'])
    await register(db, 30)  # London
    await register(db, 12, prefix="NW", region="North West")
    await register(db, 5, prefix="LAP", status="lapsed", region="North West")

    async def freeze(session: AsyncSession) -> list[Roll]:
        mine = await session.get(Election, held.id)
        assert mine is not None
        return await freeze_electorate(session, mine, DURING)

    outcomes = await race(sessions, [freeze] * 6)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    frozen = sorted(roll.contest_id for rolls in outcomes for roll in rolls)
    assert frozen == sorted(c.id for c in held.contests), "each contest frozen by one caller"
    events = await _freeze_events(db, held.id)
    assert [e.payload["contest"] for e in events] == [c.id for c in held.contests]
    everyone, north_west = held.contests
    assert len(await _roll(db, everyone.id)) == 42  # every active member, none lapsed
    assert await _roll(db, north_west.id) == [f"NW{n:07d}" for n in range(1, 13)]


async def test_the_digest_in_the_audit_chain_is_the_sha256_of_the_sorted_membership_numbers(
    db: AsyncSession,
) -> None:
    held = await election(db, ['region in ("London", "Wales")'])
    await register(db, 7, prefix="ZZ", region="Wales")  # sorts after the others
    await register(db, 9, prefix="AB")
    await register(db, 4, prefix="Ö", region="Wales")  # non-ASCII: code-point order, not locale
    await register(db, 6, prefix="NW", region="North West")  # not eligible
    await freeze_electorate(db, held, DURING)
    expected = (
        [f"AB{n:07d}" for n in range(1, 10)]
        + [f"ZZ{n:07d}" for n in range(1, 8)]
        + [f"Ö{n:07d}" for n in range(1, 5)]
    )
    (event,) = await _freeze_events(db, held.id)
    assert event.payload["electors"] == 20
    assert event.payload["digest"] == digest_of(expected)
    assert event.payload["vote_rule"] == held.contests[0].vote_rule
    roll = await db.get(Roll, held.contests[0].id, populate_existing=True)
    assert roll is not None and (roll.electors, roll.digest) == (20, digest_of(expected))


async def test_members_the_vote_rule_does_not_admit_are_not_on_the_roll(db: AsyncSession) -> None:
    held = await election(db, ['category = "Trust leader"'])
    await register(db, 3, prefix="TL", category="Trust leader")
    await register(db, 3, prefix="HT", category="Headteacher")
    await register(db, 2, prefix="SU", category="Trust leader", status="suspended")
    await freeze_electorate(db, held, DURING)
    assert await _roll(db, held.contests[0].id) == ["TL0000001", "TL0000002", "TL0000003"]


async def test_a_later_call_leaves_the_frozen_roll_as_it_was(db: AsyncSession) -> None:
    held = await election(db)
    await register(db, 3)
    first = await freeze_electorate(db, held, DURING)
    await register(db, 2, prefix="LATE")  # joined the register after the freeze
    again = await freeze_electorate(db, held, DURING + timedelta(hours=1))
    assert len(first) == 1 and again == []
    assert len(await _roll(db, held.contests[0].id)) == 3
    assert len(await _freeze_events(db, held.id)) == 1


async def test_the_electorate_is_not_frozen_before_voting_opens(db: AsyncSession) -> None:
    held = await election(db)
    await register(db, 3)
    with pytest.raises(Conflict, match="voting is not open"):
        await freeze_electorate(db, held, OPEN - timedelta(seconds=1))
    assert await db.scalar(select(Roll.contest_id)) is None
    assert await _freeze_events(db, held.id) == []
