"""Writing and reading audit events. Events are added to the caller's session, so they commit or
roll back with the change they record (DESIGN: lifecycle, "in the same database transaction").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit import chain as chain_rules
from governance.audit.models import PLATFORM_CHAIN, AuditEvent, AuditHead, election_chain

_SECRET_KEYS = frozenset({"password", "token", "code", "secret", "link", "session"})


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, the form every event carries."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _refuse_secrets(payload: Mapping[str, Any]) -> None:
    """No password, code or token is ever written to the chain (issue: audit log core)."""
    leaked = _SECRET_KEYS & {key.lower() for key in payload}
    if leaked:
        raise ValueError(f"audit payload may not carry secrets: {', '.join(sorted(leaked))}")


async def _lock_head(session: AsyncSession, chain: str) -> AuditHead:
    """Take the chain's head row for this transaction: later writers wait until we commit.

    The insert comes first because on SQLite it is what takes the database's write lock (reads
    before it run outside any transaction), and on PostgreSQL it creates a new chain's row.
    """
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    await session.execute(
        insert(AuditHead)
        .values(chain=chain, seq=0, hash=chain_rules.GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    heads = await session.scalars(
        select(AuditHead)
        .where(AuditHead.chain == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return heads.one()


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor: str | None,
    subject: str | None = None,
    payload: Mapping[str, Any] | None = None,
    chain: str = PLATFORM_CHAIN,
) -> AuditEvent:
    """Append one event to ``chain`` in the caller's transaction."""
    body = dict(payload or {})
    _refuse_secrets(body)
    head = await _lock_head(session, chain)
    seq, prev_hash = head.seq + 1, head.hash
    occurred_at = _timestamp(clock.now())
    sealed = chain_rules.seal(
        chain=chain,
        seq=seq,
        prev_hash=prev_hash,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        subject=subject,
        payload=body,
    )
    event = AuditEvent(
        chain=chain,
        seq=seq,
        prev_hash=prev_hash,
        hash=sealed["hash"],
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        subject=subject,
        payload=body,
    )
    session.add(event)
    head.seq, head.hash = seq, sealed["hash"]
    await session.flush()
    return event


async def record_for_election(
    session: AsyncSession,
    election_id: int,
    *,
    action: str,
    actor: str,
    subject: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the election's own chain, in the caller's transaction.

    The subject is the election itself unless the event concerns a part of it (a contest, a
    nomination): a verifier reading one election's export sees every step it went through.
    """
    return await record(
        session,
        action=action,
        actor=actor,
        subject=subject or f"election:{election_id}",
        payload=payload,
        chain=election_chain(election_id),
    )


def as_exported(event: AuditEvent) -> dict[str, Any]:
    """The event as the documented export format has it (the fields its hash covers, plus hash)."""
    return {
        "chain": event.chain,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "payload": event.payload,
        "hash": event.hash,
    }


async def events(session: AsyncSession, chain: str) -> AsyncIterator[AuditEvent]:
    """A chain's events in sequence order, streamed."""
    result = await session.stream_scalars(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    )
    async for event in result:
        yield event


async def head(session: AsyncSession, chain: str) -> tuple[int, str]:
    """How many events a chain has and its head hash (what a declaration prints)."""
    row = await session.get(AuditHead, chain, populate_existing=True)
    return (row.seq, row.hash) if row else (0, chain_rules.GENESIS_HASH)
