"""Members' own accounts: activation from the register by an emailed one-time link, and one-time
sign-in links instead of a password.

A request for a link never reveals whether an address is on the register or has an account: the
answer is the same either way, and requests per address are limited so nobody can flood a
member's inbox.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.accounts.links import find_link, issue_link, use_link
from governance.accounts.models import (
    AccessLink,
    LinkPurpose,
    User,
    UserRole,
)
from governance.accounts.service import NewAccount, create_user
from governance.accounts.sessions import SignInFailed, authenticate
from governance.audit.service import record
from governance.config import Settings
from governance.errors import Conflict, InvalidInput, NotFound
from governance.i18n import _
from governance.members.models import Member, MemberStatus
from governance.members.service import has_account
from governance.notify.service import enqueue
from governance.security.roles import STAFF_ROLES, Account, Role
from governance.web.fields import normalise_email

ACTIVATION_LIFETIME = timedelta(days=7)
SIGN_IN_LIFETIME = timedelta(minutes=15)
LINKS_PER_ADDRESS = 3  # within SIGN_IN_LIFETIME, per purpose


async def _recent_links(session: AsyncSession, email: str, purpose: LinkPurpose) -> int:
    since = clock.now() - SIGN_IN_LIFETIME
    statement = select(func.count()).where(
        AccessLink.email == email,
        AccessLink.purpose == purpose.value,
        AccessLink.created_at > since,
    )
    return int(await session.scalar(statement) or 0)


async def _send_activation(
    session: AsyncSession, settings: Settings, member: Member, actor: str
) -> None:
    token = await issue_link(
        session,
        settings,
        LinkPurpose.MEMBER_ACTIVATION,
        ACTIVATION_LIFETIME,
        email=member.email,
        role=Role.MEMBER,
        member_id=member.id,
    )
    link = f"{settings.base_url}/activate/{token}"
    await enqueue(
        session,
        to=member.email,
        template="member_activation",
        context={"name": member.name, "link": link, "days": ACTIVATION_LIFETIME.days},
    )
    await record(
        session, action="member.activation_sent", actor=actor, subject=f"member:{member.id}"
    )


async def invite_member(
    session: AsyncSession, settings: Settings, actor: Account, member_id: int
) -> None:
    """Staff send a member the link that activates their account."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(_("There is no member with that id in the register."))
    if member.status != MemberStatus.ACTIVE.value:
        raise Conflict(
            _("Only active members can have an account; this member is %(status)s.")
            % {"status": member.status}
        )
    if await has_account(session, member):
        raise Conflict(_("This member already has an account."))
    await _send_activation(session, settings, member, actor.email)
    await session.commit()


async def request_activation(session: AsyncSession, settings: Settings, email: str) -> None:
    """A member asks for their activation link; the answer never says whether they are listed."""
    address = normalise_email(email)[:320]
    member = await session.scalar(
        select(Member).where(Member.email == address, Member.status == MemberStatus.ACTIVE.value)
    )
    throttled = (
        await _recent_links(session, address, LinkPurpose.MEMBER_ACTIVATION) >= LINKS_PER_ADDRESS
    )
    if member is None or throttled or await has_account(session, member):
        return
    await _send_activation(session, settings, member, "member")
    await session.commit()


async def activation_member(session: AsyncSession, settings: Settings, token: str) -> Member:
    link = await find_link(session, settings, LinkPurpose.MEMBER_ACTIVATION, token)
    member = await session.get(Member, link.member_id or 0)
    if member is None or member.status != MemberStatus.ACTIVE.value:
        raise Conflict(
            _("Your membership is not active, so no account can be made. Ask the administrator.")
        )
    return member


async def account_for(session: AsyncSession, member: Member) -> User | None:
    """The account that already uses the member's address (a staff account, say), if any."""
    return await session.scalar(select(User).where(User.email == member.email))


async def activate(
    session: AsyncSession, settings: Settings, token: str, password: str, client_address: str
) -> User:
    """Create the member's account, or add the membership to the account with the same address.

    Adding it to an existing account needs that account's password, checked as a sign-in is
    (failures counted and limited): the emailed link proves the mailbox, not the account, and
    the password typed on the page must never be silently ignored.
    """
    link = await find_link(session, settings, LinkPurpose.MEMBER_ACTIVATION, token)
    member = await activation_member(session, settings, token)
    existing = await account_for(session, member)
    if existing is None:
        form = NewAccount(email=member.email, name=member.name, password=password)
        user = await create_user(session, form, frozenset({Role.MEMBER}), actor=member.email)
    else:
        user = await _confirm_owner(session, settings, member, password, client_address)
        if Role.MEMBER not in user.role_names:
            user.roles.append(UserRole(role=Role.MEMBER.value))
    user.member_id = member.id
    await use_link(session, link)
    await record(
        session,
        action="member.activated",
        actor=member.email,
        subject=f"member:{member.id}",
        payload={"user": user.id, "linked_existing_account": existing is not None},
    )
    await session.commit()
    return user


async def _confirm_owner(
    session: AsyncSession, settings: Settings, member: Member, password: str, client_address: str
) -> User:
    try:
        return await authenticate(session, settings, member.email, password, client_address)
    except SignInFailed as error:
        problem = _("That is not the password of the account that uses %(email)s.")
        raise InvalidInput({"password": problem % {"email": member.email}}) from error


async def request_sign_in_link(session: AsyncSession, settings: Settings, email: str) -> None:
    """Mail a one-time sign-in link to a member's account; the same answer whatever the address.

    Staff accounts sign in with their password only: a mailbox alone must not open an account
    that can change the register or run an election.
    """
    address = normalise_email(email)[:320]
    user = await session.scalar(select(User).where(User.email == address, User.is_active.is_(True)))
    if (
        user is None
        or _is_staff(user)
        or await _recent_links(session, address, LinkPurpose.SIGN_IN) >= LINKS_PER_ADDRESS
    ):
        return
    token = await issue_link(
        session, settings, LinkPurpose.SIGN_IN, SIGN_IN_LIFETIME, email=address
    )
    link = f"{settings.base_url}/login/link/{token}"
    await enqueue(
        session,
        to=address,
        template="sign_in_link",
        context={"name": user.name, "link": link, "minutes": 15},
    )
    await session.commit()


async def redeem_sign_in_link(session: AsyncSession, settings: Settings, token: str) -> User:
    """Use a sign-in link once; the caller then starts a session for the returned account."""
    link = await find_link(session, settings, LinkPurpose.SIGN_IN, token)
    user = await session.scalar(
        select(User).where(User.email == link.email, User.is_active.is_(True))
    )
    if user is None or _is_staff(user):
        raise NotFound(_("This link cannot sign this account in. Sign in with your password."))
    await use_link(session, link)
    return user


def _is_staff(user: User) -> bool:
    return bool(user.role_names & set(STAFF_ROLES))
