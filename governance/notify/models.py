"""The ``outbox`` table: every message waits here until a sender has delivered it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base, UTCDateTime


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or for a retry (``next_attempt_at``)
    SENDING = "sending"  # claimed by one sender, whose lease runs from ``claimed_at``
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # refused for good, or out of attempts


_STATE_VALUES = ", ".join(f"'{state.value}'" for state in OutboxState)


class OutboxMessage(Base):
    """One message, written in the same transaction as the action that caused it.

    A sender claims a row by moving it to ``sending`` with its own ``claimed_by`` token; every
    later write is guarded by that token, so a sender whose lease ran out cannot record over the
    one that took the row next.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_VALUES})", name="known_state"),
        # The claim query: due rows in order of when they fall due.
        Index(None, "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    # Random, fixed at enqueue: the Message-ID is built from it, so a retry carries the same one.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    template: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
