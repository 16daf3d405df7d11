"""The roles of DESIGN.md's "People and what they do", for guards and accounts alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from governance.i18n import N_


class Role(enum.StrEnum):
    """DESIGN: people and what they do."""

    ADMIN = "admin"
    RETURNING_OFFICER = "returning_officer"
    SCRUTINEER = "scrutineer"
    MEMBER = "member"


STAFF_ROLES = (Role.ADMIN, Role.RETURNING_OFFICER, Role.SCRUTINEER)

ROLE_LABELS = {
    Role.ADMIN: N_("an administrator"),
    Role.RETURNING_OFFICER: N_("a returning officer"),
    Role.SCRUTINEER: N_("a scrutineer"),
    Role.MEMBER: N_("a member"),
}

# The role by itself, for lists and mail ("invited as returning officer").
ROLE_NAMES = {
    Role.ADMIN: N_("administrator"),
    Role.RETURNING_OFFICER: N_("returning officer"),
    Role.SCRUTINEER: N_("scrutineer"),
    Role.MEMBER: N_("member"),
}


@dataclass(frozen=True, slots=True)
class Account:
    """Who is signed in, as plain values: safe to use after the request's transaction ends."""

    id: int
    email: str
    name: str
    role_names: frozenset[Role]
    member_id: int | None
