"""Every table of the application, imported in one place for Alembic and the schema checks."""

from __future__ import annotations

from governance.accounts.models import AccessLink, AuthSession, LoginAttempt, User, UserRole
from governance.audit.models import AuditEvent, AuditHead
from governance.bodies.models import Body, SeatCategory, SeatHolding
from governance.challenges.models import RollChallenge
from governance.db import Base
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.nominations.models import Candidate, Nomination, Support
from governance.notify.models import OutboxMessage
from governance.voting.models import (
    Ballot,
    CodeAttempt,
    Credential,
    Elector,
    Participation,
    Reminder,
    Roll,
)

metadata = Base.metadata

__all__ = [
    "AccessLink",
    "AuditEvent",
    "AuditHead",
    "AuthSession",
    "Ballot",
    "Body",
    "Candidate",
    "CodeAttempt",
    "Contest",
    "Credential",
    "Election",
    "Elector",
    "LoginAttempt",
    "Member",
    "Nomination",
    "OutboxMessage",
    "Participation",
    "Reminder",
    "Roll",
    "RollChallenge",
    "SeatCategory",
    "SeatHolding",
    "Support",
    "User",
    "UserRole",
    "metadata",
]
