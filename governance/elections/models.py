"""Elections (a timetable and settings for one body) and their contests (seats, method, rules)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, UTCDateTime


class BallotOrder(enum.StrEnum):
    ALPHABETICAL = "alphabetical"
    RANDOM = "random"  # drawn with a seed recorded in the audit chain when candidates are published


class Election(Base):
    __tablename__ = "elections"
    __table_args__ = (
        CheckConstraint(
            "nominations_open_at < nominations_close_at AND nominations_close_at <= voting_open_at"
            " AND voting_open_at < voting_close_at",
            name="timetable_in_order",
        ),
        CheckConstraint("statement_word_limit > 0", name="positive_word_limit"),
        CheckConstraint("proposers_required >= 0 AND seconders_required >= 0", name="supporters"),
        CheckConstraint("max_supports_per_member > 0", name="positive_support_limit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The timetable, in UTC; shown in the body's time zone.
    nominations_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    nominations_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_open_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Settings, locked once nominations open.
    statement_word_limit: Mapped[int] = mapped_column(Integer, default=250)
    proposers_required: Mapped[int] = mapped_column(Integer, default=1)
    seconders_required: Mapped[int] = mapped_column(Integer, default=1)
    supporters_other_organisation: Mapped[bool] = mapped_column(Boolean, default=True)
    supporters_distinct_organisations: Mapped[bool] = mapped_column(Boolean, default=True)
    max_supports_per_member: Mapped[int] = mapped_column(Integer, default=2)
    publish_ballots: Mapped[bool] = mapped_column(Boolean, default=False)
    # A "Re-open nominations" option on ranked and single-choice ballots (counted as a candidate).
    re_open_nominations: Mapped[bool] = mapped_column(Boolean, default=False)
    ballot_order: Mapped[str] = mapped_column(String(20), default=BallotOrder.ALPHABETICAL.value)
    # Steps taken by the returning officer; with the clock they decide the phase (lifecycle.py).
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once, by whoever first finds the voting window open (a guarded update): from then on
    # the rolls are frozen and the voting codes issued.
    voting_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once every elector has a voting code and its mail is queued: until then any worker
    # that finds the poll open carries on issuing where the last one stopped.
    voting_codes_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    candidates_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ballot_seed: Mapped[str | None] = mapped_column(String(64))
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    elected_unopposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("elections.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # DESIGN roles: the one returning officer who owns the election; only they change it.
    returning_officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contests: Mapped[list[Contest]] = relationship(
        back_populates="election",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Contest.position",
    )


class Contest(Base):
    """One race within an election, e.g. regional seats and national seats."""

    __tablename__ = "contests"
    __table_args__ = (CheckConstraint("seats > 0", name="has_seats"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    stand_rule: Mapped[str] = mapped_column(Text, default="")  # eligibility rule: who may stand
    vote_rule: Mapped[str] = mapped_column(Text, default="")  # eligibility rule: who may vote
    # Category constraints passed to the count: [{"dimension", "value", "minimum", "maximum"}].
    constraints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    elected_unopposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    election: Mapped[Election] = relationship(back_populates="contests")
