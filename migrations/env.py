"""Alembic environment: runs migrations on the async engine for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from governance.db import create_engine
from governance.models import metadata

config = context.config


def _sqlite_for_schema_changes(engine: Engine) -> None:
    """Migrate inside one real transaction, with foreign keys checked at the end.

    The sqlite3 driver opens a transaction only before DML, so DDL that ran before a failure
    stayed behind; it is told to open none and BEGIN is sent explicitly (SQLAlchemy's pysqlite
    recipe). A batch operation recreates a table by copy, drop and rename, and dropping a table
    that other rows reference fails while foreign keys are enforced, so they are switched off
    for the run and checked with foreign_key_check before commit: SQLite's documented procedure
    for schema changes (https://www.sqlite.org/lang_altertable.html#otheralter).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, as SQLite requires
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _refuse_broken_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(
            f"the migration would break foreign keys (table, rowid, parent): {broken}"
        )


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            _refuse_broken_foreign_keys(connection)


async def _run_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    if engine.dialect.name == "sqlite":
        _sqlite_for_schema_changes(engine.sync_engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:  # a failed migration must not leave its connection open
        await engine.dispose()


def _run_in_thread() -> None:
    """Alembic may be called from inside a running event loop (tests, the CLI): use a fresh one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_online())
        return
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_run_online())
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


_run_in_thread()
