"""Who runs each election. An election has one returning officer (DESIGN: roles): whoever set it
up, until an administrator hands it to another account holding the role. The check that only
that officer changes the election is ``service.get_as_officer``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts.models import User, UserRole
from governance.audit.service import record_for_election
from governance.elections import service
from governance.elections.models import Election
from governance.errors import InvalidInput, NotFound
from governance.i18n import _
from governance.security.roles import Account, Role


@dataclass(frozen=True, slots=True)
class Officer:
    id: int
    name: str
    email: str


async def returning_officers(session: AsyncSession) -> list[Officer]:
    """Active accounts holding the returning officer role: who an election can be handed to."""
    rows = await session.execute(
        select(User.id, User.name, User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.RETURNING_OFFICER.value, User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    return [Officer(*row) for row in rows]


async def _chosen(session: AsyncSession, officer_id: int) -> Officer:
    found = next((o for o in await returning_officers(session) if o.id == officer_id), None)
    if found is None:
        raise InvalidInput({"officer_id": _("Choose a returning officer from the list.")})
    return found


async def hand_over(
    session: AsyncSession, admin: Account, election_id: int, officer_id: int
) -> Election:
    """Make another returning officer the election's own; audited with before and after."""
    try:
        election = await service.get(session, election_id)
    except NotFound as error:
        raise InvalidInput({"election_id": _("Choose an election from the list.")}) from error
    officer = await _chosen(session, officer_id)
    if officer.id == election.returning_officer_id:
        raise InvalidInput(
            {
                "officer_id": _("%(name)s already runs this election; choose someone else.")
                % {"name": officer.name}
            }
        )
    # Accounts appear in the chain by email, as actors do (audit.service.record).
    previous = await session.scalar(
        select(User.email).where(User.id == election.returning_officer_id)
    )
    before = {"returning_officer_id": election.returning_officer_id, "returning_officer": previous}
    election.returning_officer_id = officer.id
    await record_for_election(
        session,
        election.id,
        action="election.officer_changed",
        actor=admin.email,
        payload={
            "before": before,
            "after": {"returning_officer_id": officer.id, "returning_officer": officer.email},
        },
    )
    await session.commit()
    return election
