"""Roll challenges: a member says their register entry is wrong; an admin or returning officer
accepts (correcting the register in the same transaction) or rejects, with a reason. Every step
is audited and the member is told by email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record
from governance.challenges.models import ChallengeState, RollChallenge
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.i18n import _
from governance.members import service as register
from governance.members.models import Member
from governance.notify.service import enqueue
from governance.security.roles import Account

MAX_REASON = 2000


def _reason(text: str, field: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput({field: _("Say what is wrong and what it should be.")})
    if len(reason) > MAX_REASON:
        raise InvalidInput({field: _("Use at most %(count)d characters.") % {"count": MAX_REASON}})
    return reason


async def own_member(session: AsyncSession, account: Account) -> Member:
    """The register entry of a signed-in member."""
    member = await session.get(Member, account.member_id or 0)
    if member is None:
        raise Forbidden(_("Your account is not linked to a register entry."))
    return member


async def lodge(session: AsyncSession, account: Account, text: str) -> RollChallenge:
    member = await own_member(session, account)
    reason = _reason(text, "reason")
    pending = await session.scalar(
        select(RollChallenge.id).where(
            RollChallenge.member_id == member.id, RollChallenge.state == ChallengeState.OPEN.value
        )
    )
    if pending is not None:
        raise Conflict(_("You already have a challenge waiting for a decision."))
    challenge = RollChallenge(member_id=member.id, reason=reason, lodged_at=clock.now())
    session.add(challenge)
    await session.flush()
    await record(
        session,
        action="challenge.lodged",
        actor=account.email,
        subject=f"member:{member.id}",
        payload={"challenge": challenge.id, "reason": reason},
    )
    await session.commit()
    return challenge


async def of_member(session: AsyncSession, member_id: int) -> list[RollChallenge]:
    return list(
        await session.scalars(
            select(RollChallenge)
            .where(RollChallenge.member_id == member_id)
            .order_by(RollChallenge.lodged_at.desc())
        )
    )


async def queue(session: AsyncSession) -> list[tuple[RollChallenge, Member]]:
    """Open challenges, oldest first, with the register entries they concern."""
    rows = await session.execute(
        select(RollChallenge, Member)
        .join(Member, Member.id == RollChallenge.member_id)
        .where(RollChallenge.state == ChallengeState.OPEN.value)
        .order_by(RollChallenge.lodged_at)
    )
    return [(challenge, member) for challenge, member in rows]


def _not_own(actor: Account, challenge: RollChallenge) -> None:
    """Separation of duties: nobody decides a challenge to their own register entry."""
    if actor.member_id == challenge.member_id:
        raise Forbidden(_("You cannot decide a challenge to your own register entry."))


async def open_challenge(session: AsyncSession, challenge_id: int) -> tuple[RollChallenge, Member]:
    challenge = await session.get(RollChallenge, challenge_id)
    if challenge is None:
        raise NotFound(_("There is no such challenge."))
    if challenge.state != ChallengeState.OPEN.value:
        raise Conflict(_("This challenge has already been decided."))
    member = await session.get(Member, challenge.member_id)
    if member is None:
        raise NotFound(_("There is no such member."))
    return challenge, member


async def accept(
    session: AsyncSession,
    actor: Account,
    challenge_id: int,
    correction: register.MemberForm,
    decision: str,
) -> RollChallenge:
    """Accept a challenge: correct the register entry and record both in one transaction."""
    challenge, member = await open_challenge(session, challenge_id)
    _not_own(actor, challenge)
    reason = _reason(decision, "decision")
    values = register.check_member(correction)
    if values["membership_number"] != member.membership_number:
        raise InvalidInput(
            {"membership_number": _("A challenge cannot change the membership number.")}
        )
    await register.apply_change(
        session, actor.email, member, values, action="member.changed", reason=reason
    )
    await _decide(session, actor, challenge, member, ChallengeState.ACCEPTED, reason)
    return challenge


async def reject(
    session: AsyncSession, actor: Account, challenge_id: int, decision: str
) -> RollChallenge:
    challenge, member = await open_challenge(session, challenge_id)
    _not_own(actor, challenge)
    reason = _reason(decision, "decision")
    await _decide(session, actor, challenge, member, ChallengeState.REJECTED, reason)
    return challenge


async def _decide(
    session: AsyncSession,
    actor: Account,
    challenge: RollChallenge,
    member: Member,
    state: ChallengeState,
    reason: str,
) -> None:
    challenge.state = state.value
    challenge.decided_by, challenge.decided_at, challenge.decision = actor.id, clock.now(), reason
    await record(
        session,
        action=f"challenge.{state.value}",
        actor=actor.email,
        subject=f"member:{member.id}",
        payload={"challenge": challenge.id, "decision": reason},
    )
    await enqueue(
        session,
        to=member.email,
        template="challenge_decided",
        context={
            "name": member.name,
            "accepted": state is ChallengeState.ACCEPTED,
            "decision": reason,
            "challenge": challenge.reason,
        },
    )
    await session.commit()
