"""The group-commit writer keeps every rule of a single cast, on SQLite and PostgreSQL: one member
one vote among casts of one batch and across processes (DESIGN invariant 1), a refusal or
failure of one cast stores nothing of it (invariant 9), and a receipt only after the commit that
holds it (invariant 10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

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
    register,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from governance import clock
from governance.config import Settings
from governance.voting import box
from governance.voting.box import BallotWriter
from governance.voting.casting import AlreadyVoted, NotOnRoll, Receipt, VotingClosed, tracking_code
from governance.voting.models import Ballot, Participation


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with own_connections(settings.database_url, 4) as made:
        yield made


async def _open_contest(db: AsyncSession, electors: int) -> tuple[int, list[int]]:
    held = await election(db)
    members = await register(db, electors)
    await open_for_voting(db, held)
    return held.contests[0].id, members


async def test_two_hundred_casts_for_one_elector_in_one_batch_store_one_ballot(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, (member, *_) = await _open_contest(db, 1)
    writer = BallotWriter(sessions)
    outcomes = await asyncio.gather(
        *(writer.cast(contest_id, member, MARKS) for _ in range(200)), return_exceptions=True
    )
    assert sum(isinstance(o, Receipt) for o in outcomes) == 1
    assert sum(isinstance(o, AlreadyVoted) for o in outcomes) == 199
    assert (await count(db, Participation), await count(db, Ballot)) == (1, 1)


async def test_two_writers_racing_for_the_same_electors_store_one_ballot_each(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Two processes' writers: the participation's key, not the batch, keeps one vote each."""
    contest_id, members = await _open_contest(db, 300)
    first, second = BallotWriter(sessions), BallotWriter(sessions)
    casts = [w.cast(contest_id, m, MARKS) for m in members for w in (first, second) for _ in "ab"]
    outcomes = await asyncio.gather(*casts, return_exceptions=True)
    assert sum(isinstance(o, Receipt) for o in outcomes) == 300
    assert all(isinstance(o, Receipt | AlreadyVoted) for o in outcomes), outcomes
    assert (await count(db, Participation), await count(db, Ballot)) == (300, 300)


async def test_a_refused_cast_in_a_batch_stores_nothing_and_spares_the_others(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, members = await _open_contest(db, 3)
    stranger = (await register(db, 1, prefix="OFF"))[0]  # joined after the roll was frozen
    writer = BallotWriter(sessions)
    outcomes = await asyncio.gather(
        *(writer.cast(contest_id, m, MARKS) for m in [members[0], stranger, *members[1:]]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], NotOnRoll)
    assert sum(isinstance(o, Receipt) for o in outcomes) == 3
    assert (await count(db, Participation), await count(db, Ballot)) == (3, 3)


async def test_a_cast_after_the_close_is_refused(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, (member, *_) = await _open_contest(db, 1)
    at(CLOSE)
    with pytest.raises(VotingClosed, match="Voting closed at 17:00 on 3 March 2027"):
        await BallotWriter(sessions).cast(contest_id, member, MARKS)
    at(DURING)
    assert (await count(db, Participation), await count(db, Ballot)) == (0, 0)


async def test_a_failed_commit_acknowledges_nothing_and_stores_nothing(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    contest_id, members = await _open_contest(db, 5)

    async def colliding(session: AsyncSession, accepted: list[object]) -> None:
        await original(session, accepted)
        await original(session, accepted)  # the same keys again: the box refuses the batch

    original = box._drop_ballots
    monkeypatch.setattr(box, "_drop_ballots", colliding)
    writer = BallotWriter(sessions)
    outcomes = await asyncio.gather(
        *(writer.cast(contest_id, m, MARKS) for m in members), return_exceptions=True
    )
    assert not any(isinstance(o, Receipt) for o in outcomes)
    assert (await count(db, Participation), await count(db, Ballot)) == (0, 0)


async def test_a_receipt_names_a_ballot_that_is_already_committed(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contest_id, members = await _open_contest(db, 20)
    writer = BallotWriter(sessions)
    receipts = await asyncio.gather(*(writer.cast(contest_id, m, MARKS) for m in members))
    async with sessions() as elsewhere:  # another connection sees exactly what was acknowledged
        rows = (await elsewhere.execute(select(Ballot.key, Ballot.content))).all()
    assert sorted(r.tracking_code for r in receipts) == sorted(tracking_code(*row) for row in rows)


async def test_a_close_that_falls_inside_a_batch_refuses_its_casts(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Admitted while open, written after the close: the read after the writes decides."""
    contest_id, members = await _open_contest(db, 3)
    reads = iter([DURING] * len(members))  # one read each as the casts are admitted
    clock.set_clock(lambda: next(reads, CLOSE))
    writer = BallotWriter(sessions)
    outcomes = await asyncio.gather(
        *(writer.cast(contest_id, m, MARKS) for m in members), return_exceptions=True
    )
    at(DURING)
    assert all(isinstance(o, VotingClosed) for o in outcomes), outcomes
    assert (await count(db, Participation), await count(db, Ballot)) == (0, 0)


async def test_a_failure_before_any_cast_is_admitted_answers_every_cast(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cast is left waiting for ever when the batch's own read fails."""
    contest_id, members = await _open_contest(db, 4)

    async def broken(session: AsyncSession, pairs: object) -> dict[object, object]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(box, "read_checks", broken)
    writer = BallotWriter(sessions)
    casts = asyncio.gather(
        *(writer.cast(contest_id, m, MARKS) for m in members), return_exceptions=True
    )
    outcomes = await asyncio.wait_for(casts, timeout=30)
    assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
    assert (await count(db, Participation), await count(db, Ballot)) == (0, 0)
