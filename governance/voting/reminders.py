"""Reminders to electors who have not yet voted: sent now by the returning officer, or
scheduled ahead of the close (issue 11, item 6).

A reminder goes to every elector who has not voted in every contest they may vote in, with
their personal link (the code filled in at send time, notify/fillers.py). Each is sent once: a
scheduled one is claimed by a guarded update of ``sent_at``, and a reminder sent now is stored
already claimed. No two go out within ``reminder_min_hours`` of each other (a reminder that
falls due sooner is recorded as skipped, with nobody mailed): electors tire of mail, and mail
providers mark a sender that repeats itself as spam. Only the count is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record_for_election
from governance.config import Settings
from governance.elections import lifecycle
from governance.elections.lifecycle import Phase
from governance.elections.models import Contest, Election
from governance.errors import Conflict, InvalidInput, NotFound
from governance.i18n import _
from governance.members.models import Member
from governance.templating import local_time
from governance.voting.credentials import Recipient, mail_context, queue_mail
from governance.voting.models import Credential, Elector, Participation, Reminder

BATCH = 500
SYSTEM = "schedule"  # ``created_by`` is the officer; the audit actor of a scheduled send


@dataclass(frozen=True, slots=True)
class Sent:
    reminder: Reminder
    skipped: bool


def _not_fully_voted(election_id: int) -> object:
    """An elector of the election with a contest on their roll they have not voted in."""
    voted = exists().where(
        Participation.contest_id == Elector.contest_id,
        Participation.member_id == Elector.member_id,
    )
    contests = select(Contest.id).where(Contest.election_id == election_id)
    return exists().where(Elector.member_id == Member.id, Elector.contest_id.in_(contests), ~voted)


async def non_voters(
    session: AsyncSession, election_id: int, after: int = 0, limit: int = BATCH
) -> list[tuple[Recipient, int]]:
    """Electors with a code who have not voted everywhere they may, by member id after
    ``after``, with their code's generation."""
    rows = await session.execute(
        select(Member.id, Member.name, Member.email, Credential.generation)
        .join(
            Credential,
            and_(Credential.member_id == Member.id, Credential.election_id == election_id),
        )
        .where(_not_fully_voted(election_id), Member.id > after)  # type: ignore[arg-type]
        .order_by(Member.id)
        .limit(limit)
    )
    return [
        (Recipient(member, name, email), generation) for member, name, email, generation in rows
    ]


async def count_non_voters(session: AsyncSession, election_id: int) -> int:
    """How many electors a reminder sent now would go to."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Member)
            .join(
                Credential,
                and_(Credential.member_id == Member.id, Credential.election_id == election_id),
            )
            .where(_not_fully_voted(election_id))  # type: ignore[arg-type]
        )
        or 0
    )


async def _last_sent(session: AsyncSession, election_id: int) -> datetime | None:
    return await session.scalar(
        select(Reminder.sent_at)
        .where(Reminder.election_id == election_id, Reminder.sent_at.is_not(None))
        .order_by(Reminder.sent_at.desc())
        .limit(1)
    )


async def _lock_election(session: AsyncSession, election_id: int) -> None:
    """Serialise reminder decisions for one election: a no-op update takes the row's lock on
    PostgreSQL and the write lock on SQLite, so a check made after it is not raced."""
    await session.execute(
        update(Election)
        .where(Election.id == election_id)
        .values(id=Election.id)
        .execution_options(synchronize_session=False)
    )


def _too_soon(settings: Settings, last: datetime | None, now: datetime) -> bool:
    return last is not None and now - last < timedelta(hours=settings.reminder_min_hours)


async def send_now(
    session: AsyncSession, settings: Settings, election: Election, actor: str
) -> Reminder:
    """The returning officer's "send a reminder now", refused within the interval."""
    now = clock.now()
    if lifecycle.phase(election, now) is not Phase.VOTING_OPEN:
        raise Conflict(_("Reminders can be sent only while voting is open."))
    await _lock_election(session, election.id)
    last = await _last_sent(session, election.id)
    if _too_soon(settings, last, now):
        await session.rollback()
        raise Conflict(
            _("A reminder went out at %(last)s. The next can go at %(next)s.")
            % {
                "last": local_time(last, settings.time_zone),
                "next": local_time(
                    (last or now) + timedelta(hours=settings.reminder_min_hours),
                    settings.time_zone,
                ),
            }
        )
    reminder = Reminder(election_id=election.id, due_at=now, created_by=actor, sent_at=now)
    session.add(reminder)
    await session.commit()
    await _deliver(session, settings, election, reminder, actor)
    return reminder


