"""Setting up elections: create, edit in draft, contests, announce, copy, cancel. Every change
is audited in the election's own chain in the same transaction; the lifecycle decides what is
allowed when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.models import User
from governance.audit.service import record_for_election
from governance.bodies.models import Body
from governance.elections import lifecycle
from governance.elections.lifecycle import Action, Phase
from governance.elections.models import Contest, Election
from governance.elections.settings import (
    ContestForm,
    ElectionForm,
    check_contest,
    check_election,
)
from governance.eligibility.rules import describe_failure
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.i18n import N_, _
from governance.members.models import Member, MemberStatus
from governance.security.roles import Account

PHASE_NAMES = {  # marked for extraction; translated where shown
    Phase.DRAFT: N_("Draft"),
    Phase.NOMINATIONS_OPEN: N_("Nominations open"),
    Phase.NOMINATIONS_CLOSED: N_("Nominations closed"),
    Phase.CANDIDATES_PUBLISHED: N_("Candidates published"),
    Phase.VOTING_OPEN: N_("Voting open"),
    Phase.VOTING_CLOSED: N_("Voting closed"),
    Phase.COUNTED: N_("Counted"),
    Phase.ELECTED_UNOPPOSED: N_("Elected unopposed"),
    Phase.CERTIFIED: N_("Certified"),
    Phase.PUBLISHED: N_("Results published"),
    Phase.CANCELLED: N_("Cancelled"),
}


@dataclass(frozen=True, slots=True)
class Listed:
    election: Election
    body: Body
    phase: Phase
    officer: str  # the returning officer's name


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    """Audit payloads hold strings, integers, booleans, lists and objects only."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in values.items()
    }


def require(election: Election, action: Action, message: str) -> None:
    """Refuse an action the lifecycle does not allow in the election's current phase.

    ``message`` is marked with ``N_`` by the caller and translated here, where it is shown."""
    if not lifecycle.allows(election, action, clock.now()):
        current = PHASE_NAMES[lifecycle.phase(election, clock.now())]
        raise Conflict(
            _(message) + " " + _("The election is now: %(phase)s.") % {"phase": _(current)}
        )


async def get(session: AsyncSession, election_id: int) -> Election:
    election = await session.get(Election, election_id)
    if election is None:
        raise NotFound(_("There is no such election."))
    return election


def is_officer(election: Election, actor: Account) -> bool:
    """DESIGN roles: an election's own returning officer, and no other, changes it."""
    return election.returning_officer_id == actor.id


async def officer_name(session: AsyncSession, election: Election) -> str:
    """The name of the election's returning officer, as its pages show it."""
    statement = select(User.name).where(User.id == election.returning_officer_id)
    return await session.scalar(statement) or ""


async def get_as_officer(session: AsyncSession, actor: Account, election_id: int) -> Election:
    """The election, loaded for a change that only its returning officer may make: every
    returning-officer step on it, its contests or its nominations comes through here."""
    election = await get(session, election_id)
    if not is_officer(election, actor):
        raise Forbidden(
            _("Only the returning officer of this election, %(name)s, can do this.")
            % {"name": await officer_name(session, election)}
        )
    return election


async def body_of(session: AsyncSession, election: Election) -> Body:
    body = await session.get(Body, election.body_id)
    if body is None:
        raise NotFound(_("There is no such body."))
    return body


async def listing(session: AsyncSession, *, announced_only: bool) -> list[Listed]:
    """Elections with their bodies and phases, latest first (the public timetable, or the RO's)."""
    statement = (
        select(Election, Body, User.name)
        .join(Body, Body.id == Election.body_id)
        .join(User, User.id == Election.returning_officer_id)
    )
    if announced_only:
        statement = statement.where(Election.announced_at.is_not(None))
    rows = await session.execute(statement.order_by(Election.nominations_open_at.desc()))
    now = clock.now()
    return [Listed(e, b, lifecycle.phase(e, now), officer) for e, b, officer in rows]


