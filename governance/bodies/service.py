"""Rules for bodies and seat holdings: seats add up, nobody holds two seats at once, a category's
seats are not exceeded, and every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record
from governance.bodies.models import Body, SeatCategory, SeatHolding, TenureEnd
from governance.errors import InvalidInput, NotFound
from governance.i18n import _
from governance.members.models import Member
from governance.web.fields import Problems, parse_date, parse_int, parse_text


@dataclass(frozen=True, slots=True)
class BodyForm:
    name: str = ""
    description: str = ""
    seats: str = ""
    term_months: str = ""
    categories: str = ""  # one per line: "East Midlands = 1"


@dataclass(frozen=True, slots=True)
class HoldingForm:
    membership_number: str = ""
    category: str = ""
    starts_on: str = ""
    ends_on: str = ""


@dataclass(frozen=True, slots=True)
class HolderRow:
    holding: SeatHolding
    member: Member
    category: str


def _parse_categories(text: str, problems: Problems) -> dict[str, int]:
    categories: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, _sep, seats_text = line.rpartition("=")
        line_problems: Problems = {}
        name = parse_text(name, "name", line_problems, SeatCategory.name)
        seats = parse_int(seats_text, "seats", line_problems, minimum=1, column=SeatCategory.seats)
        if not name or seats is None:
            problems["categories"] = _(
                'Line %(line)d: write each category as "name = seats", e.g. "East Midlands = 1".'
            ) % {"line": number}
            return {}
        if line_problems:  # a name longer than the column holds
            problems["categories"] = _("Line %(line)d: %(problem)s") % {
                "line": number,
                "problem": line_problems["name"],
            }
            return {}
        categories[name] = seats
    return categories


def check_body(form: BodyForm) -> tuple[str, str, int, int, dict[str, int]]:
    problems: Problems = {}
    name = parse_text(form.name, "name", problems, Body.name, required=_("Enter the body's name."))
    seats = parse_int(form.seats, "seats", problems, minimum=1, column=Body.seats)
    term = parse_int(form.term_months, "term_months", problems, minimum=1, column=Body.term_months)
    categories = _parse_categories(form.categories, problems)
    if seats is not None and sum(categories.values()) > seats:
        problems["categories"] = _(
            "The categories reserve %(reserved)d seats but the body has only %(seats)d."
        ) % {"reserved": sum(categories.values()), "seats": seats}
    if problems or seats is None or term is None:
        raise InvalidInput(problems)
    return name, form.description.strip(), seats, term, categories


async def bodies(session: AsyncSession) -> list[Body]:
    return list(await session.scalars(select(Body).order_by(Body.name)))


async def get(session: AsyncSession, body_id: int) -> Body:
    body = await session.get(Body, body_id)
    if body is None:
        raise NotFound(_("There is no such body."))
    return body


async def create(session: AsyncSession, actor: str, form: BodyForm) -> Body:
    name, description, seats, term, categories = check_body(form)
    if await session.scalar(select(Body.id).where(Body.name == name)) is not None:
        raise InvalidInput({"name": _("A body with this name already exists.")})
    body = Body(
        name=name,
        description=description,
        seats=seats,
        term_months=term,
        created_at=clock.now(),
        categories=[SeatCategory(name=n, seats=s) for n, s in categories.items()],
    )
    session.add(body)
    await session.flush()
    payload = {"name": name, "seats": seats, "term_months": term, "categories": categories}
    await record(
        session, action="body.created", actor=actor, subject=f"body:{body.id}", payload=payload
    )
    await session.commit()
    return body


def _overlapping(body_id: int, starts: date, ends: date | None) -> list[ColumnElement[bool]]:
    """Holdings of the body whose period meets [starts, ends] (an open end runs for ever)."""
    conditions: list[ColumnElement[bool]] = [
        SeatHolding.body_id == body_id,
        or_(SeatHolding.ends_on.is_(None), SeatHolding.ends_on >= starts),
    ]
    if ends is not None:
        conditions.append(SeatHolding.starts_on <= ends)
    return conditions


async def _count(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> int:
    statement = select(func.count()).select_from(SeatHolding).where(*conditions)
    return int(await session.scalar(statement) or 0)


async def record_holding(
    session: AsyncSession, actor: str, body_id: int, form: HoldingForm
) -> SeatHolding:
    """Record by hand that a member holds a seat (certified elections will do this later)."""
    body = await get(session, body_id)
    problems: dict[str, str] = {}
    member = await session.scalar(
        select(Member).where(Member.membership_number == form.membership_number.strip())
    )
    if member is None:
        problems["membership_number"] = _("No member has this membership number.")
    starts = parse_date(form.starts_on, "starts_on", problems)
    if starts is None and "starts_on" not in problems:
        problems["starts_on"] = _("Enter the date the seat was taken.")
    ends = parse_date(form.ends_on, "ends_on", problems)
    category = next((c for c in body.categories if c.name == form.category), None)
    if form.category and category is None:
        problems["category"] = _("Choose one of this body's seat categories.")
    if problems or member is None or starts is None:
        raise InvalidInput(problems)
    await _check_room(session, body, member, category, starts, ends)
    holding = SeatHolding(
        body_id=body.id,
        member_id=member.id,
        category_id=category.id if category else None,
        starts_on=starts,
        ends_on=ends,
        source="manual",
        created_at=clock.now(),
    )
    session.add(holding)
    await session.flush()
    await record(
        session,
        action="body.holding_recorded",
        actor=actor,
        subject=f"body:{body.id}",
        payload={
            "member": member.membership_number,
            "category": form.category or None,
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat() if ends else None,
        },
    )
    await session.commit()
    return holding


async def _check_room(
    session: AsyncSession,
    body: Body,
    member: Member,
    category: SeatCategory | None,
    starts: date,
    ends: date | None,
) -> None:
    overlapping = _overlapping(body.id, starts, ends)
    if await _count(session, [*overlapping, SeatHolding.member_id == member.id]):
        raise InvalidInput({"membership_number": _("This member already holds a seat then.")})
    if await _count(session, overlapping) >= body.seats:
        raise InvalidInput(
            {"starts_on": _("All %(seats)d seats are already held then.") % {"seats": body.seats}}
        )
    if (
        category
        and await _count(session, [*overlapping, SeatHolding.category_id == category.id])
        >= category.seats
    ):
        raise InvalidInput(
            {
                "category": _("All %(seats)d seats for %(category)s are already held then.")
                % {"seats": category.seats, "category": category.name}
            }
        )


async def end_holding(
    session: AsyncSession, actor: str, body_id: int, holding_id: int, ends_on: str, reason: str
) -> SeatHolding:
    """A resignation (or other end of tenure) recorded with its date."""
    holding = await session.get(SeatHolding, holding_id)
    if holding is None or holding.body_id != body_id:
        raise NotFound(_("There is no such seat holding."))
    problems: dict[str, str] = {}
    ends = parse_date(ends_on, "ends_on", problems)
    if ends is None and not problems:
        problems["ends_on"] = _("Enter the date the tenure ended.")
    if reason not in {end.value for end in TenureEnd}:
        problems["end_reason"] = _("Choose why the tenure ended.")
    if ends is not None and ends < holding.starts_on:
        problems["ends_on"] = _("The end cannot be before the start (%(start)s).") % {
            "start": holding.starts_on.isoformat()
        }
    if problems:
        raise InvalidInput(problems)
    holding.ends_on, holding.end_reason = ends, reason
    await record(
        session,
        action="body.holding_ended",
        actor=actor,
        subject=f"body:{holding.body_id}",
        payload={"holding": holding.id, "ends_on": ends_on.strip(), "reason": reason},
    )
    await session.commit()
    return holding


async def holders(session: AsyncSession, body: Body, on: date) -> list[HolderRow]:
    """Who holds the body's seats on a given day, by category then name."""
    rows = await session.execute(
        select(SeatHolding, Member)
        .join(Member, Member.id == SeatHolding.member_id)
        .where(*_overlapping(body.id, on, on))
        .order_by(Member.name)
    )
    names = {c.id: c.name for c in body.categories}
    result = [HolderRow(h, m, names.get(h.category_id or 0, "")) for h, m in rows]
    return sorted(result, key=lambda row: (row.category, row.member.name))
