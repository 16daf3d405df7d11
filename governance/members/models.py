"""The register of members, the source of every electorate."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base, UTCDateTime


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    SUSPENDED = "suspended"


_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in MemberStatus)

# The register's own fields, in the order a CSV export writes them; anything else a body keeps
# about its members lives in ``attributes``.
MEMBER_FIELDS = (
    "membership_number",
    "name",
    "email",
    "organisation",
    "region",
    "category",
    "status",
    "joined_on",
)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="known_status"),
        Index(None, "name"),
        Index(None, "email"),
        Index(None, "status", "region"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    organisation: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.ACTIVE.value)
    joined_on: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, Any]:
        """The member's register entry as plain values, for audit events (before and after)."""
        values: dict[str, Any] = {name: getattr(self, name) for name in MEMBER_FIELDS}
        values["joined_on"] = self.joined_on.isoformat() if self.joined_on else None
        values["attributes"] = dict(self.attributes or {})
        return values
