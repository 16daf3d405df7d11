"""The elector's way to the ballot box: which contests they may vote in, each contest's paper,
and the cast with a voting pass checked (issue 11, items 2 and 3).

Voting opens by the clock (``elections/lifecycle.py``), so nobody presses a button: the first
voting page asked for while an election's window is open freezes its rolls
(``freeze_electorate``, idempotent and one read when already done).

A contest's paper (its candidates in the published order) never changes once the list is
published, so it is read once per process and kept, keyed by the database, the contest and the
publication time: the ballot page of a 120-candidate contest costs no candidate query after the
first (DESIGN "Voting and results": the candidate list is rendered once per contest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.bodies.models import Body
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase
from governance.elections.models import Contest, Election
from governance.errors import Conflict, Forbidden, NotFound
from governance.i18n import _
from governance.members.models import Member
from governance.nominations.models import Candidate
from governance.voting import casting
from governance.voting.ballots import BallotPaper, Option, paper_for
from governance.voting.box import BallotWriter
from governance.voting.electorate import freeze_electorate
from governance.voting.models import Credential, Elector, Participation
from governance.voting.voters import Voter

_PAPERS_KEPT = 512
_papers: dict[tuple[str, int, datetime | None, str, int, bool], BallotPaper] = {}


class PassRevoked(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Your voting code has been replaced by a new one, so this voting session has "
                "ended. Use the newest code you were sent."
            )
        )


class OtherElection(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Your voting code is for another election. Sign in, or enter the code for this "
                "election."
            )
        )


@dataclass(frozen=True, slots=True)
class Ballot:
    """One contest on a voter's "Vote now" list: open, on the roll, voted or not (never how)."""

    election: Election
    contest: Contest
    zone: str
    voted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Booth:
    """What a ballot page needs: the contest, its election, the body's time zone, the paper."""

    election: Election
    contest: Contest
    zone: str
    paper: BallotPaper


async def open_elections(session: AsyncSession, now: datetime) -> list[Election]:
    """Elections whose voting window is open by the clock, each with its rolls frozen."""
    window = select(Election).where(
        Election.voting_open_at <= now,
        Election.voting_close_at > now,
        Election.candidates_published_at.is_not(None),
    )
    found = [
        e for e in await session.scalars(window) if lifecycle.phase(e, now) is Phase.VOTING_OPEN
    ]
    for election in found:
        await freeze_electorate(session, election, now)
    return found


async def ballots_for(session: AsyncSession, voter: Voter) -> list[Ballot]:
    """Every contest open now whose frozen roll ``voter`` is on, election by election."""
    elections = {
        e.id: e for e in await open_elections(session, clock.now()) if voter.may_vote_in(e.id)
    }
    if not elections:
        return []
    marked = and_(
        Participation.contest_id == Contest.id, Participation.member_id == voter.member_id
    )
    rows = await session.execute(
        select(Contest, Body.time_zone, Participation.voted_at)
        .join(Election, Election.id == Contest.election_id)
        .join(Body, Body.id == Election.body_id)
        .join(Elector, and_(Elector.contest_id == Contest.id, Elector.member_id == voter.member_id))
        .outerjoin(Participation, marked)
        .where(Contest.election_id.in_(elections))
        .order_by(Election.voting_close_at, Election.id, Contest.position, Contest.id)
    )
    return [
        Ballot(elections[contest.election_id], contest, zone, voted_at)
        for contest, zone, voted_at in rows
    ]


async def _contest(session: AsyncSession, voter: Voter, contest_id: int) -> tuple[Any, ...]:
    row = (
        await session.execute(
            select(Contest, Election, Body.time_zone)
            .join(Election, Election.id == Contest.election_id)
            .join(Body, Body.id == Election.body_id)
            .where(Contest.id == contest_id)
        )
    ).one_or_none()
    if row is None or row[1].announced_at is None:
        raise NotFound(_("There is no such contest."))
    if not voter.may_vote_in(row[1].id):
        raise OtherElection()
    return tuple(row)


