"""Changing a contest's frozen roll during the poll (issue 11, item 1).

Only the election's own returning officer, only while voting is open, and only for one of the two
reasons a UK returning officer alters a register once the poll has begun: a roll challenge they
have accepted, or a clerical error. Each change is one event in the election's audit chain, with
the membership number, the contest, the reason and the roll's new size, so the roll at any moment
is the frozen roll (size and digest in ``electorate.frozen``) replayed with these events.

``Roll.digest`` stays the digest taken at the freeze: it is what the freeze event in the chain
states, and recomputing it on each change would read the whole roll (a million rows) while holding
the write lock that every cast is waiting for. ``Roll.electors`` follows the changes.

Nobody who has voted is taken off the roll: the check below gives the words, and the marked
register's foreign key to the roll (``Participation``) keeps the promise if a cast lands between
the check and the delete.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.models import AuditEvent, election_chain
from governance.audit.service import record_for_election
from governance.elections import lifecycle, service
from governance.elections.lifecycle import Phase
from governance.elections.models import Contest, Election
from governance.errors import Conflict, InvalidInput
from governance.i18n import N_, _
from governance.members.models import Member
from governance.security.roles import Account
from governance.voting.electorate import freeze_electorate
from governance.voting.models import Elector, Participation, Roll

DETAIL_LIMIT = 500  # characters of explanation kept in the chain


class Change(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"


class Reason(enum.StrEnum):
    CHALLENGE = "challenge_accepted"
    CLERICAL = "clerical_error"


CHANGE_ACTIONS = ("electorate.elector_added", "electorate.elector_removed")
REASONS = {  # marked for extraction; translated where shown
    Reason.CHALLENGE: N_("A roll challenge accepted"),
    Reason.CLERICAL: N_("A clerical error"),
}


@dataclass
class RollChangeForm:
    change: str = ""
    membership_number: str = ""
    reason: str = ""
    detail: str = ""
    confirm: str = ""  # "yes" once the officer has seen the confirmation page


@dataclass(frozen=True, slots=True)
class Proposed:
    """A change checked and ready to confirm: who, what, why, and the roll's size after it."""

    change: Change
    member_id: int
    membership_number: str
    name: str
    status: str  # on the register: an officer adding a lapsed member sees it before confirming
    reason: Reason
    detail: str
    electors_after: int


async def roll_of(session: AsyncSession, election: Election, contest: Contest) -> Roll | None:
    """The contest's frozen roll; freezing it first when voting is open and nobody has yet."""
    if lifecycle.phase(election, clock.now()) is Phase.VOTING_OPEN:
        await freeze_electorate(session, election, clock.now())
    return await session.get(Roll, contest.id, populate_existing=True)


def _parse(form: RollChangeForm) -> tuple[Change, str, Reason, str]:
    problems: dict[str, str] = {}
    change = Change(form.change) if form.change in set(Change) else None
    if change is None:
        problems["change"] = _("Choose whether to add a member to the roll or remove one.")
    number = form.membership_number.strip()
    if not number:
        problems["membership_number"] = _("Enter the member's membership number.")
    reason = Reason(form.reason) if form.reason in set(Reason) else None
    if reason is None:
        problems["reason"] = _("Choose the reason for the change.")
    detail = " ".join(form.detail.split())
    if not detail:
        problems["detail"] = _("Say what the challenge or the error was; it goes in the audit log.")
    elif len(detail) > DETAIL_LIMIT:
        problems["detail"] = _("Use at most %(length)d characters.") % {"length": DETAIL_LIMIT}
    if problems or change is None or reason is None:
        raise InvalidInput(problems)
    return change, number, reason, detail


async def _voted_at(session: AsyncSession, contest_id: int, member_id: int) -> datetime | None:
    voted: datetime | None = await session.scalar(
        select(Participation.voted_at).where(
            Participation.contest_id == contest_id, Participation.member_id == member_id
        )
    )
    return voted


def _has_voted(voted_at: datetime, zone: str) -> InvalidInput:
    day = voted_at.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y")
    return InvalidInput(
        {
            "membership_number": _(
                "This member voted in this contest on %(date)s. Nobody who has voted can be "
                "removed from the roll."
            )
            % {"date": day}
        }
    )


