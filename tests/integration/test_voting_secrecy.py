"""The marked register and the ballot box at the database level, on SQLite and PostgreSQL:
append-only (DESIGN invariant 4), and a ballot row that carries nothing linking it to its voter
or to the order of casting (invariant 2)."""

from __future__ import annotations

from typing import Any

import pytest
from integration.voting_arrange import MARKS, election, open_for_voting, register
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date, DateTime

from governance.voting.casting import cast
from governance.voting.models import Ballot

CHANGES = {
    "participations": [
        "UPDATE participations SET voted_at = voted_at",
        "DELETE FROM participations",
    ],
    "ballots": ["UPDATE ballots SET content = '{}'", "DELETE FROM ballots"],
}


def _on_postgres(db: AsyncSession) -> bool:
    return db.get_bind().dialect.name == "postgresql"


async def _cast_some(db: AsyncSession, electors: int) -> list[str]:
    """``electors`` casts, one after another; the ballot keys in the order they were cast."""
    held = await election(db)
    members = await register(db, electors)
    await open_for_voting(db, held)
    contest_id, keys = held.contests[0].id, list[str]()
    for member_id in members:
        await cast(db, contest_id, member_id, MARKS)
        stored = set(await db.scalars(select(Ballot.key)))
        (new,) = stored - set(keys)
        keys.append(new)
    return keys


@pytest.mark.parametrize(
    "statement", [s for statements in CHANGES.values() for s in statements], ids=str.split
)
async def test_the_database_refuses_to_change_or_remove_a_participation_or_a_ballot(
    db: AsyncSession, statement: str
) -> None:
    await _cast_some(db, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        await db.execute(text(statement))
    await db.rollback()
    for table in CHANGES:
        assert await db.scalar(text(f"SELECT COUNT(*) FROM {table}")) == 2  # noqa: S608


async def test_emptying_a_whole_table_is_refused_too(db: AsyncSession) -> None:
    """PostgreSQL's TRUNCATE skips row triggers, and SQLite's unqualified DELETE would take its
    truncate shortcut without triggers: each database must refuse its own way of emptying."""
    await _cast_some(db, 1)
    for table in CHANGES:
        emptying = f"TRUNCATE {table}" if _on_postgres(db) else f"DELETE FROM {table}"  # noqa: S608
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text(emptying))
        await db.rollback()
        assert await db.scalar(text(f"SELECT COUNT(*) FROM {table}")) == 1  # noqa: S608


def _ballot_columns(connection: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inspector = inspect(connection)
    return inspector.get_columns("ballots"), inspector.get_foreign_keys("ballots")


async def test_the_ballots_table_holds_no_voter_no_time_and_no_sequence(db: AsyncSession) -> None:
    connection = await db.connection()
    columns, foreign_keys = await connection.run_sync(_ballot_columns)
    assert {c["name"] for c in columns} == {"contest_id", "key", "content"}
    assert [fk["referred_table"] for fk in foreign_keys] == ["contests"]
    assert not [c for c in columns if isinstance(c["type"], DateTime | Date)]
    assert not [c for c in columns if c.get("autoincrement") is True or c.get("identity")]
    if _on_postgres(db):
        sequences = await db.scalar(
            text(
                "SELECT COUNT(*) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                "WHERE s.relkind = 'S' AND d.refobjid = 'ballots'::regclass"
            )
        )
        assert sequences == 0
        return
    schema = await db.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ballots'"))
    assert schema is not None and schema.rstrip().upper().endswith("WITHOUT ROWID")
    with pytest.raises(DBAPIError, match="rowid"):
        await db.execute(text("SELECT rowid FROM ballots"))


async def test_ballot_keys_and_the_boxs_order_do_not_follow_the_order_of_casting(
    db: AsyncSession,
) -> None:
    """Fifty random keys come out in casting order with probability 1/50! (about 10^-64)."""
    in_casting_order = await _cast_some(db, 50)
    assert sorted(in_casting_order) != in_casting_order
    assert len(set(in_casting_order)) == 50
    if not _on_postgres(db):  # WITHOUT ROWID: a plain scan returns the rows in key order
        scanned = list(await db.scalars(text("SELECT key FROM ballots")))
        assert scanned == sorted(in_casting_order) != in_casting_order
