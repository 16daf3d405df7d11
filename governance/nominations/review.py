"""The returning officer's review after nominations close: each nomination valid or invalid with
a reason, by an officer who is neither its candidate nor one of its supporters (separation of
duties, enforced and audited), and contests declared elected unopposed where the valid
candidates are no more than the seats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from governance import clock
from governance.audit.service import record_for_election
from governance.elections import service as elections
from governance.elections.lifecycle import Action
from governance.elections.models import Contest, Election
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.i18n import N_, _
from governance.members.models import Member
from governance.nominations.models import Nomination, NominationState, Review, Support
from governance.nominations.progress import Progress, progress
from governance.nominations.service import require
from governance.nominations.supporters import OPEN_STATES
from governance.notify.service import enqueue
from governance.security.roles import Account

MAX_REASON = 2000


# The board is built from plain column rows, not ORM objects: a 150-nomination contest would
# otherwise make thousands of tracked objects per request, and CPython's full collections, which
# they trigger, were what pushed the page's slowest requests past 100 ms.
@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    organisation: str
    membership_number: str
    email: str


@dataclass(frozen=True, slots=True)
class Backing:
    """One support as the review shows it."""

    id: int
    member_id: int
    role: str
    state: str
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Paper:
    """One nomination as the review shows it (the statement is read only for one at a time)."""

    id: int
    contest_id: int
    member_id: int
    state: str
    review: str
    review_reason: str | None
    submitted_at: datetime
    declaration_at: datetime
    supports: list[Backing]


@dataclass(frozen=True, slots=True)
class Entry:
    nomination: Paper
    nominee: Person
    supporters: list[tuple[Backing, Person]]
    progress: Progress
    conflict: str | None  # why the viewer may not review it, if they may not


@dataclass(frozen=True, slots=True)
class ContestBoard:
    contest: Contest
    entries: list[Entry]

    @property
    def standing(self) -> list[Entry]:
        return [e for e in self.entries if e.nomination.state == NominationState.SUBMITTED.value]

    @property
    def pending(self) -> int:
        return sum(1 for e in self.standing if e.nomination.review == Review.PENDING.value)

    @property
    def valid(self) -> int:
        return sum(1 for e in self.standing if e.nomination.review == Review.VALID.value)

    @property
    def unopposed_possible(self) -> bool:
        contest = self.contest
        return (
            contest.elected_unopposed_at is None
            and self.pending == 0
            and (0 < self.valid <= contest.seats)
        )


@dataclass(frozen=True, slots=True)
class Board:
    election: Election
    contests: list[ContestBoard]
    can_change: bool  # the viewer is this election's returning officer

    @property
    def pending(self) -> int:
        return sum(c.pending for c in self.contests)


def conflict_of(viewer: Account, nomination: Paper) -> str | None:
    """DESIGN: an RO never reviews a nomination in which they are the candidate or a supporter."""
    if viewer.member_id is None:
        return None
    if nomination.member_id == viewer.member_id:
        return _(
            "You are the candidate in this nomination, so another returning officer must review "
            "it: ask an administrator to hand this election to one."
        )
    if any(s.member_id == viewer.member_id and s.state in OPEN_STATES for s in nomination.supports):
        return _(
            "You were asked to support this nomination, so another returning officer must "
            "review it: ask an administrator to hand this election to one."
        )
    return None


def refuse_if_involved(viewer: Account, papers: list[Paper]) -> None:
    """Separation of duties for steps that decide a whole contest (unopposed, publication):
    an RO who stands or supports in it leaves the step to another returning officer."""
    for paper in papers:
        if reason := conflict_of(viewer, paper):
            raise Forbidden(reason)


async def _papers(session: AsyncSession, contest_ids: list[int], only: int | None) -> list[Paper]:
    """The nominations and their supports in two queries, however many there are."""
    where: list[ColumnElement[bool]] = [Nomination.contest_id.in_(contest_ids)]
    if only is not None:
        where.append(Nomination.id == only)
    supports: dict[int, list[Backing]] = {}
    for row in await session.execute(
        select(Support.nomination_id, Support.id, Support.member_id, Support.role, Support.state,
               Support.responded_at)
        .join(Nomination, Nomination.id == Support.nomination_id).where(*where)
        .order_by(Support.id)
    ):  # fmt: skip
        supports.setdefault(row[0], []).append(Backing(*row[1:]))
    rows = await session.execute(
        select(Nomination.id, Nomination.contest_id, Nomination.member_id, Nomination.state,
               Nomination.review, Nomination.review_reason, Nomination.submitted_at,
               Nomination.declaration_at)
        .where(*where).order_by(Nomination.id)
    )  # fmt: skip
    return [Paper(*row, supports=supports.get(row[0], [])) for row in rows]


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    rows = await session.execute(
        select(Member.id, Member.name, Member.organisation, Member.membership_number,
               Member.email).where(Member.id.in_(ids))
    )  # fmt: skip
    return {row[0]: Person(*row) for row in rows}


async def board(
    session: AsyncSession,
    viewer: Account,
    election_id: int,
    *,
    only: int | None = None,
    to_change: bool = False,
) -> Board:
    """Every nomination of the election by contest, with nominees and supporters: four queries
    whatever the number of nominations (no query per nomination). ``to_change``: for a step
    that only the election's returning officer may take (anyone else is refused, 403)."""
    if to_change:
        election = await elections.get_as_officer(session, viewer, election_id)
    else:
        election = await elections.get(session, election_id)
    papers = await _papers(session, [c.id for c in election.contests], only)
    people = await _people(
        session, {p.member_id for p in papers} | {s.member_id for p in papers for s in p.supports}
    )
    contests = []
    for contest in election.contests:
        entries = [
            Entry(p, people[p.member_id], [(s, people[s.member_id]) for s in p.supports],
                  progress(election, p.supports), conflict_of(viewer, p))
            for p in papers if p.contest_id == contest.id
        ]  # fmt: skip
        contests.append(ContestBoard(contest, entries))
    return Board(election, contests, elections.is_officer(election, viewer))