async def check(
    session: AsyncSession, actor: Account, election_id: int, contest_id: int, form: RollChangeForm
) -> Proposed:
    """Everything that decides whether the change may be made, without making it."""
    election = await service.get_as_officer(session, actor, election_id)
    contest = await service.get_contest(session, election, contest_id)
    if lifecycle.phase(election, clock.now()) is not Phase.VOTING_OPEN:
        raise Conflict(_("The roll can be changed only while voting is open."))
    change, number, reason, detail = _parse(form)
    roll = await roll_of(session, election, contest)
    if roll is None:  # pragma: no cover - voting is open, so roll_of has just frozen it
        raise Conflict(_("The roll for this contest is being prepared; try again shortly."))
    member = await session.scalar(select(Member).where(Member.membership_number == number))
    if member is None:
        raise InvalidInput(
            {"membership_number": _("There is no member with this number on the register.")}
        )
    on_roll = await session.get(Elector, (contest.id, member.id)) is not None
    if change is Change.ADD and on_roll:
        raise InvalidInput({"membership_number": _("This member is already on the roll.")})
    if change is Change.REMOVE and not on_roll:
        raise InvalidInput({"membership_number": _("This member is not on the roll.")})
    if change is Change.REMOVE:
        voted_at = await _voted_at(session, contest.id, member.id)
        if voted_at is not None:
            body = await service.body_of(session, election)
            raise _has_voted(voted_at, body.time_zone)
    after = roll.electors + (1 if change is Change.ADD else -1)
    return Proposed(
        change,
        member.id,
        member.membership_number,
        member.name,
        member.status,
        reason,
        detail,
        after,
    )


async def change_roll(
    session: AsyncSession, actor: Account, election_id: int, contest_id: int, form: RollChangeForm
) -> Proposed:
    """Make a checked change, audit it, and commit; refused whole if anything is wrong."""
    proposed = await check(session, actor, election_id, contest_id, form)
    try:
        if proposed.change is Change.ADD:
            await session.execute(
                insert(Elector).values(contest_id=contest_id, member_id=proposed.member_id)
            )
        else:
            await session.execute(
                delete(Elector).where(
                    Elector.contest_id == contest_id, Elector.member_id == proposed.member_id
                )
            )
        step = 1 if proposed.change is Change.ADD else -1
        await session.execute(
            update(Roll).where(Roll.contest_id == contest_id).values(electors=Roll.electors + step)
        )
        electors = await session.scalar(select(Roll.electors).where(Roll.contest_id == contest_id))
        await _audit(session, actor, election_id, contest_id, proposed, int(electors or 0))
        await session.commit()
    except IntegrityError:
        # The backstop: a cast (or another officer's change) won the race since the check.
        await session.rollback()
        await check(session, actor, election_id, contest_id, form)  # the words for it, if known
        raise
    return proposed


async def _audit(
    session: AsyncSession,
    actor: Account,
    election_id: int,
    contest_id: int,
    proposed: Proposed,
    electors: int,
) -> None:
    contest = await session.get(Contest, contest_id)
    await record_for_election(
        session,
        election_id,
        action=CHANGE_ACTIONS[0] if proposed.change is Change.ADD else CHANGE_ACTIONS[1],
        actor=actor.email,
        subject=f"contest:{contest_id}",
        payload={
            "contest": contest_id,
            "contest_name": contest.name if contest else "",
            "membership_number": proposed.membership_number,
            "reason": proposed.reason.value,
            "detail": proposed.detail,
            "electors": electors,
        },
    )


async def changes(session: AsyncSession, election_id: int, contest_id: int) -> list[AuditEvent]:
    """The changes made to a contest's roll since the freeze, as the chain records them."""
    events = await session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.chain == election_chain(election_id),
            AuditEvent.subject == f"contest:{contest_id}",
            AuditEvent.action.in_(CHANGE_ACTIONS),
        )
        .order_by(AuditEvent.seq)
    )
    return list(events)