async def _deliver(
    session: AsyncSession, settings: Settings, election: Election, reminder: Reminder, actor: str
) -> None:
    """Queue the mail batch by batch (one transaction each), then record the count."""
    shared = await mail_context(session, settings, election)
    after, recipients = 0, 0
    while batch := await non_voters(session, election.id, after):
        for person, generation in batch:
            if await queue_mail(
                session, "voting_reminder", shared, person, election.id, generation
            ):
                recipients += 1
        after = batch[-1][0].member_id
        await session.commit()
    reminder.recipients = recipients
    await record_for_election(
        session,
        election.id,
        action="reminder.sent",
        actor=actor,
        subject=f"reminder:{reminder.id}",
        payload={"recipients": recipients},  # the count only, never who
    )
    await session.commit()


async def schedule(
    session: AsyncSession, settings: Settings, election: Election, due_at: datetime, actor: str
) -> Reminder:
    """Schedule a reminder for ``due_at`` (within the voting window), audited."""
    if not clock.now() < due_at < election.voting_close_at or due_at <= election.voting_open_at:
        raise InvalidInput({"hours_before": _("Choose a time while voting is open, from now on.")})
    if lifecycle.phase(election, clock.now()) not in (
        Phase.CANDIDATES_PUBLISHED,
        Phase.VOTING_OPEN,
    ):
        raise Conflict(_("Reminders can be scheduled only before voting closes."))
    reminder = Reminder(election_id=election.id, due_at=due_at, created_by=actor)
    session.add(reminder)
    await session.flush()
    await record_for_election(
        session,
        election.id,
        action="reminder.scheduled",
        actor=actor,
        subject=f"reminder:{reminder.id}",
        payload={"due_at": due_at.isoformat()},
    )
    await session.commit()
    return reminder


async def cancel(session: AsyncSession, election: Election, reminder_id: int, actor: str) -> None:
    """Drop a scheduled reminder that has not gone out, audited."""
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None or reminder.election_id != election.id:
        raise NotFound(_("There is no such reminder."))
    if reminder.sent_at is not None:
        raise Conflict(_("This reminder has gone out already."))
    await session.delete(reminder)
    await record_for_election(
        session,
        election.id,
        action="reminder.cancelled",
        actor=actor,
        subject=f"reminder:{reminder_id}",
        payload={"due_at": reminder.due_at.isoformat()},
    )
    await session.commit()


async def of_election(session: AsyncSession, election_id: int) -> list[Reminder]:
    found = await session.scalars(
        select(Reminder).where(Reminder.election_id == election_id).order_by(Reminder.due_at)
    )
    return list(found)


async def _claim(session: AsyncSession, settings: Settings, reminder: Reminder) -> Sent | None:
    """Take a due reminder: the guarded update on ``sent_at`` lets one worker in."""
    now = clock.now()
    await _lock_election(session, reminder.election_id)
    skipped = _too_soon(settings, await _last_sent(session, reminder.election_id), now)
    claimed = await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder.id, Reminder.sent_at.is_(None))
        .values(sent_at=now, recipients=0 if skipped else None)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return None
    if skipped:
        await record_for_election(
            session,
            reminder.election_id,
            action="reminder.skipped",
            actor=SYSTEM,
            subject=f"reminder:{reminder.id}",
            payload={"min_hours": settings.reminder_min_hours},
        )
    await session.commit()
    await session.refresh(reminder)
    return Sent(reminder, skipped)


async def send_due(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Send every scheduled reminder that is due in an open poll; how many went out."""
    due = await session.execute(
        select(Reminder, Election)
        .join(Election, Election.id == Reminder.election_id)
        .where(Reminder.sent_at.is_(None), Reminder.due_at <= now)
        .order_by(Reminder.due_at)
    )
    sent = 0
    for reminder, election in list(due):
        if lifecycle.phase(election, now) is not Phase.VOTING_OPEN:
            continue  # left unsent; the officer's page says the poll closed first
        taken = await _claim(session, settings, reminder)
        if taken is not None and not taken.skipped:
            await _deliver(session, settings, election, reminder, SYSTEM)
            sent += 1
    return sent
