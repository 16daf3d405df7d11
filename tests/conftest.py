"""Test databases: a real SQLite file by default; PostgreSQL with GOVERNANCE_TEST_DATABASE_URL.

Every migration runs from empty once per test run (per xdist worker); each test then gets its own
copy of that migrated database, so tests never see each other's rows and the append-only
triggers stay in force throughout.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from governance import clock
from governance.config import Settings
from governance.migrate import upgrade
from governance.security import passwords

PG_URL = os.environ.get("GOVERNANCE_TEST_DATABASE_URL", "")


def _admin_url(url: str) -> str:
    """A psycopg-free maintenance connection: the server's ``postgres`` database, via asyncpg."""
    return str(make_url(url).set(database="postgres"))


async def _pg_execute(url: str, *statements: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _run(coro: object) -> None:
    import asyncio

    asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated from empty with ``upgrade head``: the template every test copies."""
    if PG_URL:
        name = f"governance_template_{secrets.token_hex(4)}"
        _run(_pg_execute(PG_URL, f'CREATE DATABASE "{name}"'))
        url = str(make_url(PG_URL).set(database=name))
        upgrade(url)
        yield url
        _run(_pg_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    # Fold the WAL into the main file so that a plain file copy carries everything.
    engine = create_sync_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    yield url


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test, copied from the migrated template."""
    if PG_URL:
        name = f"governance_test_{secrets.token_hex(6)}"
        template = make_url(template_database).database
        _run(_pg_execute(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield str(make_url(PG_URL).set(database=name))
        _run(_pg_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    source = Path(template_database.split(":///", 1)[1])
    target = tmp_path / "governance.sqlite3"
    shutil.copyfile(source, target)
    yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for tests that run the migrations themselves."""
    if PG_URL:
        name = f"governance_empty_{secrets.token_hex(6)}"
        _run(_pg_execute(PG_URL, f'CREATE DATABASE "{name}"'))
        yield str(make_url(PG_URL).set(database=name))
        _run(_pg_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret-key-" + "x" * 32)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id at its lowest cost: microseconds a hash instead of the production profile's
    large fraction of a second, for every account a test makes and every sign-in.
    tests/unit/security/test_passwords.py keeps the production parameters checked."""
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.use_hasher(passwords.PRODUCTION_HASHER)


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.reset_clock()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[object]:
    """A database session outside the app, for arranging and checking rows directly."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from governance.db import create_engine

    engine = create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    await engine.dispose()


def is_postgres() -> bool:
    return bool(PG_URL)


def pytest_report_header() -> str:
    return f"governance database: {'PostgreSQL ' + _admin_url(PG_URL) if PG_URL else 'SQLite file'}"