async def booth(session: AsyncSession, voter: Voter, contest_id: int) -> Booth:
    """The ballot paper ``voter`` may mark now, or the refusal casting would give: already voted
    (with the date), voting closed (with the time), not open, not on the roll."""
    contest, election, zone = await _contest(session, voter, contest_id)
    now = clock.now()
    phase = lifecycle.phase(election, now)
    if phase is Phase.VOTING_OPEN:
        await freeze_electorate(session, election, now)
    on_roll = and_(Elector.contest_id == contest.id, Elector.member_id == voter.member_id)
    marked = and_(
        Participation.contest_id == contest.id, Participation.member_id == voter.member_id
    )
    row = (
        await session.execute(
            select(Elector.member_id, Participation.voted_at)
            .select_from(Contest)
            .outerjoin(Elector, on_roll)
            .outerjoin(Participation, marked)
            .where(Contest.id == contest.id)
        )
    ).one()
    if row.voted_at is not None:
        raise casting.AlreadyVoted(row.voted_at, zone)
    if now >= election.voting_close_at and phase is not Phase.CANCELLED:
        raise casting.VotingClosed(election.voting_close_at, zone)
    if phase is not Phase.VOTING_OPEN:
        raise Conflict(_("Voting in this contest is not open."))
    if row.member_id is None:
        raise casting.NotOnRoll()
    return Booth(election, contest, zone, await paper(session, election, contest))


def _database(session: AsyncSession) -> str:
    """Which database: ids and times repeat across databases (a test run makes many)."""
    bind = session.get_bind()
    return str(bind.url if isinstance(bind, Engine) else bind.engine.url)


async def paper(session: AsyncSession, election: Election, contest: Contest) -> BallotPaper:
    """The contest's paper, read once per process after publication (the module docstring)."""
    key = (
        _database(session),
        contest.id,
        election.candidates_published_at,
        contest.method,
        contest.seats,
        election.re_open_nominations,
    )
    found = _papers.get(key)
    if found is not None:
        return found
    rows = await session.execute(
        select(
            Candidate.ballot_position,
            Candidate.name,
            Candidate.organisation,
            Candidate.nomination_id,
        )
        .where(Candidate.contest_id == contest.id)
        .order_by(Candidate.ballot_position)
    )
    candidates = [
        Option(str(position), name, organisation, n) for position, name, organisation, n in rows
    ]
    made = paper_for(contest.method, contest.seats, candidates, election.re_open_nominations)
    if election.candidates_published_at is not None:  # fixed from now on: worth keeping
        if len(_papers) >= _PAPERS_KEPT:
            _papers.clear()
        _papers[key] = made
    return made


async def paper_to_cast(session: AsyncSession, voter: Voter, contest_id: int) -> Booth:
    """The paper a cast is checked against; casting itself decides whether the voter may cast."""
    contest, election, zone = await _contest(session, voter, contest_id)
    return Booth(election, contest, zone, await paper(session, election, contest))


async def cast(
    session: AsyncSession,
    voter: Voter,
    contest_id: int,
    marks: Mapping[str, Any],
    box: BallotWriter | None = None,
) -> casting.Receipt:
    """Cast for ``voter``: a code voter's pass is good only while their code is the current one
    (a reissued code raises the credential's generation). Through the process's group-commit
    ``box`` when there is one (a served app), else in this session's own transaction."""
    if voter.by_code:
        generation = await session.scalar(
            select(Credential.generation).where(
                Credential.election_id == voter.election_id,
                Credential.member_id == voter.member_id,
            )
        )
        if generation is None or generation != voter.generation:
            await session.rollback()
            raise PassRevoked()
    if box is None:
        return await casting.cast(session, contest_id, voter.member_id, marks)
    await session.rollback()  # end this request's reads: the writer has its own transaction
    return await box.cast(contest_id, voter.member_id, marks)


async def email_of(session: AsyncSession, voter: Voter) -> str:
    """The voter's address on the register ("" when there is none), for the receipt mail."""
    found = await session.scalar(select(Member.email).where(Member.id == voter.member_id))
    return found or ""
