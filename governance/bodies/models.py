"""Bodies, their seat categories, and the record of who held which seat, from when, until when."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, UTCDateTime


class Body(Base):
    __tablename__ = "bodies"
    __table_args__ = (
        CheckConstraint("seats > 0", name="has_seats"),
        CheckConstraint("term_months > 0", name="has_term"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    seats: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    categories: Mapped[list[SeatCategory]] = relationship(
        back_populates="body",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="SeatCategory.name",
    )


class SeatCategory(Base):
    """A share of a body's seats reserved for one group, e.g. one seat for each region."""

    __tablename__ = "seat_categories"
    __table_args__ = (
        UniqueConstraint("body_id", "name"),
        CheckConstraint("seats > 0", name="has_seats"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    name: Mapped[str] = mapped_column(String(120))
    seats: Mapped[int] = mapped_column(Integer)
    body: Mapped[Body] = relationship(back_populates="categories")


class TenureEnd(enum.StrEnum):
    TERM_ENDED = "term_ended"
    RESIGNED = "resigned"
    REMOVED = "removed"
    DIED = "died"


class SeatHolding(Base):
    """One member holding one seat of a body for a period. Certified elections add these; until
    then an admin records them by hand (``source`` says which)."""

    __tablename__ = "seat_holdings"
    __table_args__ = (
        Index(None, "body_id", "starts_on"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("seat_categories.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
