"""The database settings that the invariants depend on (DESIGN invariants 9 and 10)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance.config import Settings
from governance.db import create_engine, is_sqlite


async def test_an_acknowledged_commit_is_on_disk(settings: Settings) -> None:
    """SQLite: WAL with synchronous=FULL, foreign keys on, a busy timeout; PostgreSQL: its
    default synchronous_commit=on. A receipt shown after commit survives a power cut."""
    engine = create_engine(settings.database_url)
    async with engine.connect() as connection:
        if is_sqlite(settings.database_url):
            names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            found = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar() for name in names
            }
            expected: dict[str, object] = {
                "journal_mode": "wal",
                "synchronous": 2,
                "foreign_keys": 1,
                "busy_timeout": 10_000,
            }
        else:
            found = {
                "synchronous_commit": (
                    await connection.execute(text("SHOW synchronous_commit"))
                ).scalar()
            }
            expected = {"synchronous_commit": "on"}
    await engine.dispose()
    assert found == expected


async def test_a_dangling_reference_is_refused_by_the_database(db: AsyncSession) -> None:
    with pytest.raises(IntegrityError):
        await db.execute(text("INSERT INTO user_roles (user_id, role) VALUES (999999, 'admin')"))
    await db.rollback()
