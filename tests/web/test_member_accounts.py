"""Members' own accounts: activation by emailed one-time link, password sign-in, sign-in links;
requests never reveal whether an address is on the register."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import PASSWORD, csrf_from, make_member, make_user, post_form, sign_in

from governance.accounts.models import LoginAttempt, User
from governance.accounts.sessions import SESSION_COOKIE
from governance.members.models import Member
from governance.notify.models import OutboxMessage
from governance.security.roles import Role


async def _member(db: AsyncSession, status: str = "active") -> Member:
    return await make_member(
        db,
        "T-7",
        "Mary Somerville",
        email="mary@example.org",
        organisation="North Trust",
        region="Scotland",
        status=status,
    )


async def _mail_link(db: AsyncSession, template: str) -> str:
    message = await db.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.template == template)
        .order_by(OutboxMessage.id.desc())
    )
    assert message is not None, f"no {template} message in the outbox"
    match = re.search(r"https?://\S+(/(?:activate|login/link)/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


async def _outbox_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_admin_invites_a_member_who_activates_once_and_signs_in(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    member = await _member(db)
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")
    page = f"/admin/members/{member.id}"
    invited = await post_form(client, page, f"{page}/invite", {})
    assert invited.status_code == 303
    path = await _mail_link(db, "member_activation")
    await post_form(client, "/", "/logout", {})
    form = await client.get(path)
    assert form.status_code == 200 and "Mary Somerville" in form.text
    short = await client.post(path, data={"password": "short", "_csrf_token": csrf_from(form)})
    assert short.status_code == 422 and "Use at least 12 characters." in short.text
    done = await client.post(
        path, data={"password": PASSWORD, "_csrf_token": csrf_from(form)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert (await client.get(path)).status_code == 410
    user = await db.scalar(select(User).where(User.email == "mary@example.org"))
    assert user is not None and user.member_id == member.id and user.role_names == {Role.MEMBER}
    assert (await sign_in(client, "mary@example.org")).status_code == 303


async def test_a_member_whose_address_has_an_account_proves_it_with_that_password(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """The emailed link proves the mailbox, not the staff account that uses the same address."""
    member_id = (await _member(db)).id
    await make_user(db, "mary@example.org", {Role.RETURNING_OFFICER}, name="Mary Somerville")
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")
    page = f"/admin/members/{member_id}"
    await post_form(client, page, f"{page}/invite", {})
    path = await _mail_link(db, "member_activation")
    await post_form(client, "/", "/logout", {})
    form = await client.get(path)
    assert form.status_code == 200 and "An account already uses mary@example.org" in form.text
    assert 'autocomplete="current-password"' in form.text
    wrong = await client.post(
        path, data={"password": "a brand new password", "_csrf_token": csrf_from(form)}
    )
    assert wrong.status_code == 422
    assert "That is not the password of the account that uses mary@example.org." in wrong.text
    db.expire_all()
    user = await db.scalar(select(User).where(User.email == "mary@example.org"))
    assert user is not None and user.member_id is None and Role.MEMBER not in user.role_names
    assert await db.scalar(select(func.count()).select_from(LoginAttempt)) == 1
    done = await client.post(
        path, data={"password": PASSWORD, "_csrf_token": csrf_from(form)}, follow_redirects=False
    )
    assert done.status_code == 303
    db.expire_all()
    user = await db.scalar(select(User).where(User.email == "mary@example.org"))
    assert user is not None and user.member_id == member_id
    assert user.role_names == {Role.RETURNING_OFFICER, Role.MEMBER}
    assert (await sign_in(client, "mary@example.org")).status_code == 303


async def test_asking_for_activation_never_reveals_who_is_on_the_register(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _member(db)
    unknown = await post_form(client, "/activate", "/activate", {"email": "nobody@example.org"})
    known = await post_form(client, "/activate", "/activate", {"email": "Mary@Example.org"})
    assert unknown.status_code == known.status_code == 200
    strip = lambda text: re.sub(r'value="[^"]+"', "", text)  # noqa: E731 - CSRF tokens differ
    assert strip(unknown.text) == strip(known.text)
    assert await _outbox_count(db) == 1


async def test_link_requests_per_address_are_limited(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _member(db)
    for _ in range(5):
        await post_form(client, "/activate", "/activate", {"email": "mary@example.org"})
    assert await _outbox_count(db) == 3


async def test_a_lapsed_member_gets_no_activation_link(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _member(db, status="lapsed")
    await post_form(client, "/activate", "/activate", {"email": "mary@example.org"})
    assert await _outbox_count(db) == 0


async def test_a_sign_in_link_signs_in_once_after_a_button_press(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "member@example.org", {Role.MEMBER})
    await post_form(client, "/login/link", "/login/link", {"email": "member@example.org"})
    path = await _mail_link(db, "sign_in_link")
    confirm = await client.get(path)
    assert confirm.status_code == 200 and SESSION_COOKIE not in client.cookies
    used = await client.post(path, data={"_csrf_token": csrf_from(confirm)}, follow_redirects=False)
    assert used.status_code == 303 and SESSION_COOKIE in client.cookies
    again = await client.post(path, data={"_csrf_token": csrf_from(confirm)})
    assert again.status_code == 410


async def test_staff_get_no_sign_in_link_and_must_use_their_password(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN, Role.MEMBER})
    response = await post_form(client, "/login/link", "/login/link", {"email": "admin@example.org"})
    assert response.status_code == 200 and "If that address has an account" in response.text
    assert await _outbox_count(db) == 0


async def test_a_sign_in_link_for_an_unknown_address_sends_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    response = await post_form(client, "/login/link", "/login/link", {"email": "who@example.org"})
    assert response.status_code == 200 and "If that address has an account" in response.text
    assert await _outbox_count(db) == 0
