"""Proposers and seconders: the nominee asks members from the register, each is emailed and
confirms or declines in the app. The rules are checked when a supporter confirms (they may change
until then), and each refusal names the rule it applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record_for_election
from governance.elections.lifecycle import Action
from governance.elections.models import Contest, Election
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.i18n import N_, _
from governance.members.models import Member, MemberStatus
from governance.nominations.models import (
    Nomination,
    NominationState,
    Support,
    SupportRole,
    SupportState,
)
from governance.nominations.progress import required
from governance.nominations.service import (
    accepting,
    announced_contest,
    failed_rule,
    own_member,
    own_nomination,
    require,
)
from governance.notify.service import enqueue
from governance.security.roles import Account

SEARCH_LIMIT = 10
OPEN_STATES = (SupportState.REQUESTED.value, SupportState.CONFIRMED.value)


@dataclass(frozen=True, slots=True)
class Asked:
    """A support asked of the signed-in member, with what they need to decide."""

    support: Support
    nominee: Member
    contest: Contest
    election: Election
    answerable: bool


async def members_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(ids)))}


async def search(
    session: AsyncSession, account: Account, nomination_id: int, text: str
) -> list[Member]:
    """Active members by name or membership number, to ask; never the nominee themself.

    Only while the nomination can still ask anyone: the register is not a directory.
    """
    election, _contest, nomination = await own_nomination(session, account, nomination_id)
    needle = " ".join(text.split()).lower()
    standing = nomination.state == NominationState.SUBMITTED.value
    if len(needle) < 2 or not standing or not accepting(election):
        return []
    pattern = f"%{needle.replace('%', '').replace('_', '')}%"
    rows = await session.scalars(
        select(Member)
        .where(
            Member.status == MemberStatus.ACTIVE.value,
            Member.id != account.member_id,
            or_(
                func.lower(Member.name).like(pattern),
                func.lower(Member.membership_number) == needle,
            ),
        )
        .order_by(Member.name, Member.id)
        .limit(SEARCH_LIMIT)
    )
    return list(rows)


async def _request(session: AsyncSession, nomination_id: int, member_id: int, role: str) -> Support:
    """A new request, or a declined or taken-back one asked again (one row per pair of people)."""
    support = await session.scalar(
        select(Support).where(
            Support.nomination_id == nomination_id, Support.member_id == member_id
        )
    )
    if support is not None and support.state in (
        SupportState.REQUESTED.value,
        SupportState.CONFIRMED.value,
    ):
        raise Conflict(_("You have already asked this member to support this nomination."))
    if support is None:
        support = Support(nomination_id=nomination_id, member_id=member_id)
        session.add(support)
    support.role, support.state = role, SupportState.REQUESTED.value
    support.requested_at, support.responded_at = clock.now(), None
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent request for the same pair won the race
        await session.rollback()
        raise Conflict(_("You have already asked this member to support this nomination.")) from (
            error
        )
    return support


async def ask(
    session: AsyncSession,
    account: Account,
    nomination_id: int,
    member_id: int,
    role: str,
    *,
    base_url: str,
) -> Support:
    """Name a member as proposer or seconder and email them; audited and committed."""
    election, contest, nomination = await own_nomination(session, account, nomination_id)
    require(election, Action.SUPPORT, N_("Nominations are not open, so nobody was asked."))
    if nomination.state != NominationState.SUBMITTED.value:
        raise Conflict(_("This nomination has been withdrawn."))
    if role not in {r.value for r in SupportRole}:
        raise InvalidInput({"role": _("Choose proposer or seconder.")})
    supporter = await session.get(Member, member_id)
    if supporter is None:
        raise NotFound(_("There is no such member on the register."))
    if supporter.id == nomination.member_id:
        raise InvalidInput({"q": _("Rule “not the nominee”: you cannot support yourself.")})
    await _lock_nomination(session, nomination.id)
    support = await _request(session, nomination.id, supporter.id, role)
    await _within_slots(session, election, nomination.id, role)
    await record_for_election(
        session,
        election.id,
        action="support.requested",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={"support": support.id, "member": supporter.id, "role": role},
    )
    nominee = await own_member(session, account)
    await enqueue(
        session,
        to=supporter.email,
        template="nomination_support_requested",
        context={
            "name": supporter.name,
            "nominee": nominee.name,
            "contest": contest.name,
            "election": election.title,
            "role": _("proposer") if role == SupportRole.PROPOSER.value else _("seconder"),
            "link": f"{base_url}/my/nominations",
        },
    )
    await session.commit()
    return support


async def _lock_nomination(session: AsyncSession, nomination_id: int) -> None:
    """Serialise changes to one nomination's supporters: a row lock on PostgreSQL. SQLite takes
    its single write lock at the first write, which every caller makes before counting."""
    await session.execute(
        select(Nomination.id).where(Nomination.id == nomination_id).with_for_update()
    )


async def _within_slots(
    session: AsyncSession, election: Election, nomination_id: int, role: str
) -> None:
    """The nomination paper has as many proposer and seconder lines as the election asks for."""
    limit = required(election, role)
    taken = await session.scalar(
        select(func.count())
        .select_from(Support)
        .where(
            Support.nomination_id == nomination_id,
            Support.role == role,
            Support.state.in_(OPEN_STATES),
        )
    )
    if (taken or 0) > limit:
        await session.rollback()  # the request just added, and nothing else, is undone
        raise InvalidInput(
            {
                "role": _(
                    "This election asks for %(count)d %(role)s(s), and you have asked that many "
                    "already. Take back a request that has not been answered to ask someone else."
                )
                % {"count": limit, "role": role}
            }
        )


async def take_back(
    session: AsyncSession, account: Account, nomination_id: int, support_id: int
) -> None:
    """The nominee withdraws a request (say, nobody answers); audited and committed."""
    election, _contest, nomination = await own_nomination(session, account, nomination_id)
    require(election, Action.SUPPORT, N_("Nominations have closed, so the supporters stand."))
    support = next((s for s in nomination.supports if s.id == support_id), None)
    if support is None or support.state not in OPEN_STATES:
        raise NotFound(_("There is no open request with this number on your nomination."))
    support.state, support.responded_at = SupportState.WITHDRAWN.value, clock.now()
    await record_for_election(
        session,
        election.id,
        action="support.taken_back",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={"support": support.id, "member": support.member_id},
    )
    await session.commit()


async def asked_of(session: AsyncSession, account: Account) -> list[Asked]:
    """Every support asked of this member, newest first, with the nominee and the contest."""
    member = await own_member(session, account)
    supports = list(
        await session.scalars(
            select(Support).where(Support.member_id == member.id).order_by(Support.id.desc())
        )
    )
    nominations = {s.nomination_id for s in supports}
    found = {
        n.id: n
        for n in await session.scalars(select(Nomination).where(Nomination.id.in_(nominations)))
    }
    nominees = await members_by_id(session, {n.member_id for n in found.values()})
    rows = []
    for support in supports:
        nomination = found[support.nomination_id]
        election, contest = await announced_contest(session, nomination.contest_id)
        answerable = support.state == SupportState.REQUESTED.value and accepting(election)
        rows.append(Asked(support, nominees[nomination.member_id], contest, election, answerable))
    return rows


async def _asked(
    session: AsyncSession, account: Account, support_id: int
) -> tuple[Election, Contest, Nomination, Support]:
    support = await session.get(Support, support_id)
    if support is None or support.member_id != account.member_id:
        raise NotFound(_("Nobody has asked you for this support."))
    nomination = await session.get(Nomination, support.nomination_id)
    if nomination is None:  # the foreign key rules it out; keeps the type checker honest
        raise NotFound(_("Nobody has asked you for this support."))
    election, contest = await announced_contest(session, nomination.contest_id)
    require(election, Action.SUPPORT, N_("Nominations have closed, so you can no longer answer."))
    if nomination.state != NominationState.SUBMITTED.value:
        raise Conflict(_("The nominee has withdrawn this nomination."))
    return election, contest, nomination, support


async def _answer(session: AsyncSession, support: Support, state: SupportState) -> bool:
    """Record the answer if the request is still open: the first write of the transaction, so
    on SQLite it takes the write lock before any rule is checked."""
    result = await session.execute(
        update(Support)
        .where(Support.id == support.id, Support.state == SupportState.REQUESTED.value)
        .values(state=state.value, responded_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def decline(session: AsyncSession, account: Account, support_id: int) -> None:
    election, _contest, nomination, support = await _asked(session, account, support_id)
    if not await _answer(session, support, SupportState.DECLINED):
        raise Conflict(_("You have already answered this request."))
    await record_for_election(
        session,
        election.id,
        action="support.declined",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={"support": support.id, "member": support.member_id, "role": support.role},
    )
    await session.commit()


async def confirm(session: AsyncSession, account: Account, support_id: int) -> None:
    """Consent to support a nomination, if every rule holds now; audited and committed."""
    election, contest, nomination, support = await _asked(session, account, support_id)
    if not await _answer(session, support, SupportState.CONFIRMED):
        raise Conflict(_("You have already answered this request."))
    # Row locks on PostgreSQL, member before nomination, so concurrent confirmations that could
    # break the support limit or the organisation rules queue instead of both passing.
    await session.execute(select(Member.id).where(Member.id == support.member_id).with_for_update())
    await _lock_nomination(session, nomination.id)
    failure = await broken_rule(session, election, contest, nomination, support)
    if failure is not None:
        await session.rollback()
        raise Forbidden(_("You cannot confirm this support. %(rule)s") % {"rule": failure})
    await record_for_election(
        session,
        election.id,
        action="support.confirmed",
        actor=account.email,
        subject=f"nomination:{nomination.id}",
        payload={"support": support.id, "member": support.member_id, "role": support.role},
    )
    await session.commit()


async def broken_rule(
    session: AsyncSession,
    election: Election,
    contest: Contest,
    nomination: Nomination,
    support: Support,
) -> str | None:
    """The first supporter rule that does not hold, named; None when all hold."""
    people = await members_by_id(session, {support.member_id, nomination.member_id})
    supporter, nominee = people[support.member_id], people[nomination.member_id]
    if supporter.id == nominee.id:
        return _("Rule “not the nominee”: nobody may support their own nomination.")
    voter = failed_rule(
        contest.vote_rule,
        supporter,
        _("Rule “supporters must be eligible to vote in this contest”"),
    )
    if voter is not None:
        return voter
    organisation = _organisation(supporter)
    if election.supporters_other_organisation and organisation == _organisation(nominee) != "":
        return _(
            "Rule “supporters from another organisation”: you and the nominee are both from "
            "%(organisation)s."
        ) % {"organisation": supporter.organisation}
    distinct = election.supporters_distinct_organisations and organisation
    if distinct and await _organisation_taken(session, nomination.id, support.id, organisation):
        return _(
            "Rule “supporters from different organisations”: another supporter of this "
            "nomination is already from %(organisation)s."
        ) % {"organisation": supporter.organisation}
    confirmed = await _confirmed_elsewhere(session, election, support)
    if confirmed >= election.max_supports_per_member:
        return _(
            "Rule “support limit”: a member may support at most %(limit)d nominations in "
            "this election, and you already support %(count)d."
        ) % {"limit": election.max_supports_per_member, "count": confirmed}
    return None


def _organisation(member: Member) -> str:
    # Compared without regard to case or spacing: "Oak Trust" and "oak  trust" are one employer.
    return " ".join(member.organisation.split()).casefold()


async def _organisation_taken(
    session: AsyncSession, nomination_id: int, support_id: int, organisation: str
) -> bool:
    others = await session.scalars(
        select(Member.organisation)
        .join(Support, Support.member_id == Member.id)
        .where(
            Support.nomination_id == nomination_id,
            Support.id != support_id,
            Support.state == SupportState.CONFIRMED.value,
        )
    )
    return any(" ".join(o.split()).casefold() == organisation for o in others)


async def _confirmed_elsewhere(session: AsyncSession, election: Election, support: Support) -> int:
    """Confirmed supports by this member for standing nominations of this election, this one
    excluded."""
    contest_ids = [c.id for c in election.contests]
    count = await session.scalar(
        select(func.count())
        .select_from(Support)
        .join(Nomination, Nomination.id == Support.nomination_id)
        .where(
            Support.member_id == support.member_id,
            Support.id != support.id,
            Support.state == SupportState.CONFIRMED.value,
            Nomination.contest_id.in_(contest_ids),
            Nomination.state == NominationState.SUBMITTED.value,
        )
    )
    return count or 0


async def supporter_rows(
    session: AsyncSession, nomination: Nomination
) -> list[tuple[Support, Member]]:
    """The nomination's supports with the members asked, in the order they were asked."""
    people = await members_by_id(session, {s.member_id for s in nomination.supports})
    return [(s, people[s.member_id]) for s in nomination.supports]
