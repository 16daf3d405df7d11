"""Every migration runs from empty, and the models agree with the migrated schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.util.exc import CommandError
from sqlalchemy import MetaData, Table, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import PASSWORD

from governance.accounts.service import NewAccount, create_user
from governance.audit.models import election_chain
from governance.audit.service import record
from governance.bodies.models import Body
from governance.db import create_engine
from governance.elections.models import Contest, Election
from governance.migrate import check, upgrade
from governance.security.roles import Role


def test_upgrade_head_from_empty_matches_the_models(template_database: str) -> None:
    """The session's template database was built by ``upgrade head`` from an empty database."""
    check(template_database)


def test_a_model_change_without_a_migration_is_caught(
    template_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import Column, Integer, Table

    from governance.db import Base

    table = Table("unmigrated_table", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(CommandError, match="New upgrade operations detected"):
            check(template_database)
    finally:
        Base.metadata.remove(table)


# --- 0007: each election has one returning officer ---------------------------------------------

EARLY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
TIMETABLE = {
    "nominations_open_at": EARLY,
    "nominations_close_at": EARLY + timedelta(days=7),
    "voting_open_at": EARLY + timedelta(days=14),
    "voting_close_at": EARLY + timedelta(days=21),
}


def _table_before(table: Table, added_since: set[str]) -> Table:
    """``table`` as an older revision stored it: the model's columns (and their defaults)
    without those added since, so an insert names no column the old table lacks."""
    columns = [column._copy() for column in table.columns if column.name not in added_since]
    return Table(table.name, MetaData(), *columns)


# Columns added to ``elections`` by 0007 and later revisions.
_ELECTIONS_BEFORE_0007 = _table_before(
    Election.__table__, {"returning_officer_id", "re_open_nominations", "voting_opened_at"}
)


async def _account(session: AsyncSession, email: str, roles: set[Role]) -> int:
    form = NewAccount(email=email, name=email.split("@")[0].title(), password=PASSWORD)
    return (await create_user(session, form, frozenset(roles), actor="test")).id


async def _election_before_0007(
    session: AsyncSession, title: str, created_by: int | None, created_as: tuple[str, str] | None
) -> int:
    """An election row as revision 0006 stored it, with its creation event if any (action,
    actor), the way ``elections.service`` records it; a contest refers to it."""
    body_id = await session.scalar(select(Body.id))
    if body_id is None:
        session.add(Body(name="Policy Advisory Group", seats=36, term_months=36, created_at=EARLY))
        await session.flush()
        body_id = await session.scalar(select(Body.id))
    election_id = await session.scalar(
        insert(_ELECTIONS_BEFORE_0007)
        .values(body_id=body_id, title=title, created_by=created_by, created_at=EARLY, **TIMETABLE)
        .returning(_ELECTIONS_BEFORE_0007.c.id)
    )
    await session.execute(
        insert(Contest.__table__).values(
            election_id=election_id, name="National seats", seats=2, method="stv-scottish"
        )
    )
    if created_as is not None:
        action, actor = created_as
        await record(
            session,
            action=action,
            actor=actor,
            subject=f"election:{election_id}",
            chain=election_chain(election_id),
        )
    assert election_id is not None
    return election_id


async def _officers(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT title, returning_officer_id FROM elections"))
        found = dict(rows.all())
    await engine.dispose()
    return found


async def test_existing_elections_go_to_their_creator_else_the_first_returning_officer(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0006")
    engine = create_engine(empty_database)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await _account(session, "admin@example.org", {Role.ADMIN})
        rose = await _account(session, "rose@example.org", {Role.RETURNING_OFFICER})
        ravi = await _account(session, "ravi@example.org", {Role.RETURNING_OFFICER})
        former = await _account(session, "former@example.org", {Role.MEMBER})  # role since lost
        await _election_before_0007(session, "column", ravi, ("election.created", "x@example.org"))
        await _election_before_0007(
            session, "audit", None, ("election.created", "former@example.org")
        )
        await _election_before_0007(session, "copy", None, ("election.copied", "ravi@example.org"))
        await _election_before_0007(session, "not a user", None, ("election.created", "cli"))
        await _election_before_0007(session, "no event", None, None)
        await session.commit()
    await engine.dispose()

    upgrade(empty_database)

    assert await _officers(empty_database) == {
        "column": ravi,
        "audit": former,
        "copy": ravi,
        "not a user": rose,
        "no event": rose,
    }
    check(empty_database)
    await _constraints_hold(empty_database, rose)


async def _constraints_hold(url: str, officer: int) -> None:
    """NOT NULL and the foreign key are in force, and the table's CHECK constraints survived
    (SQLite rebuilds the table to change it)."""
    engine = create_engine(url)
    values = {"body_id": 1, "title": "t", "created_at": EARLY, **TIMETABLE}
    async with engine.connect() as connection:
        for bad in (
            {"returning_officer_id": None},
            {"returning_officer_id": 999_999},
            {"returning_officer_id": officer, "voting_close_at": EARLY},
        ):
            with pytest.raises(IntegrityError):
                await connection.execute(insert(Election.__table__).values({**values, **bad}))
            await connection.rollback()
    await engine.dispose()


async def test_the_upgrade_stops_unchanged_when_an_election_could_get_no_officer(
    empty_database: str,
) -> None:
    upgrade(empty_database, "0006")
    engine = create_engine(empty_database)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await _election_before_0007(session, "orphan", None, None)
        await session.commit()
        with pytest.raises(RuntimeError, match="no account holds the returning officer role"):
            upgrade(empty_database)
        columns = await session.execute(text("SELECT * FROM elections"))
        assert "returning_officer_id" not in columns.keys(), "nothing of 0007 is left behind"  # noqa: SIM118 - a Result, not a dict
        officer = await _account(session, "rose@example.org", {Role.RETURNING_OFFICER})
        await session.commit()
    await engine.dispose()
    upgrade(empty_database)
    assert await _officers(empty_database) == {"orphan": officer}
