"""Self-nomination: a member stands in a contest with a statement, an optional photo and a
declaration, edits it or withdraws it while nominations are open. Every step is audited in the
election's chain in the same transaction; the statement itself never enters the chain, only its
SHA-256. Supporters live in ``supporters.py``, the returning officer's review in ``review.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record_for_election
from governance.elections import lifecycle
from governance.elections import service as elections
from governance.elections.lifecycle import Action
from governance.elections.models import Contest, Election
from governance.eligibility.rules import RuleError, describe_failure
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.i18n import N_, _
from governance.members.models import Member, MemberStatus
from governance.nominations.models import (
    Candidate,
    Nomination,
    NominationState,
    SupportState,
)
from governance.nominations.photo import process_photo
from governance.nominations.progress import Progress, progress
from governance.nominations.statement import check_statement, count_words
from governance.security.roles import Account, Role

STAFF = frozenset({Role.RETURNING_OFFICER, Role.SCRUTINEER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Submission:
    """A nomination form as submitted: ``photo`` is the raw upload (None keeps the current one)."""

    statement: str
    declaration: bool
    photo: bytes | None = None
    remove_photo: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's view of one contest: whether they may stand, and their nomination if any."""

    election: Election
    contest: Contest
    failure: str | None
    nomination: Nomination | None


@dataclass(frozen=True, slots=True)
class Photo:
    jpeg: bytes
    public: bool
    etag: str


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def accepting(election: Election) -> bool:
    """Whether nominations and supports can change now (the nomination page offers changes)."""
    return lifecycle.allows(election, Action.NOMINATE, clock.now())


def require(election: Election, action: Action, message: str) -> None:
    """The lifecycle decides on the server clock; a late or early step is refused (409).

    ``message`` is marked with ``N_`` by the caller and translated where it is shown."""
    elections.require(election, action, message)


async def own_member(session: AsyncSession, account: Account) -> Member:
    member = await session.get(Member, account.member_id or 0)
    if member is None:
        raise Forbidden(
            _(
                "Only members on the register can do this, and your account is not "
                "linked to a register entry."
            )
        )
    return member


def failed_rule(rule: str, member: Member, who: str) -> str | None:
    """Why ``member`` fails an eligibility rule (an empty rule admits every active member)."""
    if member.status != MemberStatus.ACTIVE.value:
        return _("%(who)s must be active members; the register shows %(status)s.") % {
            "who": who,
            "status": member.status,
        }
    if not rule.strip():
        return None
    try:
        reason = describe_failure(rule, member)
    except RuleError:
        return _("The returning officer's rule for this contest cannot be read; tell them.")
    return None if reason is None else f"{who}: {reason}"


def stand_failure(contest: Contest, member: Member) -> str | None:
    return failed_rule(contest.stand_rule, member, _("Rule “who may stand”"))


async def announced_contest(session: AsyncSession, contest_id: int) -> tuple[Election, Contest]:
    """A contest of an announced election; anything else is not there for members (404)."""
    contest = await session.get(Contest, contest_id)
    election = await session.get(Election, contest.election_id) if contest else None
    if contest is None or election is None or election.announced_at is None:
        raise NotFound(_("There is no such contest."))
    return election, contest


async def open_contests(session: AsyncSession, account: Account) -> list[Standing]:
    """Every contest open for nominations now, with whether this member may stand in it."""
    member = await own_member(session, account)
    now = clock.now()
    rows = await session.scalars(
        select(Election)
        .where(
            Election.announced_at.is_not(None),
            Election.cancelled_at.is_(None),
            Election.nominations_open_at <= now,
            Election.nominations_close_at > now,
        )
        .order_by(Election.nominations_close_at)
    )
    own = {n.contest_id: n for n in await nominations_of(session, member.id)}
    return [
        Standing(election, contest, stand_failure(contest, member), own.get(contest.id))
        for election in rows
        if accepting(election)
        for contest in election.contests
    ]


async def nominations_of(session: AsyncSession, member_id: int) -> list[Nomination]:
    return list(
        await session.scalars(
            select(Nomination).where(Nomination.member_id == member_id).order_by(Nomination.id)
        )
    )


@dataclass(frozen=True, slots=True)
class Own:
    """One of the signed-in member's nominations, with how far its supporters have got."""

    nomination: Nomination
    contest: Contest
    election: Election
    progress: Progress


async def own_with_progress(session: AsyncSession, account: Account) -> list[Own]:
    member = await own_member(session, account)
    rows = []
    for nomination in await nominations_of(session, member.id):
        election, contest = await announced_contest(session, nomination.contest_id)
        rows.append(Own(nomination, contest, election, progress(election, nomination.supports)))
    return rows


def _checked(submission: Submission, word_limit: int) -> tuple[str, bytes | None]:
    """Every problem with the form at once, or the statement as stored and the photo re-encoded
    (None: no new photo)."""
    problems: dict[str, str] = {}
    statement = ""
    try:
        statement = check_statement(submission.statement, word_limit)
    except InvalidInput as error:
        problems.update(error.fields)
    if not submission.declaration:
        problems["declaration"] = _("Tick the declaration to confirm you are willing to serve.")
    jpeg = None
    if submission.photo:
        try:
            jpeg = process_photo(submission.photo).data
        except InvalidInput as error:
            problems.update(error.fields)
    if problems:
        raise InvalidInput(problems)
    return statement, jpeg


