"""Error pages, cookies over https, password rehashing, limits shared between workers, no secrets
in logs."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import PASSWORD, make_user, sign_in

from governance.accounts.models import User
from governance.app import create_app
from governance.config import Settings
from governance.security import passwords
from governance.security.roles import Role


@get("/explode", sync_to_thread=False)
def explode() -> str:
    raise RuntimeError("secret internals that must not reach the page")


async def test_an_unexpected_error_is_a_styled_500_without_a_trace(app: Litestar) -> None:
    app.register(explode)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


async def test_a_malformed_request_is_a_styled_400(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/login?created=not-a-boolean")
    assert response.status_code == 400
    assert "The request could not be understood" in response.text


async def test_cookies_are_secure_when_the_site_is_served_over_https(
    settings: Settings, db: AsyncSession
) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    secure = dataclasses.replace(settings, base_url="https://elections.example.org")
    async with AsyncTestClient(
        app=create_app(secure), base_url="https://testserver.local"
    ) as client:
        response = await sign_in(client, "ro@example.org")
    assert response.status_code == 303
    session_cookie = [
        c for c in response.headers.get_list("set-cookie") if "governance_session" in c
    ]
    assert session_cookie and "Secure" in session_cookie[0] and "HttpOnly" in session_cookie[0]


async def test_a_hash_with_old_parameters_is_replaced_at_sign_in(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    user = await db.scalar(select(User).where(User.email == "ro@example.org"))
    assert user is not None
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    await db.commit()
    assert passwords.needs_rehash(weak)
    assert (await sign_in(client, "ro@example.org")).status_code == 303
    await db.refresh(user)
    assert user.password_hash != weak and not passwords.needs_rehash(user.password_hash or "")


async def test_the_sign_in_limit_is_shared_by_two_worker_processes(
    settings: Settings, db: AsyncSession
) -> None:
    """Two app instances on one database stand for two Granian workers: failures add up."""
    await make_user(db, "admin@example.org", {Role.ADMIN})
    first, second = create_app(settings), create_app(settings)
    async with (
        AsyncTestClient(app=first) as worker_one,
        AsyncTestClient(app=second) as worker_two,
    ):
        for attempt in range(settings.login_failures_per_account):
            worker = worker_one if attempt % 2 else worker_two
            assert (
                await sign_in(worker, "admin@example.org", "wrong guess 123")
            ).status_code == 400
        assert (await sign_in(worker_one, "admin@example.org")).status_code == 429
        assert (await sign_in(worker_two, "admin@example.org")).status_code == 429


async def test_no_password_reaches_the_logs(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy quiets its own loggers unless asked: with them on, every statement of the
    # sign-in and its parameters is captured, on PostgreSQL as on SQLite.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await sign_in(client, "ro@example.org", "a very distinctive wrong password")
    await sign_in(client, "ro@example.org")
    captured = capsys.readouterr()
    for text in (caplog.text, captured.out, captured.err):
        assert "distinctive wrong password" not in text
        assert PASSWORD not in text
    # The control: the sign-in's own look-up of the account was captured, so the absence above
    # is of a password, not of any logs at all.
    looked_up = [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert any("ro@example.org" in record.getMessage() for record in looked_up)


@pytest.mark.parametrize(
    "path",
    [
        "/elections/99999999999999999999",
        "/elections/9223372036854775808",
        "/nominations/99999999999999999999/photo",
    ],
)
async def test_an_id_beyond_the_database_integers_is_a_404(
    client: AsyncTestClient[Any], path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
