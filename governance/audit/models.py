"""The append-only ``audit_events`` table (DESIGN invariants 4 and 5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base

PLATFORM_CHAIN = "platform"


def election_chain(election_id: object) -> str:
    return f"election:{election_id}"


class AuditEvent(Base):
    """One link of a hash chain. UPDATE and DELETE are refused by triggers (see the migration).

    ``(chain, seq)`` is unique, so two concurrent writers can never fork a chain: the second
    to commit the same sequence number fails instead.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    chain: Mapped[str] = mapped_column(String(80), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Kept as the exact text that was hashed, so an export reproduces the hash byte for byte.
    occurred_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditHead(Base):
    """The last event of each chain. Appending locks this row first (a row lock on PostgreSQL, the
    write lock on SQLite), so concurrent writers to one chain queue instead of reading the same
    head; the unique ``(chain, seq)`` above is the backstop. Derivable from ``audit_events``.
    """

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