async def entry(
    session: AsyncSession,
    viewer: Account,
    election_id: int,
    nomination_id: int,
    *,
    to_change: bool = False,
) -> tuple[Board, ContestBoard, Entry]:
    """One nomination of this election; a forged or foreign id is not found."""
    found = await board(session, viewer, election_id, only=nomination_id, to_change=to_change)
    for contest in found.contests:
        for item in contest.entries:
            return found, contest, item
    raise NotFound(_("This election has no nomination with this number."))


def incomplete_reason(item: Entry) -> str:
    """The reason an RO is offered for an incomplete nomination, ready to send."""
    done = item.progress
    return _(
        "Not enough supporters confirmed before nominations closed: %(p)d of %(pr)d "
        "proposers and %(s)d of %(sr)d seconders."
    ) % {
        "p": done.proposers,
        "pr": done.proposers_required,
        "s": done.seconders,
        "sr": done.seconders_required,
    }


def _decision(item: Entry, outcome: str, reason: str) -> tuple[Review, str]:
    if outcome not in (Review.VALID.value, Review.INVALID.value):
        raise InvalidInput({"outcome": _("Choose valid or invalid.")})
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            {"reason": _("Use at most %(count)d characters.") % {"count": MAX_REASON}}
        )
    if outcome == Review.INVALID.value and not reason:
        raise InvalidInput(
            {"reason": _("Give the reason the nomination is invalid; the nominee is sent it.")}
        )
    if outcome == Review.VALID.value and not item.progress.complete:
        raise InvalidInput(
            {"outcome": _("An incomplete nomination cannot be valid. ") + incomplete_reason(item)}
        )
    return Review(outcome), reason


