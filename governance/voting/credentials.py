"""Voting credentials: a code for every elector, mailed when voting opens; resend and reissue.

DESIGN "Voting and results", two ways in: every elector is mailed a personal link carrying a
voting code. Issuing runs in batches (``ISSUE_BATCH`` electors a transaction), so no long
transaction holds the database, and it is idempotent: an elector's credential is inserted with
ON CONFLICT DO NOTHING and their mail is queued only for a row this transaction inserted, in the
same transaction. A run that dies half way, or two runs at once, leave each elector exactly one
credential and one mail; the next run carries on with whoever has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record_for_election
from governance.config import Settings
from governance.elections import lifecycle
from governance.elections import service as elections
from governance.elections.lifecycle import Phase
from governance.elections.models import Contest, Election
from governance.errors import Conflict, NotFound
from governance.i18n import _
from governance.members.models import Member
from governance.notify.models import OutboxMessage
from governance.notify.service import UndeliverableAddress, enqueue
from governance.templating import local_time
from governance.voting import codes
from governance.voting.models import Credential, Elector

log = structlog.get_logger(__name__)

ISSUE_BATCH = 500
CODE_PAGE = "/vote/code"


@dataclass(frozen=True, slots=True)
class Recipient:
    member_id: int
    name: str
    email: str


def new_code_hash(settings: Settings, election_id: int, member_id: int, generation: int) -> str:
    code = codes.derive(settings.secret_key, election_id, member_id, generation)
    return codes.code_hash(settings.secret_key, code)


async def mail_context(
    session: AsyncSession, settings: Settings, election: Election
) -> dict[str, Any]:
    """What every elector's voting mail of this election shares (placeholders are per elector)."""
    return {
        "election": election.title,
        "close": local_time(election.voting_close_at, settings.time_zone),
        "code_page": f"{settings.base_url}{CODE_PAGE}",
        "officer": await elections.officer_name(session, election),
    }


async def queue_mail(
    session: AsyncSession,
    template: str,
    shared: dict[str, Any],
    recipient: Recipient,
    election_id: int,
    generation: int,
) -> OutboxMessage | None:
    """Queue one elector's mail carrying placeholders for their code (notify/fillers.py): the
    outbox row never holds the code. None when the register's address cannot take mail; the
    returning officer's page shows that elector as not mailed."""
    context = {
        **shared,
        "name": recipient.name,
        "code": codes.code_placeholder(election_id, recipient.member_id, generation),
        "link": codes.link_placeholder(election_id, recipient.member_id, generation),
    }
    try:
        return await enqueue(session, to=recipient.email, template=template, context=context)
    except UndeliverableAddress:
        log.warning("voting mail not queued: unusable address", member=recipient.member_id)
        return None


def on_roll(election_id: int) -> Any:
    """The member ids on the roll of any contest of the election."""
    contests = select(Contest.id).where(Contest.election_id == election_id)
    return select(Elector.member_id).where(Elector.contest_id.in_(contests))


async def _waiting(session: AsyncSession, election_id: int, limit: int) -> list[Recipient]:
    """Electors of the election who have no credential yet, lowest member id first."""
    has_credential = exists().where(
        Credential.election_id == election_id, Credential.member_id == Member.id
    )
    rows = await session.execute(
        select(Member.id, Member.name, Member.email)
        .where(Member.id.in_(on_roll(election_id)), ~has_credential)
        .order_by(Member.id)
        .limit(limit)
    )
    return [Recipient(member_id, name, email) for member_id, name, email in rows]


async def _insert_new(
    session: AsyncSession, settings: Settings, election_id: int, people: Sequence[Recipient]
) -> set[int]:
    """Insert generation-1 credentials; the member ids whose row this transaction inserted."""
    rows = [
        {
            "election_id": election_id,
            "member_id": person.member_id,
            "generation": 1,
            "code_hash": new_code_hash(settings, election_id, person.member_id, 1),
            "issued_at": clock.now(),
        }
        for person in people
    ]
    dialect = session.get_bind().dialect.name
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    inserted = await session.scalars(
        upsert(Credential)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["election_id", "member_id"])
        .returning(Credential.member_id)
    )
    return set(inserted)


async def issue_batch(
    session: AsyncSession, settings: Settings, election: Election, limit: int = ISSUE_BATCH
) -> int:
    """Issue codes to up to ``limit`` electors who have none and queue their mail; commit.

    Returns how many this call issued (0 when every elector has a credential).
    """
    people = await _waiting(session, election.id, limit)
    if not people:
        return 0
    try:
        inserted = await _insert_new(session, settings, election.id, people)
        shared = await mail_context(session, settings, election)
        queued: list[tuple[int, OutboxMessage]] = []
        for person in people:
            if person.member_id in inserted:
                message = await queue_mail(session, "voting_code", shared, person, election.id, 1)
                if message is not None:
                    queued.append((person.member_id, message))
        await session.flush()
        if queued:
            await session.execute(
                update(Credential),
                [
                    {"election_id": election.id, "member_id": member_id, "message_id": message.id}
                    for member_id, message in queued
                ],
            )
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return len(inserted)


# --- The returning officer's resend and reissue ---------------------------------------------


async def _credential(session: AsyncSession, election_id: int, member_id: int) -> Credential:
    found = await session.get(Credential, (election_id, member_id), with_for_update=True)
    if found is None:
        raise NotFound(_("This member has no voting code in this election."))
    return found


def _require_open(election: Election) -> None:
    if lifecycle.phase(election, clock.now()) is not Phase.VOTING_OPEN:
        raise Conflict(_("Voting codes can be sent only while voting is open."))


async def _recipient(session: AsyncSession, member_id: int) -> tuple[Recipient, str]:
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(_("There is no such member."))
    return Recipient(member.id, member.name, member.email), member.membership_number


async def resend(
    session: AsyncSession, settings: Settings, election: Election, member_id: int, actor: str
) -> None:
    """Queue the elector's current code again (same code: one they may already hold), audited."""
    _require_open(election)
    credential = await _credential(session, election.id, member_id)
    await _mail_again(session, settings, election, credential, "voting_code.resent", actor)


async def reissue(
    session: AsyncSession, settings: Settings, election: Election, member_id: int, actor: str
) -> None:
    """Replace the elector's code with a new one and mail it; the old code, and every voting
    pass made from it (voters.py: the cast checks the generation), stop working. Audited."""
    _require_open(election)
    credential = await _credential(session, election.id, member_id)
    credential.generation += 1
    credential.code_hash = new_code_hash(settings, election.id, member_id, credential.generation)
    credential.issued_at = clock.now()
    await _mail_again(session, settings, election, credential, "voting_code.reissued", actor)


async def _mail_again(
    session: AsyncSession,
    settings: Settings,
    election: Election,
    credential: Credential,
    action: str,
    actor: str,
) -> None:
    recipient, number = await _recipient(session, credential.member_id)
    shared = await mail_context(session, settings, election)
    message = await queue_mail(
        session, "voting_code", shared, recipient, election.id, credential.generation
    )
    if message is None:
        await session.rollback()
        raise Conflict(
            _("The register's email address for this member cannot take mail; correct it first.")
        )
    await session.flush()
    credential.message_id = message.id
    # By membership number, never the code (issue 11): the chain is public to scrutineers.
    await record_for_election(
        session,
        election.id,
        action=action,
        actor=actor,
        subject=f"member:{credential.member_id}",
        payload={"membership_number": number, "generation": credential.generation},
    )
    await session.commit()
