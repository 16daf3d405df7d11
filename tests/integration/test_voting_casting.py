"""Casting against a real database, SQLite and PostgreSQL: one member one vote under concurrent
casts (DESIGN invariant 1), nothing half-stored (invariant 9), the close decided by the clock
inside the transaction, and a receipt only for a committed ballot (invariant 10)."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import pytest
from integration.voting_arrange import (
    CLOSE,
    DURING,
    MARKS,
    at,
    count,
    election,
    open_for_voting,
    own_connections,
    race,
    register,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.config import Settings
from governance.errors import Conflict
from governance.voting import casting
from governance.voting.casting import AlreadyVoted, NotOnRoll, Receipt, VotingClosed, cast
from governance.voting.models import Ballot, Participation

# Eight connections: enough for real races; more only make SQLite's waiting writers poll longer.
CONNECTIONS = 8


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with own_connections(settings.database_url, CONNECTIONS) as made:
        yield made


async def _open_contest(db: AsyncSession, electors: int) -> tuple[int, list[int]]:
    held = await election(db)
    members = await register(db, electors)
    await open_for_voting(db, held)
    return held.contests[0].id, members


def _casting(contest_id: int, member_id: int, marks: dict[str, object] = MARKS) -> object:
    async def step(session: AsyncSession) -> Receipt:
        return await cast(session, contest_id, member_id, marks)

    return step


async def _stored(db: AsyncSession) -> tuple[int, int]:
    return await count(db, Participation), await count(db, Ballot)


async def test_a_cast_is_committed_before_its_receipt_and_the_code_is_the_ballots_hash(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, (voter, *_) = await _open_contest(db, 2)
    async with sessions() as session:
        receipt = await cast(session, contest_id, voter, {"ranking": [3, 1, 2], "a": True})
    # Another connection sees both rows: the receipt came after the commit.
    async with sessions() as other:
        ballot = (await other.scalars(select(Ballot))).one()
        participation = (await other.scalars(select(Participation))).one()
    assert ballot.content == '{"a":true,"ranking":[3,1,2]}'  # canonical: keys sorted, no spaces
    assert len(ballot.key) == 32 and int(ballot.key, 16) >= 0
    expected = hashlib.sha256(f"{ballot.key}\n{ballot.content}".encode()).hexdigest()
    assert receipt.tracking_code == expected
    assert receipt.grouped.replace(" ", "") == expected and len(receipt.grouped.split()) == 16
    assert (participation.member_id, participation.voted_at) == (voter, DURING)


async def test_a_second_cast_is_refused_with_the_date_of_the_first_and_changes_nothing(
    db: AsyncSession,
) -> None:
    contest_id, (voter, *_) = await _open_contest(db, 2)
    await cast(db, contest_id, voter, MARKS)
    at(DURING + timedelta(days=1))
    with pytest.raises(AlreadyVoted) as refused:
        await cast(db, contest_id, voter, {"ranking": [1]})
    assert refused.value.message == "You have already voted in this contest, on 2 March 2027."
    assert refused.value.status_code == 409
    assert await _stored(db) == (1, 1)
    assert await db.scalar(select(Ballot.content)) == json.dumps(MARKS, separators=(",", ":"))


async def test_200_simultaneous_casts_for_one_elector_store_one_ballot(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, (voter, *_) = await _open_contest(db, 3)
    outcomes = await race(sessions, [_casting(contest_id, voter)] * 200)
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    refused = [o for o in outcomes if isinstance(o, AlreadyVoted)]
    assert len(receipts) == 1 and len(refused) == 199, [
        o for o in outcomes if not isinstance(o, Receipt | AlreadyVoted)
    ][:3]
    assert await _stored(db) == (1, 1)


def _ten_at_once(contest_id: int, members: list[int]) -> Iterator[object]:
    """Each elector's ten attempts start side by side, so they race each other."""
    for member_id in members:
        yield from itertools.repeat(_casting(contest_id, member_id), 10)


@pytest.mark.slow
async def test_a_thousand_electors_casting_ten_times_each_at_once_store_a_thousand_ballots(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, members = await _open_contest(db, 1000)
    outcomes = await race(sessions, list(_ten_at_once(contest_id, members)))
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    others = [o for o in outcomes if not isinstance(o, Receipt | AlreadyVoted)]
    assert others == [] and len(receipts) == 1000
    assert len({r.tracking_code for r in receipts}) == 1000
    assert await _stored(db) == (1000, 1000)
    voters = set(await db.scalars(select(Participation.member_id)))
    assert voters == set(members)


async def test_a_failure_between_the_two_inserts_leaves_neither(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    contest_id, (first, second, *_) = await _open_contest(db, 3)
    await cast(db, contest_id, first, MARKS)
    taken = await db.scalar(select(Ballot.key))
    # The ballot insert fails after the participation insert: its key is already in the box.
    monkeypatch.setattr(casting.secrets, "token_hex", lambda _n: taken)
    with pytest.raises(IntegrityError):
        await cast(db, contest_id, second, MARKS)
    assert await _stored(db) == (1, 1)
    assert await db.scalar(select(Participation.member_id)) == first
    monkeypatch.undo()
    await cast(db, contest_id, second, MARKS)  # and the elector can still vote
    assert await _stored(db) == (2, 2)


async def test_a_cast_one_second_after_the_close_is_refused_and_stores_nothing(
    db: AsyncSession,
) -> None:
    contest_id, (voter, *_) = await _open_contest(db, 2)
    at(CLOSE + timedelta(seconds=1))
    with pytest.raises(VotingClosed) as refused:
        await cast(db, contest_id, voter, MARKS)
    assert refused.value.message == "Voting closed at 17:00 on 3 March 2027."
    assert await _stored(db) == (0, 0)


async def test_the_close_passing_while_the_ballot_is_written_refuses_it(
    db: AsyncSession,
) -> None:
    """The clock read inside the transaction decides, not the one read before it."""
    contest_id, (voter, *_) = await _open_contest(db, 2)
    readings = iter([CLOSE - timedelta(seconds=1)] * 2 + [CLOSE] * 5)

    def ticking() -> datetime:
        return next(readings)

    clock.set_clock(ticking)
    with pytest.raises(VotingClosed):
        await cast(db, contest_id, voter, MARKS)
    assert await _stored(db) == (0, 0)


async def test_a_member_not_on_the_frozen_roll_is_refused(db: AsyncSession) -> None:
    contest_id, _members = await _open_contest(db, 2)
    (late,) = await register(db, 1, prefix="LATE")  # joined after the roll was frozen
    with pytest.raises(NotOnRoll):
        await cast(db, contest_id, late, MARKS)
    assert await _stored(db) == (0, 0)


async def test_nobody_can_cast_before_the_roll_is_frozen(db: AsyncSession) -> None:
    held = await election(db)
    (voter,) = await register(db, 1)
    with pytest.raises(Conflict, match="roll for this contest is being prepared"):
        await cast(db, held.contests[0].id, voter, MARKS)
    assert await _stored(db) == (0, 0)
