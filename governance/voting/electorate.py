"""Freezing each contest's electorate when voting opens (DESIGN: data; issue 11, item 1).

The roll is taken from the register by the contest's voting rule in one INSERT … SELECT (the
rule compiles to SQL), so a million members freeze without a row passing through Python. It
happens exactly once per contest however many requests or workers find voting open at the same
moment: each inserts the contest's ``rolls`` row, and the primary key lets only one of them in.
The roll's size and digest go into the election's audit chain in the same transaction.

The digest is SHA-256 over every elector's membership number, each followed by a line feed,
in code-point order of the numbers (UTF-8), so anyone holding the list can recompute it::

    sha256("".join(number + "\\n" for number in sorted(numbers)).encode("utf-8")).hexdigest()
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from governance.audit.models import election_chain
from governance.audit.service import record
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase
from governance.elections.models import Contest, Election
from governance.eligibility.rules import RuleError, compile_rule
from governance.errors import Conflict
from governance.i18n import _
from governance.members.models import Member, MemberStatus
from governance.voting.models import Elector, Roll

_DIGEST_BATCH = 10_000


def eligible(vote_rule: str) -> ColumnElement[bool]:
    """Who may vote: active members the rule admits; an empty rule admits every active member,
    as it does for standing (``nominations.service.failed_rule``)."""
    active = Member.status == MemberStatus.ACTIVE.value
    if not vote_rule.strip():
        return active
    try:
        return active & compile_rule(vote_rule)
    except RuleError:
        raise Conflict(
            _("The returning officer's rule for who may vote cannot be read; tell them.")
        ) from None


async def freeze_electorate(session: AsyncSession, election: Election, now: datetime) -> list[Roll]:
    """Freeze the roll of each contest of ``election`` not frozen yet, and commit.

    Returns the rolls this call froze: empty when every roll was frozen before (by this caller
    or a concurrent one), which is the common case and costs one read and no write.
    """
    if lifecycle.phase(election, now) is not Phase.VOTING_OPEN:
        raise Conflict(_("The electorate is frozen when voting opens, and voting is not open."))
    waiting = await _unfrozen(session, election)
    if not waiting:
        return []
    frozen: list[Roll] = []
    try:
        for contest in waiting:
            roll = await _freeze_contest(session, election, contest, now)
            if roll is not None:
                frozen.append(roll)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return frozen


async def _unfrozen(session: AsyncSession, election: Election) -> list[Contest]:
    contest_ids = [contest.id for contest in election.contests]
    done = set(
        await session.scalars(select(Roll.contest_id).where(Roll.contest_id.in_(contest_ids)))
    )
    return [contest for contest in election.contests if contest.id not in done]


async def _claim(session: AsyncSession, contest: Contest, now: datetime) -> bool:
    """Insert the contest's roll row; False when another transaction holds or has it.

    On PostgreSQL a concurrent claimer waits here for the first to commit, then inserts nothing;
    on SQLite the insert takes the database's write lock, so the second claimer runs after the
    first has committed and finds the row.
    """
    dialect = session.get_bind().dialect.name
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    claimed = await session.execute(
        upsert(Roll)
        .values(
            contest_id=contest.id, frozen_at=now, vote_rule=contest.vote_rule, electors=0, digest=""
        )
        .on_conflict_do_nothing(index_elements=["contest_id"])
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def _freeze_contest(
    session: AsyncSession, election: Election, contest: Contest, now: datetime
) -> Roll | None:
    condition = eligible(contest.vote_rule)  # a rule that cannot be read fails before any write
    if not await _claim(session, contest, now):
        return None
    await session.execute(
        insert(Elector).from_select(
            ["contest_id", "member_id"],
            select(literal(contest.id, Integer()), Member.id).where(condition),
        )
    )
    electors, digest = await roll_digest(session, contest.id)
    await session.execute(
        update(Roll).where(Roll.contest_id == contest.id).values(electors=electors, digest=digest)
    )
    await record(
        session,
        action="electorate.frozen",
        actor=None,  # the clock opened voting, not a person
        subject=f"contest:{contest.id}",
        payload={
            "contest": contest.id,
            "contest_name": contest.name,
            "vote_rule": contest.vote_rule,
            "electors": electors,
            "digest": digest,
        },
        chain=election_chain(election.id),
    )
    rolls = await session.scalars(
        select(Roll).where(Roll.contest_id == contest.id).execution_options(populate_existing=True)
    )
    return rolls.one()


def _code_point_order(session: AsyncSession, column: Any) -> Any:
    """Byte order of UTF-8, which is code-point order: SQLite's BINARY, PostgreSQL's "C"."""
    return column if session.get_bind().dialect.name == "sqlite" else column.collate("C")


async def roll_digest(session: AsyncSession, contest_id: int) -> tuple[int, str]:
    """The number of electors on a contest's roll and the digest the module docstring defines."""
    statement = (
        select(Member.membership_number)
        .join(Elector, Elector.member_id == Member.id)
        .where(Elector.contest_id == contest_id)
        .order_by(_code_point_order(session, Member.membership_number))
        .execution_options(yield_per=_DIGEST_BATCH)
    )
    digest, electors = hashlib.sha256(), 0
    result = await session.stream_scalars(statement)
    async for numbers in result.partitions():
        electors += len(numbers)
        digest.update("".join(f"{number}\n" for number in numbers).encode("utf-8"))
    return electors, digest.hexdigest()