def already_standing() -> Conflict:
    return Conflict(
        _(
            "You have already nominated yourself for this contest: there is one "
            "nomination per member per contest. Edit it from “My nominations”."
        )
    )


async def nominate(
    session: AsyncSession, account: Account, contest_id: int, submission: Submission
) -> Nomination:
    """Stand in a contest: eligible, in the window, once; audited and committed."""
    election, contest = await announced_contest(session, contest_id)
    require(election, Action.NOMINATE, N_("Nominations are not open, so nothing was submitted."))
    member = await own_member(session, account)
    if (failure := stand_failure(contest, member)) is not None:
        raise Forbidden(
            _("You cannot stand in %(contest)s. %(reason)s")
            % {
                "contest": contest.name,
                "reason": failure,
            }
        )
    statement, jpeg = _checked(submission, election.statement_word_limit)
    now = clock.now()
    nomination = Nomination(
        contest_id=contest.id,
        member_id=member.id,
        statement=statement,
        photo=jpeg,
        declaration_at=now,
        submitted_at=now,
        updated_at=now,
        state=NominationState.SUBMITTED.value,
    )
    session.add(nomination)
    try:
        await session.flush()
    except IntegrityError as error:
        # The unique key (contest, member) decides a concurrent double submit.
        await session.rollback()
        raise already_standing() from error
    await record_for_election(
        session,
        election.id,
        action="nomination.submitted",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={
            "contest": contest.id,
            "member": member.id,
            "statement_sha256": sha256(statement),
            "words": count_words(statement),
            "photo": jpeg is not None,
        },
    )
    await session.commit()
    return nomination


async def own_nomination(
    session: AsyncSession, account: Account, nomination_id: int
) -> tuple[Election, Contest, Nomination]:
    """The signed-in member's own nomination; someone else's is not there for them (404)."""
    nomination = await session.get(Nomination, nomination_id)
    if nomination is None or nomination.member_id != account.member_id:
        raise NotFound(_("You have no nomination with this number."))
    election, contest = await announced_contest(session, nomination.contest_id)
    return election, contest, nomination


def _standing(nomination: Nomination) -> None:
    if nomination.state == NominationState.WITHDRAWN.value:
        raise Conflict(_("This nomination has been withdrawn, so it cannot be changed."))


async def edit(
    session: AsyncSession, account: Account, nomination_id: int, submission: Submission
) -> Nomination:
    election, _contest, nomination = await own_nomination(session, account, nomination_id)
    require(election, Action.NOMINATE, N_("Nominations have closed, so nothing was changed."))
    _standing(nomination)
    statement, jpeg = _checked(submission, election.statement_word_limit)
    nomination.statement = statement
    if jpeg is not None or submission.remove_photo:
        nomination.photo = jpeg
    nomination.declaration_at = nomination.updated_at = clock.now()
    await record_for_election(
        session,
        election.id,
        action="nomination.edited",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={
            "statement_sha256": sha256(statement),
            "words": count_words(statement),
            "photo_replaced": jpeg is not None,
            "photo_removed": submission.remove_photo and jpeg is None,
        },
    )
    await session.commit()
    return nomination


async def withdraw(session: AsyncSession, account: Account, nomination_id: int) -> Nomination:
    """Withdraw for good, as a withdrawal of candidature is final in UK election practice; the
    supporters' open requests and confirmations lapse with it."""
    election, _contest, nomination = await own_nomination(session, account, nomination_id)
    require(election, Action.NOMINATE, N_("Nominations have closed, so the nomination stands."))
    _standing(nomination)
    now = clock.now()
    nomination.state, nomination.withdrawn_at, nomination.updated_at = (
        NominationState.WITHDRAWN.value,
        now,
        now,
    )
    for support in nomination.supports:
        if support.state in (SupportState.REQUESTED.value, SupportState.CONFIRMED.value):
            support.state = SupportState.WITHDRAWN.value
    await record_for_election(
        session,
        election.id,
        action="nomination.withdrawn",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
    )
    await session.commit()
    return nomination


async def has_photo(session: AsyncSession, nomination_id: int) -> bool:
    found = await session.scalar(
        select(Nomination.photo.is_not(None)).where(Nomination.id == nomination_id)
    )
    return bool(found)


async def photo(session: AsyncSession, viewer: Account | None, nomination_id: int) -> Photo:
    """The re-encoded photo: public once the nomination is on the published list, otherwise only
    for the nominee and staff. Never the bytes that were uploaded."""
    nomination = await session.get(Nomination, nomination_id)
    jpeg = await session.scalar(select(Nomination.photo).where(Nomination.id == nomination_id))
    if nomination is None or jpeg is None:
        raise NotFound(_("There is no such photo."))
    published = await session.scalar(
        select(Candidate.id).where(Candidate.nomination_id == nomination_id)
    )
    allowed = viewer is not None and (
        viewer.member_id == nomination.member_id or bool(viewer.role_names & STAFF)
    )
    if published is None and not allowed:
        raise NotFound(_("There is no such photo."))
    return Photo(jpeg, published is not None, hashlib.sha256(jpeg).hexdigest()[:32])
