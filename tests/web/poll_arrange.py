"""Arrangements for the tests of the poll as the returning officer sees it (no tests here): an
election with published candidates whose voting is open at VOTING, rolls frozen, ballots cast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from nominations_arrange import CLOSE, NOW, at, election, member, nominated
from sqlalchemy.ext.asyncio import AsyncSession

from governance.elections.models import Election
from governance.members.models import Member
from governance.nominations.models import Candidate
from governance.voting.casting import Receipt, cast
from governance.voting.electorate import freeze_electorate

OPENS = NOW + timedelta(days=14)  # as nominations_arrange.election sets it: 12:00 UTC
VOTING = OPENS + timedelta(hours=1)  # 13:00 UTC on 15 March 2027 (GMT, so 13:00 in London)
CLOSES = NOW + timedelta(days=21)


async def poll(db: AsyncSession, contests: int = 2, **settings: Any) -> Election:
    """An election of ``contests`` contests whose candidate list was published after the close
    of nominations; at VOTING its voting is open (rolls not yet frozen)."""
    specs = [{"name": f"Contest {n + 1}", "seats": 1} for n in range(contests)]
    held = await election(db, contests=specs, **settings)
    held.candidates_published_at = CLOSE + timedelta(hours=1)
    await db.commit()
    at(VOTING)
    return held


async def candidates(
    db: AsyncSession, held: Election, contest_index: int, people: list[Member]
) -> list[Candidate]:
    """``people`` as the contest's published candidates, in that ballot order."""
    contest = held.contests[contest_index]
    supporters = [await member(db, f"S-{contest.id}-{n}", f"Supporter {n}") for n in range(2)]
    rows = []
    for position, person in enumerate(people, start=1):
        nomination = await nominated(db, contest, person, supporters)
        row = Candidate(
            contest_id=contest.id,
            nomination_id=nomination.id,
            member_id=person.id,
            ballot_position=position,
            name=person.name,
            organisation=person.organisation,
            published_at=CLOSE + timedelta(hours=1),
        )
        db.add(row)
        rows.append(row)
    await db.commit()
    return rows


async def freeze(db: AsyncSession, held: Election) -> None:
    await freeze_electorate(db, held, VOTING)


async def vote(
    db: AsyncSession, contest_id: int, voter: Member, marks: Mapping[str, Any], when: datetime
) -> Receipt:
    """Cast through the voting core at ``when``, then put the clock back at VOTING."""
    at(when)
    try:
        return await cast(db, contest_id, voter.id, marks)
    finally:
        at(VOTING)
