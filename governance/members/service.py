"""Keeping the register right: search, add, edit, lapse and reinstate, each audited with the values
before and after. The bulk CSV import lives in ``importing.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.models import User
from governance.audit.service import record
from governance.errors import InvalidInput, NotFound
from governance.i18n import _
from governance.members import rules
from governance.members.models import Member, MemberStatus
from governance.web.fields import Problems, parse_text

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class MemberForm:
    """A register entry as a person types it; ``check_member`` turns it into clean values."""

    membership_number: str = ""
    name: str = ""
    email: str = ""
    organisation: str = ""
    region: str = ""
    category: str = ""
    status: str = MemberStatus.ACTIVE.value
    joined_on: str = ""


@dataclass(frozen=True, slots=True)
class MemberQuery:
    text: str = ""
    status: str = ""
    region: str = ""
    page: int = 1


@dataclass(slots=True)
class MemberPage:
    members: list[Member]
    total: int
    query: MemberQuery
    regions: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def check_member(form: MemberForm) -> dict[str, Any]:
    """Clean values for the register, or InvalidInput naming each bad field.

    The register's own rules (``members/rules.py``, shared with the CSV import) decide what a
    number, an address, a status and a joining date are; the form parsers bound the text by the
    columns it is stored in.
    """
    problems: Problems = {}
    number = parse_text(
        rules.membership_number(form.membership_number),
        "membership_number",
        problems,
        Member.membership_number,
        required=_("Enter the membership number."),
        single_line=False,
    )
    name = parse_text(
        form.name, "name", problems, Member.name, required=_("Enter the member's name.")
    )
    email = rules.email(form.email)
    if email is None:
        problems["email"] = _("Enter an email address like name@example.org.")
    if not rules.is_status(form.status):
        problems["status"] = _("Choose active, lapsed or suspended.")
    joined: date | None = None
    try:
        joined = rules.joined_on(form.joined_on)
    except ValueError:
        problems["joined_on"] = _("Enter the date as YYYY-MM-DD, for example 2024-09-01.")
    values: dict[str, Any] = {
        "membership_number": number,
        "name": name,
        "email": email,
        "organisation": parse_text(
            form.organisation, "organisation", problems, Member.organisation
        ),
        "region": parse_text(form.region, "region", problems, Member.region),
        "category": parse_text(form.category, "category", problems, Member.category),
        "status": form.status,
        "joined_on": joined,
    }
    if problems:
        raise InvalidInput(problems)
    return values


def _filtered(query: MemberQuery) -> Select[Member]:
    statement = select(Member)
    if text := query.text.strip():
        pattern = f"%{text.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Member.name).like(pattern),
                func.lower(Member.membership_number).like(pattern),
                Member.email.like(pattern),
                func.lower(Member.organisation).like(pattern),
            )
        )
    if query.status:
        statement = statement.where(Member.status == query.status)
    if query.region:
        statement = statement.where(Member.region == query.region)
    return statement


async def search(session: AsyncSession, query: MemberQuery) -> MemberPage:
    """One page of the register, filtered by free text, status and region."""
    statement = _filtered(query)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = max(1, query.page)
    members = await session.scalars(
        statement.order_by(Member.name, Member.membership_number)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    regions = await session.scalars(
        select(Member.region).where(Member.region != "").distinct().order_by(Member.region)
    )
    return MemberPage(list(members), int(total), query, list(regions))


async def get(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(_("There is no member with that id in the register."))
    return member


async def has_account(session: AsyncSession, member: Member) -> bool:
    return await session.scalar(select(User.id).where(User.member_id == member.id)) is not None


async def _number_taken(session: AsyncSession, number: str, other_than: int | None) -> bool:
    statement = select(Member.id).where(Member.membership_number == number)
    if other_than is not None:
        statement = statement.where(Member.id != other_than)
    return await session.scalar(statement) is not None


async def add(session: AsyncSession, actor: str, form: MemberForm) -> Member:
    values = check_member(form)
    if await _number_taken(session, values["membership_number"], None):
        raise InvalidInput({"membership_number": _("Another member has this membership number.")})
    now = clock.now()
    member = Member(**values, attributes={}, created_at=now, updated_at=now)
    session.add(member)
    await session.flush()
    await record(
        session,
        action="member.added",
        actor=actor,
        subject=f"member:{member.id}",
        payload={"after": member.snapshot()},
    )
    await session.commit()
    return member


async def edit(session: AsyncSession, actor: str, member_id: int, form: MemberForm) -> Member:
    member = await get(session, member_id)
    values = check_member(form)
    if await _number_taken(session, values["membership_number"], member.id):
        raise InvalidInput({"membership_number": _("Another member has this membership number.")})
    await apply_change(session, actor, member, values, action="member.changed")
    await session.commit()
    return member


async def set_status(
    session: AsyncSession, actor: str, member_id: int, status: MemberStatus, reason: str
) -> Member:
    """Lapse, suspend or reinstate a member, with the reason recorded in the audit log."""
    member = await get(session, member_id)
    if not reason.strip():
        raise InvalidInput({"reason": _("Give a reason; it is kept in the audit log.")})
    values = {"status": status.value}
    await apply_change(session, actor, member, values, action="member.status", reason=reason)
    await session.commit()
    return member


async def apply_change(
    session: AsyncSession,
    actor: str,
    member: Member,
    values: dict[str, Any],
    *,
    action: str,
    reason: str = "",
) -> bool:
    """Change a register entry in the caller's transaction, auditing before and after.

    Returns whether anything changed; an unchanged entry writes no event.
    """
    before = member.snapshot()
    for name, value in values.items():
        setattr(member, name, value)
    after = member.snapshot()
    if after == before:
        return False  # nothing changed, nothing to record
    member.updated_at = clock.now()
    payload: dict[str, Any] = {"before": before, "after": after}
    if reason:
        payload["reason"] = _collapse(reason)
    await record(
        session, action=action, actor=actor, subject=f"member:{member.id}", payload=payload
    )
    return True
