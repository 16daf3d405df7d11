"""Nominations, the supporters each one asks for, and the published candidates."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, UTCDateTime


class NominationState(enum.StrEnum):
    SUBMITTED = "submitted"  # standing; complete once enough supporters confirm before the close
    WITHDRAWN = "withdrawn"


class Review(enum.StrEnum):
    PENDING = "pending"
    VALID = "valid"
    INVALID = "invalid"


class SupportRole(enum.StrEnum):
    PROPOSER = "proposer"
    SECONDER = "seconder"


class SupportState(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the nominee took the request back


def _values(kind: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{item.value}'" for item in kind)


class Nomination(Base):
    """A member standing in a contest: one per member per contest (the unique key keeps it so)."""

    __tablename__ = "nominations"
    __table_args__ = (
        UniqueConstraint("contest_id", "member_id"),
        CheckConstraint(f"state IN ({_values(NominationState)})", name="known_state"),
        CheckConstraint(f"review IN ({_values(Review)})", name="known_review"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)  # Markdown as the nominee wrote it
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # re-encoded JPEG
    declaration_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default=NominationState.SUBMITTED.value)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review: Mapped[str] = mapped_column(String(20), default=Review.PENDING.value)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supports: Mapped[list[Support]] = relationship(
        back_populates="nomination", lazy="selectin", order_by="Support.id"
    )


class Support(Base):
    """A proposer or seconder asked by a nominee, and whether they consented."""

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("nomination_id", "member_id"),
        CheckConstraint(f"role IN ({_values(SupportRole)})", name="known_role"),
        CheckConstraint(f"state IN ({_values(SupportState)})", name="known_state"),
        Index(None, "member_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    role: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=SupportState.REQUESTED.value)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nomination: Mapped[Nomination] = relationship(back_populates="supports")


class Candidate(Base):
    """A valid nomination on the published candidate list; the ballot order is fixed here."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("contest_id", "ballot_position"),
        UniqueConstraint("nomination_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    ballot_position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))  # as it appears on the ballot
    organisation: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