async def create(
    session: AsyncSession, actor: Account, body_id: int, form: ElectionForm
) -> Election:
    body = await session.get(Body, body_id)
    if body is None:
        raise InvalidInput({"body_id": _("Choose the body this election fills.")})
    values = check_election(form, body.time_zone)
    # The returning officer who sets an election up runs it (DESIGN roles).
    election = Election(
        body_id=body.id,
        created_by=actor.id,
        returning_officer_id=actor.id,
        created_at=clock.now(),
        **values,
    )
    session.add(election)
    await session.flush()
    await record_for_election(
        session,
        election.id,
        action="election.created",
        actor=actor.email,
        payload=_json_ready({"body": body.name, **values}),
    )
    await session.commit()
    return election


def _columns(election: Election, names: list[str]) -> dict[str, Any]:
    return {name: getattr(election, name) for name in names}


async def update(
    session: AsyncSession, actor: Account, election_id: int, form: ElectionForm
) -> Election:
    election = await get_as_officer(session, actor, election_id)
    require(election, Action.EDIT_SETTINGS, N_("Settings are locked once nominations open."))
    body = await body_of(session, election)
    values = check_election(form, body.time_zone)
    if election.announced_at is not None and values["nominations_open_at"] < clock.now():
        # Announced: the clock now drives it, so a past opening would skip nominations entirely.
        raise InvalidInput(
            {
                "nominations_open_at": _(
                    "The election is announced: nominations cannot open in the past."
                )
            }
        )
    before = _columns(election, list(values))
    for name, value in values.items():
        setattr(election, name, value)
    changed = {k: v for k, v in values.items() if before[k] != v}
    if changed:
        was = {k: before[k] for k in changed}
        await record_for_election(
            session,
            election.id,
            action="election.settings_changed",
            actor=actor.email,
            payload={"before": _json_ready(was), "after": _json_ready(changed)},
        )
    await session.commit()
    return election


async def add_contest(
    session: AsyncSession, actor: Account, election_id: int, form: ContestForm
) -> Contest:
    election = await get_as_officer(session, actor, election_id)
    require(election, Action.EDIT_SETTINGS, N_("Contests are locked once nominations open."))
    values = check_contest(form)
    contest = Contest(election_id=election.id, position=len(election.contests), **values)
    session.add(contest)
    await session.flush()
    await record_for_election(
        session,
        election.id,
        action="contest.added",
        actor=actor.email,
        payload=_json_ready({"contest": contest.id, **values}),
    )
    await session.commit()
    return contest


async def get_contest(session: AsyncSession, election: Election, contest_id: int) -> Contest:
    contest = next((c for c in election.contests if c.id == contest_id), None)
    if contest is None:
        raise NotFound(_("This election has no such contest."))
    return contest


async def update_contest(
    session: AsyncSession, actor: Account, election_id: int, contest_id: int, form: ContestForm
) -> Contest:
    election = await get_as_officer(session, actor, election_id)
    require(election, Action.EDIT_SETTINGS, N_("Contests are locked once nominations open."))
    contest = await get_contest(session, election, contest_id)
    values = check_contest(form)
    before = {name: getattr(contest, name) for name in values}
    for name, value in values.items():
        setattr(contest, name, value)
    if before != values:
        await record_for_election(
            session,
            election.id,
            action="contest.changed",
            actor=actor.email,
            payload=_json_ready({"contest": contest.id, "before": before, "after": values}),
        )
    await session.commit()
    return contest


async def announce(session: AsyncSession, actor: Account, election_id: int) -> Election:
    """Publish the timetable; from now on the clock opens and closes each window."""
    election = await get_as_officer(session, actor, election_id)
    require(election, Action.ANNOUNCE, N_("Only a draft election can be announced."))
    if election.announced_at is not None:
        raise Conflict(_("This election has already been announced."))
    if not election.contests:
        raise Conflict(_("Add at least one contest before announcing the election."))
    if election.nominations_open_at < clock.now():
        raise Conflict(_("Nominations would open in the past. Move the timetable forward first."))
    election.announced_at = clock.now()
    await record_for_election(
        session,
        election.id,
        action="election.announced",
        actor=actor.email,
        payload={"contests": [c.id for c in election.contests]},
    )
    await session.commit()
    return election


