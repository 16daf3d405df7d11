"""Engine and session set-up, SQLite pragmas, the model base and the append-only triggers.

SQLite is the embedded default and PostgreSQL the production database; both run the same
migrations. Constraint names follow one naming convention so that they match on both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from litestar.di import NamedDependency
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Every timestamp is stored in UTC and comes back timezone-aware on both databases.
UTCDateTime = DateTimeUTC(timezone=True)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Durability and integrity on every SQLite connection (invariant 10: acknowledged = durable).

    WAL lets readers run beside the one writer; synchronous=FULL syncs the WAL on every commit, so
    a receipt shown after commit survives a power cut; foreign keys are off by default in SQLite.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    event.listen(engine, "connect", _set_sqlite_pragmas)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """The application's async engine, with SQLite pragmas set on every new connection."""
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        install_sqlite_pragmas(engine.sync_engine)
    return engine


# --- Append-only tables (invariant 4) --------------------------------------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION governance_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""


def append_only_ddl(dialect: str, tables: Iterable[str]) -> list[str]:
    """SQL that makes ``tables`` reject UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in tables:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION governance_reject_change()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION governance_reject_change()"
            )
        return statements
    for table in tables:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
    return statements


DBSession = NamedDependency[AsyncSession]
"""The request's database session, injected by name (``db_session``) into route handlers."""
