"""Every table of the application, imported in one place for Alembic and the schema checks."""

from __future__ import annotations

from governance.accounts.models import AccessLink, AuthSession, LoginAttempt, User, UserRole
from governance.audit.models import AuditEvent, AuditHead
from governance.db import Base
from governance.members.models import Member

metadata = Base.metadata

__all__ = [
    "AccessLink",
    "AuditEvent",
    "AuditHead",
    "AuthSession",
    "LoginAttempt",
    "Member",
    "User",
    "UserRole",
    "metadata",
]