def _check_reviewable(election: Election, paper: Paper, contest: Contest) -> None:
    require(
        election,
        Action.REVIEW,
        N_(
            "Nominations can be reviewed only after they close and "
            "before the candidate list is published."
        ),
    )
    if paper.state != NominationState.SUBMITTED.value:
        raise Conflict(_("This nomination was withdrawn; there is nothing to review."))
    if contest.elected_unopposed_at is not None:
        raise Conflict(_("This contest has been declared elected unopposed."))


async def mark(
    session: AsyncSession,
    viewer: Account,
    election_id: int,
    nomination_id: int,
    outcome: str,
    reason: str,
) -> Nomination:
    """Mark one nomination valid or invalid, audited, the nominee emailed, committed."""
    found, contest, item = await entry(session, viewer, election_id, nomination_id, to_change=True)
    election, paper = found.election, item.nomination
    _check_reviewable(election, paper, contest.contest)
    if item.conflict is not None:
        await record_for_election(
            session,
            election.id,
            action="nomination.review_refused",
            actor=viewer.email,
            subject=f"nomination:{paper.id}",
            payload={"reason": "separation of duties"},
        )
        await session.commit()
        raise Forbidden(item.conflict)
    review, reason = _decision(item, outcome, reason)
    nomination = await session.get(Nomination, paper.id)
    if nomination is None:  # found on the board a moment ago; kept for the type checker
        raise NotFound(_("This election has no nomination with this number."))
    nomination.review, nomination.review_reason = review.value, reason or None
    nomination.reviewed_by, nomination.reviewed_at = viewer.id, clock.now()
    await record_for_election(
        session,
        election.id,
        action=f"nomination.reviewed_{review.value}",
        actor=viewer.email,
        subject=f"nomination:{nomination.id}",
        payload={"reason": reason},
    )
    await enqueue(
        session,
        to=item.nominee.email,
        template="nomination_reviewed",
        context={
            "name": item.nominee.name,
            "valid": review is Review.VALID,
            "reason": reason,
            "contest": contest.contest.name,
            "election": election.title,
        },
    )
    await session.commit()
    return nomination


async def declare_unopposed(
    session: AsyncSession, viewer: Account, election_id: int, contest_id: int
) -> Contest:
    """Valid candidates no more than the seats: they are elected without a poll (the results
    work certifies it). When every contest is so, the whole election is."""
    found = await board(session, viewer, election_id, to_change=True)
    election = found.election
    require(
        election,
        Action.DECLARE_UNOPPOSED,
        N_(
            "Candidates can be declared elected unopposed "
            "only after nominations close and before the candidate list is published."
        ),
    )
    contest = next((c for c in found.contests if c.contest.id == contest_id), None)
    if contest is None:
        raise NotFound(_("This election has no such contest."))
    refuse_if_involved(viewer, [entry.nomination for entry in contest.entries])
    if not contest.unopposed_possible:
        raise Conflict(
            _(
                "A contest is elected unopposed only when every nomination is reviewed "
                "and there are valid candidates, no more than the seats."
            )
        )
    now = clock.now()
    contest.contest.elected_unopposed_at = now
    elected = [
        {"nomination": e.nomination.id, "member": e.nominee.id, "name": e.nominee.name}
        for e in contest.standing
        if e.nomination.review == Review.VALID.value
    ]
    await record_for_election(
        session,
        election.id,
        action="contest.elected_unopposed",
        actor=viewer.email,
        subject=f"contest:{contest_id}",
        payload={"seats": contest.contest.seats, "elected": elected},
    )
    if all(c.contest.elected_unopposed_at is not None for c in found.contests):
        election.elected_unopposed_at = now
        await record_for_election(
            session,
            election.id,
            action="election.elected_unopposed",
            actor=viewer.email,
            subject=f"election:{election.id}",
        )
    await session.commit()
    return contest.contest


async def statement_of(session: AsyncSession, nomination_id: int) -> str:
    """The statement of one nomination (the board leaves statements out)."""
    return (
        await session.scalar(select(Nomination.statement).where(Nomination.id == nomination_id))
        or ""
    )
