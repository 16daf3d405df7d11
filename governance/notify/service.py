"""The outbox: other features call :func:`enqueue`; admins list, read and re-queue messages.

:func:`enqueue` adds the message to the caller's session and does not commit: the message is
stored with the action that caused it, or not at all (a rolled-back nomination sends nothing).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from governance import clock
from governance.audit.service import record
from governance.config import Settings
from governance.errors import Conflict, DomainError, NotFound
from governance.i18n import _
from governance.notify.compose import compose
from governance.notify.models import OutboxMessage, OutboxState

PAGE_SIZE = 50


class UndeliverableAddress(DomainError):
    status_code = 422


def _checked_address(to: str) -> str:
    try:
        return validate_email(to.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise UndeliverableAddress(
            _("Mail cannot be sent to “%(address)s”: it is not an email address.") % {"address": to}
        ) from error


async def enqueue(
    session: AsyncSession, *, to: str, template: str, context: Mapping[str, Any]
) -> OutboxMessage:
    """Render ``templates/notify/<template>.{txt,html}`` and add the message to the caller's
    transaction, due at once. The caller commits; its id is set at the next flush.
    """
    recipient = _checked_address(to)
    composed = compose(template, context)
    now = clock.now()
    message = OutboxMessage(
        key=secrets.token_hex(16),
        template=template,
        recipient=recipient,
        subject=composed.subject,
        text_body=composed.text,
        html_body=composed.html,
        state=OutboxState.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


async def recent(
    session: AsyncSession, *, before: int | None = None, limit: int = PAGE_SIZE
) -> list[OutboxMessage]:
    """The newest messages first, without their bodies; ``before`` pages back by id."""
    query = (
        select(OutboxMessage)
        .options(defer(OutboxMessage.text_body), defer(OutboxMessage.html_body))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    return list(await session.scalars(query))


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many messages are in each state (every state present, zero or not)."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    found = {state: int(number) for state, number in rows}
    return {state.value: found.get(state.value, 0) for state in OutboxState}


async def message(session: AsyncSession, message_id: int) -> OutboxMessage:
    found = await session.get(OutboxMessage, message_id)
    if found is None:
        raise NotFound(_("There is no message with this number in the outbox."))
    return found


async def send_again(session: AsyncSession, message_id: int, *, actor: str) -> None:
    """Put a failed message back in the queue with fresh attempts (say, after fixing the SMTP
    settings), audited and committed.
    """
    requeued = await session.scalar(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.FAILED.value)
        .values(
            state=OutboxState.PENDING.value,
            attempts=0,
            next_attempt_at=clock.now(),
            claimed_by=None,
            claimed_at=None,
        )
        .returning(OutboxMessage.recipient)
    )
    if requeued is None:
        await message(session, message_id)  # 404 when it does not exist at all
        raise Conflict(_("Only a message that failed can be sent again."))
    await record(
        session,
        action="outbox.requeued",
        actor=actor,
        subject=f"outbox:{message_id}",
        payload={"recipient": requeued},
    )
    await session.commit()


async def send_test_message(
    session: AsyncSession, settings: Settings, *, to: str, actor: str
) -> OutboxMessage:
    """Queue ``test_message`` so an admin can check that mail arrives, audited and committed."""
    queued = await enqueue(
        session,
        to=to,
        template="test_message",
        context={"sender": actor, "link": f"{settings.base_url}/admin/outbox"},
    )
    await session.flush()
    await record(
        session,
        action="outbox.test_queued",
        actor=actor,
        subject=f"outbox:{queued.id}",
        payload={"recipient": queued.recipient},
    )
    await session.commit()
    return queued
