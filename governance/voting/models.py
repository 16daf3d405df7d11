"""The roll of each contest, the marked register and the ballot box.

Three promises are kept here, by the database rather than by the code that writes the rows:

- DESIGN invariant 1, one member one vote: ``participations`` has the primary key
  (contest, member), so a second participation for the same elector cannot be stored.
- DESIGN invariant 2, ballot secrecy: ``ballots`` has no member, no time and no sequence; its
  key is random and, on SQLite, the table is WITHOUT ROWID, so its physical order is the key's.
- DESIGN invariant 4, append-only: ``participations`` and ``ballots`` refuse UPDATE and DELETE
  (triggers, made by ``governance.db.append_only_ddl`` in migration 0008).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base, UTCDateTime


class Roll(Base):
    """A contest's electorate, frozen: the row exists once, from the moment voting opens.

    Inserting it is what decides which of several concurrent callers freezes the electorate
    (the primary key lets only one in); ``electors`` and ``digest`` are filled in by that same
    transaction, so no reader ever sees the zeros it starts with.
    """

    __tablename__ = "rolls"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_rule: Mapped[str] = mapped_column(Text)  # the rule as it was applied
    electors: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the sorted membership numbers


class Elector(Base):
    """One member on one contest's frozen roll."""

    __tablename__ = "electorate"
    # Clustered on the key: a million-row freeze writes one B-tree, not a table and an index.
    __table_args__ = ({"sqlite_with_rowid": False},)

    contest_id: Mapped[int] = mapped_column(ForeignKey("rolls.contest_id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)


class Participation(Base):
    """The marked register: this elector has voted in this contest (never how).

    The primary key is DESIGN invariant 1. The foreign key to the electorate means only an
    elector on the frozen roll can be marked, and nobody marked can be taken off the roll.
    """

    __tablename__ = "participations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["contest_id", "member_id"], ["electorate.contest_id", "electorate.member_id"]
        ),
        {"sqlite_with_rowid": False},
    )

    contest_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ballot(Base):
    """One cast ballot: a random key and the marks as canonical JSON, and nothing else.

    DESIGN invariant 2: no column refers to a member or a time, and the key comes from
    ``secrets``, so neither a reader of the table nor its physical order (WITHOUT ROWID on
    SQLite: rows are stored in key order) links a ballot to its participation.
    """

    __tablename__ = "ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # 16 random bytes, hex
    content: Mapped[str] = mapped_column(Text)


class Credential(Base):
    """An elector's voting code for one election, held only as a keyed hash.

    One row per (election, member): the code covers every contest of the election the member is
    on the roll of. Reissuing a code raises ``generation`` and replaces ``code_hash``, so the old
    code, and any voting pass made from it, stops working. ``message_id`` is the latest mail that
    carried the code, so the returning officer can see whether it was queued, sent or refused.
    """

    __tablename__ = "credentials"

    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA-256, hex
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("outbox.id")
    )


class Reminder(Base):
    """A reminder to electors who have not yet voted: sent now, or scheduled ahead of the close.

    ``sent_at`` is set by whoever claims it (a guarded update), so a reminder goes out once.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int | None] = mapped_column(Integer)


class CodeAttempt(Base):
    """A wrong voting code, counted per client address and across the open polls to rate-limit
    guessing (issue 11). Kept in the database, as ``LoginAttempt`` is, so every worker shares
    the count. A right code, or a try refused by the limit, leaves no row.
    """

    __tablename__ = "voting_code_attempts"
    __table_args__ = (
        Index(None, "client_address", "attempted_at"),
        Index(None, "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
