"""What became of each elector's voting mail, for the returning officer (issue 11, item 2).

Mail that does not arrive is the most common failure of e-ballots (VOTING-AND-RESULTS-NOTES:
OpaVote's most frequent request is "I didn't get the email"), so each elector's latest voting
mail is shown as queued, sent or refused, with the mail server's own words when it refused.
"Sent" means our SMTP server accepted it, as OpaVote's "in transit": what happens after (a spam
folder) is out of our sight, which the page says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.members.models import Member
from governance.notify.models import OutboxMessage, OutboxState
from governance.voting.credentials import on_roll
from governance.voting.models import Credential

PAGE_SIZE = 50


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waiting, being sent, or waiting to retry after a temporary refusal
    SENT = "sent"  # the mail server accepted it
    REFUSED = "refused"  # refused for good, or out of attempts
    NOT_MAILED = "not_mailed"  # the register's address cannot take mail


_STATE = case(
    (OutboxMessage.state == OutboxState.SENT.value, MailState.SENT.value),
    (OutboxMessage.state == OutboxState.FAILED.value, MailState.REFUSED.value),
    (OutboxMessage.state.is_(None), MailState.NOT_MAILED.value),
    else_=MailState.QUEUED.value,
)


@dataclass(frozen=True, slots=True)
class ElectorMail:
    member_id: int
    membership_number: str
    name: str
    email: str
    generation: int
    issued_at: datetime
    state: str
    last_error: str | None  # the server's reason, for a refusal or a retry
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[ElectorMail]
    matching: int
    page: int
    pages: int


async def summary(session: AsyncSession, election_id: int) -> dict[str, Any]:
    """How many electors there are, how many have a code, and their mail's states."""
    rows = await session.execute(
        select(_STATE, func.count())
        .select_from(Credential)
        .outerjoin(OutboxMessage, OutboxMessage.id == Credential.message_id)
        .where(Credential.election_id == election_id)
        .group_by(_STATE)
    )
    found = {state: int(number) for state, number in rows}
    electors = await session.scalar(
        select(func.count()).select_from(on_roll(election_id).distinct().subquery())
    )
    return {
        "states": {state.value: found.get(state.value, 0) for state in MailState},
        "issued": sum(found.values()),
        "electors": int(electors or 0),
    }


async def electors(
    session: AsyncSession, election_id: int, search: str = "", page: int = 1
) -> Listing:
    """One page of electors with a code, by membership number; ``search`` matches a membership
    number exactly (any case) or part of a name."""
    condition = Credential.election_id == election_id
    if text := search.strip()[:200]:
        condition = condition & or_(
            func.lower(Member.membership_number) == text.lower(),
            func.lower(Member.name).contains(text.lower(), autoescape=True),
        )
    base = (
        select(Credential, Member, OutboxMessage)
        .join(Member, Member.id == Credential.member_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Credential.message_id)
        .where(condition)
    )
    matching = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = await session.execute(
        base.order_by(Member.membership_number).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return Listing([_row(*row) for row in rows], matching, page, pages)


def _row(credential: Credential, member: Member, message: OutboxMessage | None) -> ElectorMail:
    if message is None:
        state = MailState.NOT_MAILED.value
    elif message.state == OutboxState.SENT.value:
        state = MailState.SENT.value
    elif message.state == OutboxState.FAILED.value:
        state = MailState.REFUSED.value
    else:
        state = MailState.QUEUED.value
    return ElectorMail(
        member_id=member.id,
        membership_number=member.membership_number,
        name=member.name,
        email=member.email,
        generation=credential.generation,
        issued_at=credential.issued_at,
        state=state,
        last_error=message.last_error if message else None,
        sent_at=message.sent_at if message else None,
    )


async def one(session: AsyncSession, election_id: int, member_id: int) -> ElectorMail | None:
    row = (
        await session.execute(
            select(Credential, Member, OutboxMessage)
            .join(Member, Member.id == Credential.member_id)
            .outerjoin(OutboxMessage, OutboxMessage.id == Credential.message_id)
            .where(Credential.election_id == election_id, Credential.member_id == member_id)
        )
    ).first()
    return _row(*row) if row else None
