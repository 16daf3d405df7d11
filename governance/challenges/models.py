"""A member's challenge to their own register entry, and the decision on it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base, UTCDateTime


class ChallengeState(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


_STATES = ", ".join(f"'{state.value}'" for state in ChallengeState)


class RollChallenge(Base):
    __tablename__ = "roll_challenges"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="known_state"),
        Index(None, "state", "lodged_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=ChallengeState.OPEN.value)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(Text)
