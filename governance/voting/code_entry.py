"""Trading a voting code for a voting pass: rate-limited, and the same answer for every wrong code.

Issue 11: code entry answers the same for every wrong code, whether it is a random string, a
code that was replaced, or a code of an election whose poll is closed: same words, same status,
and the same work (one keyed hash, one query), so neither the page nor its timing says which.

Guessing is limited as signing in is (accounts/sessions.py), in the database so every worker
shares the count, and exactly under concurrency: each try is first written down and committed,
then counted with every try committed before it, so of N simultaneous tries at most the limit
are checked. A right code, and a try refused by the limit, take their row back out: the limit
counts wrong codes only, so electors behind one office's address do not lock each other out.

A wrong code cannot say which election it was aimed at, so the per-poll ceiling counts every
wrong code tried on the site while polls are open. 100 bits make guessing hopeless at any rate;
the limits stop a script from hammering the database, and the ceiling from a botnet doing so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.config import Settings
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase
from governance.elections.models import Election
from governance.errors import InvalidInput, TooManyAttempts
from governance.i18n import _
from governance.voting import codes
from governance.voting.models import CodeAttempt, Credential
from governance.voting.voters import Voter


class WrongCode(InvalidInput):
    """The one answer to every code that does not open a ballot now."""

    def __init__(self) -> None:
        message = _(
            "That voting code does not work. Check it against your most recent voting email: "
            "a code works only while voting is open, and a code that was replaced stops working."
        )
        super().__init__({"code": message}, message)


async def _count(session: AsyncSession, since: datetime, client_address: str | None) -> int:
    query = select(func.count()).select_from(CodeAttempt).where(CodeAttempt.attempted_at > since)
    if client_address is not None:
        query = query.where(CodeAttempt.client_address == client_address)
    return int(await session.scalar(query) or 0)


async def _take_back(session: AsyncSession, attempt_id: int) -> None:
    await session.execute(delete(CodeAttempt).where(CodeAttempt.id == attempt_id))
    await session.commit()


async def _charge(
    session: AsyncSession, settings: Settings, client_address: str, now: datetime
) -> int:
    """Write this try down, then refuse it if it is over either limit; the try's row id."""
    attempt = CodeAttempt(client_address=client_address[:64], attempted_at=now)
    session.add(attempt)
    await session.commit()
    since = now - timedelta(minutes=settings.code_window_minutes)
    from_address = await _count(session, since, client_address[:64])
    everywhere = await _count(session, since, None)
    if from_address > settings.code_failures_per_address or (
        everywhere > settings.code_failures_per_poll
    ):
        await _take_back(session, attempt.id)
        raise TooManyAttempts(
            _(
                "Too many wrong voting codes have been tried. "
                "Wait %(minutes)d minutes, then try again."
            )
            % {"minutes": settings.code_window_minutes}
        )
    return attempt.id


async def voter_for_code(
    session: AsyncSession, settings: Settings, typed: str, client_address: str
) -> Voter:
    """The voter a code names, if it is their current code and their poll is open now."""
    now = clock.now()
    attempt_id = await _charge(session, settings, client_address, now)
    digest = codes.code_hash(settings.secret_key, typed[:200])
    found = (
        await session.execute(
            select(Credential.member_id, Credential.generation, Election)
            .join(Election, Election.id == Credential.election_id)
            .where(Credential.code_hash == digest)
        )
    ).first()
    if found is None or lifecycle.phase(found[2], now) is not Phase.VOTING_OPEN:
        raise WrongCode  # the try's row stays: it counts against the limit
    await _take_back(session, attempt_id)
    member_id, generation, election = found
    return Voter(member_id=member_id, election_id=election.id, generation=generation)


async def polls(session: AsyncSession, now: datetime, recent: timedelta) -> list[Election]:
    """Elections whose poll is open, or closed within ``recent``: the code page names them,
    as their timetables are public."""
    found = await session.scalars(
        select(Election)
        .where(
            Election.voting_open_at <= now,
            Election.voting_close_at > now - recent,
            Election.announced_at.is_not(None),
            Election.cancelled_at.is_(None),
        )
        .order_by(Election.voting_close_at)
    )
    return list(found)