async def cancel(session: AsyncSession, actor: Account, election_id: int, reason: str) -> Election:
    election = await get_as_officer(session, actor, election_id)
    require(election, Action.CANCEL, N_("This election can no longer be cancelled."))
    if not reason.strip():
        raise InvalidInput({"reason": _("Give the reason for cancelling; it is published.")})
    election.cancelled_at, election.cancel_reason = clock.now(), reason.strip()
    await record_for_election(
        session,
        election.id,
        action="election.cancelled",
        actor=actor.email,
        payload={"reason": reason.strip()},
    )
    await session.commit()
    return election


async def copy(
    session: AsyncSession, actor: Account, election_id: int, shift_days: int
) -> Election:
    """A new draft from an earlier election: settings and contests kept, timetable shifted.

    Any returning officer may copy any election, as they may create one: the source is only
    read, and the copy is theirs to run."""
    source = await get(session, election_id)
    shift = timedelta(days=shift_days)
    columns = [c.key for c in Election.__table__.columns if c.key not in _NOT_COPIED]
    values = _columns(source, columns)
    for name in (
        "nominations_open_at",
        "nominations_close_at",
        "voting_open_at",
        "voting_close_at",
    ):
        values[name] = values[name] + shift
    election = Election(
        **values,
        copied_from_id=source.id,
        created_by=actor.id,
        returning_officer_id=actor.id,
        created_at=clock.now(),
    )
    election.contests = [
        Contest(
            position=c.position,
            name=c.name,
            seats=c.seats,
            method=c.method,
            stand_rule=c.stand_rule,
            vote_rule=c.vote_rule,
            constraints=list(c.constraints),
        )
        for c in source.contests
    ]
    session.add(election)
    await session.flush()
    await record_for_election(
        session,
        election.id,
        action="election.copied",
        actor=actor.email,
        payload={"source": source.id, "shift_days": shift_days},
    )
    await session.commit()
    return election


_NOT_COPIED = frozenset(
    {
        "id",
        "announced_at",
        "candidates_published_at",
        "ballot_seed",
        "counted_at",
        "elected_unopposed_at",
        "certified_at",
        "published_at",
        "cancelled_at",
        "cancel_reason",
        "copied_from_id",
        "created_by",
        "returning_officer_id",
        "created_at",
    }
)


UPCOMING = frozenset(
    {
        Phase.DRAFT,
        Phase.NOMINATIONS_OPEN,
        Phase.NOMINATIONS_CLOSED,
        Phase.CANDIDATES_PUBLISHED,
        Phase.VOTING_OPEN,
    }
)


@dataclass(frozen=True, slots=True)
class Standing:
    """Whether one member may stand and vote in one contest, and if not, why (in words)."""

    election: Election
    contest: Contest
    stand_problem: str | None
    vote_problem: str | None


def eligibility_problem(rule: str, member: Member) -> str | None:
    """Why ``member`` fails a contest's rule; None when they pass. Only active members qualify."""
    if member.status != MemberStatus.ACTIVE.value:
        return _("your membership is %(status)s; only active members take part") % {
            "status": member.status
        }
    return describe_failure(rule, member) if rule.strip() else None


async def standing_of(session: AsyncSession, member: Member) -> list[Standing]:
    """The member's eligibility in every announced election that has not closed its poll."""
    rows = [row for row in await listing(session, announced_only=True) if row.phase in UPCOMING]
    return [
        Standing(
            row.election,
            contest,
            eligibility_problem(contest.stand_rule, member),
            eligibility_problem(contest.vote_rule, member),
        )
        for row in rows
        for contest in row.election.contests
    ]
