"""Sign-in, sign-out, set-up link, invitations, CSRF, role guards and rate limits, over HTTP."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import PASSWORD, csrf_from, make_user, post_form, sign_in

from governance.accounts.links import issue_setup_link
from governance.accounts.models import AuthSession, LoginAttempt, User
from governance.accounts.sessions import SESSION_COOKIE
from governance.audit.models import AuditEvent
from governance.config import Settings
from governance.notify.models import OutboxMessage
from governance.security.roles import Role


async def test_home_page_renders_with_security_headers(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "<title>Home – Governance</title>" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_health_check_answers_from_the_database(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_unknown_page_is_a_styled_404_without_a_trace(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text


async def test_sign_in_sets_a_fresh_http_only_session_and_sign_out_drops_it(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    first = await sign_in(client, "ro@example.org")
    assert first.status_code == 303
    cookie_header = first.headers["set-cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header
    first_token = client.cookies[SESSION_COOKIE]
    second = await sign_in(client, "ro@example.org")
    assert second.status_code == 303
    assert client.cookies[SESSION_COOKIE] != first_token, "the session id rotates at sign-in"
    live = await db.scalar(
        select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))
    )
    assert live == 1, "the earlier session of this browser was revoked"
    home = await client.get("/")
    assert "Sign out" in home.text
    await post_form(client, "/", "/logout", {})
    home = await client.get("/")
    assert "Sign in" in home.text and "Sign out" not in home.text
    live = await db.scalar(
        select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))
    )
    assert live == 0


async def test_wrong_password_is_refused_and_audited_without_the_password(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    response = await sign_in(client, "ro@example.org", "not the password at all")
    assert response.status_code == 400
    assert "do not match an account" in response.text
    assert SESSION_COOKIE not in client.cookies
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")))
    assert len(events) == 1
    assert "not the password" not in str(events[0].payload)


async def test_what_was_typed_as_the_address_never_reaches_the_audit_chain(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await sign_in(client, "MyPassw0rd-typed-in-the-wrong-box", "anything at all")
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    assert event is not None and event.subject is None
    stored = [str(a.account) for a in await db.scalars(select(LoginAttempt))]
    everything = f"{event.payload} {event.subject} {stored}".lower()
    assert "mypassw0rd" not in everything


async def test_post_without_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await client.get("/login")
    response = await client.post("/login", data={"email": "ro@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert SESSION_COOKIE not in client.cookies


async def test_staff_page_needs_an_admin(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "scrutineer@example.org", {Role.SCRUTINEER})
    anonymous = await client.get("/admin/staff", follow_redirects=False)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"] == "/login?next=/admin/staff"
    await sign_in(client, "scrutineer@example.org")
    response = await client.get("/admin/staff")
    assert response.status_code == 403
    assert "This page is for an administrator." in response.text


async def test_failed_sign_ins_are_limited_per_account(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    for _ in range(settings.login_failures_per_account):
        assert (await sign_in(client, "admin@example.org", "wrong guess 123")).status_code == 400
    refused = await sign_in(client, "admin@example.org")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts for this account" in refused.text
    assert SESSION_COOKIE not in client.cookies


async def test_failed_sign_ins_are_limited_per_client_address(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    for number in range(settings.login_failures_per_address):
        response = await sign_in(client, f"guess{number}@example.org", "wrong guess 123")
        assert response.status_code == 400
    refused = await sign_in(client, "admin@example.org")
    assert refused.status_code == 429
    assert "from your network" in refused.text


async def test_setup_link_creates_the_first_admin_once(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    token = await issue_setup_link(db, settings)
    assert token
    page = await client.get(f"/setup/{token}")
    assert page.status_code == 200
    fields = {"name": "Ada Admin", "email": "Ada@Example.org", "password": PASSWORD}
    created = await client.post(
        f"/setup/{token}", data={**fields, "_csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert created.status_code == 303
    admin = await db.scalar(select(User).where(User.email == "ada@example.org"))
    assert admin is not None and admin.role_names == {Role.ADMIN}
    again = await client.get(f"/setup/{token}")
    assert again.status_code == 410
    assert "already been used" in again.text
    reuse = await client.post(
        f"/setup/{token}",
        data={**fields, "email": "eve@example.org", "_csrf_token": csrf_from(page)},
    )
    assert reuse.status_code == 410
    assert await db.scalar(select(func.count()).select_from(User)) == 1
    assert await issue_setup_link(db, settings) is None, "no setup link once an admin exists"


async def test_setup_form_names_each_bad_field_and_stores_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    token = await issue_setup_link(db, settings)
    response = await post_form(
        client,
        f"/setup/{token}",
        f"/setup/{token}",
        {"name": "", "email": "not-an-address", "password": "short"},
    )
    assert response.status_code == 422
    assert "Enter your name." in response.text
    assert "Enter an email address like name@example.org." in response.text
    assert "Use at least 12 characters." in response.text
    assert await db.scalar(select(func.count()).select_from(User)) == 0
    assert (await client.get(f"/setup/{token}")).status_code == 200, "the link still works"


async def test_admin_invites_staff_who_accepts_once_and_signs_in(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")
    invited = await post_form(
        client,
        "/admin/staff",
        "/admin/staff/invitations",
        {"email": "ro@example.org", "role": "returning_officer"},
    )
    assert invited.status_code == 200
    link = invited.text.split('class="invitation-link">', 1)[1].split("<", 1)[0]
    mail = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "staff_invitation")
    )
    assert mail is not None and mail.recipient == "ro@example.org" and link in mail.text_body
    assert "as returning officer" in mail.text_body
    path = link.split("testserver.local", 1)[-1].replace("http://127.0.0.1:8000", "")
    await post_form(client, "/", "/logout", {})
    accepted = await post_form(client, path, path, {"name": "Rita Officer", "password": PASSWORD})
    assert accepted.status_code == 303
    assert (await client.get(path)).status_code == 410
    signed = await sign_in(client, "ro@example.org")
    assert signed.status_code == 303
    user = await db.scalar(select(User).where(User.email == "ro@example.org"))
    assert user is not None and user.role_names == {Role.RETURNING_OFFICER}


async def test_an_account_with_several_roles_keeps_them_all_when_signed_in(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "both@example.org", {Role.ADMIN, Role.RETURNING_OFFICER, Role.MEMBER})
    await sign_in(client, "both@example.org")
    assert (await client.get("/admin/staff")).status_code == 200
    assert (await client.get("/ro/elections")).status_code == 200
