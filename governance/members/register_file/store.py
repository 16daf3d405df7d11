"""Bulk reads and writes of the ``members`` table for an import, one way per database.

Both load the register's compact facts with one streamed query. SQLite then writes with
``executemany`` inside the one transaction (fast there: no round trips). PostgreSQL writes new
members with COPY and applies changes as one ``UPDATE … FROM`` a temporary table filled by COPY,
both through the session's own asyncpg connection, so everything stays in one transaction.

Column names in the SQL below come from ``MEMBER_FIELDS`` (a constant), never from a file.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from governance.members.models import Member, MemberStatus
from governance.members.register_file.columns import ColumnPlan
from governance.members.register_file.reconcile import RegisterIndex
from governance.members.register_file.rows import MemberRow, compared_fields, fingerprint, fold

MEMBERS = Member.__table__
INSERTED = (
    "membership_number", "name", "email", "organisation", "region", "category", "status",
    "joined_on", "attributes", "created_at", "updated_at",
)  # fmt: skip
TEXT_DEFAULTS = {"name": "", "organisation": "", "region": "", "category": ""}
BATCH = 10_000
IMPORT_CACHE_KIB = 128 * 1024


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def lock_register(session: AsyncSession) -> None:
    """Hold off other writers to the register until the import commits or rolls back.

    The register read next is then the one the import applies to. SQLite: the first write
    statement takes the database's write lock. PostgreSQL: readers carry on, writers wait.
    """
    if dialect_of(session) == "postgresql":
        await session.execute(text("LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE"))
    else:
        await session.execute(update(Member).where(Member.id == -1).values(status=Member.status))


@asynccontextmanager
async def import_cache(session: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, a large page cache on this connection while the import writes.

    The default 2 MiB cache makes a million inserts into the indexes spill pages to the WAL and
    read them back (a 1M-row import took 39 s with it, 30 s with this). The usual size comes
    back before the transaction ends, on the same connection, so the pool keeps no big cache.
    """
    if dialect_of(session) == "postgresql":
        yield
        return
    previous = int(await session.scalar(text("PRAGMA cache_size")) or 0)
    await session.execute(text(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
    try:
        yield
    finally:
        await session.execute(text(f"PRAGMA cache_size = {previous}"))


def _attribute_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def load_register(session: AsyncSession, plan: ColumnPlan) -> RegisterIndex:
    """The register's facts, fingerprinted over the fields and attributes this file has.

    A plain-text query skips SQLAlchemy's per-value result processing (a third of the time for
    a large register): dates come back as ISO text on SQLite and as dates on PostgreSQL, JSON
    as text on both.
    """
    compared = compared_fields(plan)
    names = [name for _index, name in plan.attributes]
    columns = ["id", "membership_number", "status", *compared, *(["attributes"] if names else [])]
    query = text(f"SELECT {', '.join(columns)} FROM members")  # noqa: S608 - constant names
    joined = compared.index("joined_on") if "joined_on" in compared else -1
    register = RegisterIndex()
    result = await session.stream(
        query.execution_options(stream_results=True, max_row_buffer=BATCH)
    )
    async for partition in result.partitions(BATCH):
        for row in partition:
            member_id, number, status, *values = row
            if names:
                stored = values.pop()
                attributes = json.loads(stored) if isinstance(stored, str) else stored or {}
                values += [_attribute_text(attributes.get(name)) for name in names]
            if joined >= 0:
                values[joined] = _iso_date(values[joined])
            register.add(
                member_id, number, fold(number), values[0], status, fingerprint(tuple(values))
            )
    return register


def _iso_date(value: date | str | None) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


def _chunks(ids: Sequence[int], size: int = 5_000) -> list[list[int]]:
    iterator = iter(ids)
    return list(iter(lambda: list(islice(iterator, size)), []))


async def lapse_members(session: AsyncSession, ids: Sequence[int], now: datetime) -> int:
    """Mark these members lapsed (an import's absent members, when the admin asks)."""
    for chunk in _chunks(ids):
        await session.execute(
            update(Member)
            .where(Member.id.in_(chunk))
            .values(status=MemberStatus.LAPSED.value, updated_at=now)
        )
    return len(ids)


class RegisterWriter(ABC):
    """Writes one import's rows; subclasses hold the per-database statements."""

    def __init__(self, session: AsyncSession, plan: ColumnPlan, now: datetime) -> None:
        self.session, self.plan, self.now = session, plan, now
        self.text_fields = [name for name in TEXT_DEFAULTS if name in plan.fields]
        self.has_joined = "joined_on" in plan.fields
        self.attribute_names = [name for _index, name in plan.attributes]

    def _new_values(self, row: MemberRow) -> list[Any]:
        """A new member's values in ``INSERTED`` order (attributes as a dict, times as given)."""
        text_values = {**TEXT_DEFAULTS, **row.text}
        attributes = {name: value for name, value in row.attributes.items() if value}
        return [
            row.number, text_values["name"], row.email, text_values["organisation"],
            text_values["region"], text_values["category"],
            row.status or MemberStatus.ACTIVE.value, row.joined_on, attributes,
            self.now, self.now,
        ]  # fmt: skip

    @abstractmethod
    async def insert(self, rows: list[MemberRow]) -> None: ...

    @abstractmethod
    async def update(self, rows: list[tuple[int, str, MemberRow]]) -> None: ...

    @abstractmethod
    async def finish(self) -> None:
        """Apply anything staged (PostgreSQL applies changes at the end)."""


class SqliteWriter(RegisterWriter):
    """``executemany`` on the driver: SQLite has no round trips, so this is close to its limit."""

    def __init__(self, session: AsyncSession, plan: ColumnPlan, now: datetime) -> None:
        super().__init__(session, plan, now)
        dialect = session.get_bind().dialect

        def processor(name: str) -> Any:
            return MEMBERS.c[name].type.dialect_impl(dialect).bind_processor(dialect)

        self.stamp = processor("created_at")(now)
        self.as_date = processor("joined_on")
        self.as_json = processor("attributes")
        marks = ", ".join("?" for _name in INSERTED)
        self.insert_sql = f"INSERT INTO members ({', '.join(INSERTED)}) VALUES ({marks})"  # noqa: S608 - constant names
        assignments = [f"{name} = ?" for name in ("email", *self.text_fields)]
        assignments += ["joined_on = ?"] if self.has_joined else []
        assignments += ["status = ?"]
        assignments += ["attributes = json_patch(attributes, ?)"] if self.attribute_names else []
        assignments += ["updated_at = ?"]
        self.update_sql = f"UPDATE members SET {', '.join(assignments)} WHERE id = ?"  # noqa: S608 - constant names

    async def insert(self, rows: list[MemberRow]) -> None:
        records = []
        for row in rows:
            values = self._new_values(row)
            values[7] = self.as_date(values[7]) if values[7] else None
            values[8] = self.as_json(values[8])
            values[9] = values[10] = self.stamp
            records.append(tuple(values))
        connection = await self.session.connection()
        await connection.exec_driver_sql(self.insert_sql, records)

    async def update(self, rows: list[tuple[int, str, MemberRow]]) -> None:
        records = []
        for member_id, status, row in rows:
            values: list[Any] = [row.email, *(row.text[name] for name in self.text_fields)]
            if self.has_joined:
                values.append(self.as_date(row.joined_on) if row.joined_on else None)
            values.append(row.status or status)
            if self.attribute_names:
                # RFC 7396 merge patch: null removes an attribute the file leaves empty.
                patch = {name: value or None for name, value in row.attributes.items()}
                values.append(json.dumps(patch, ensure_ascii=False))
            records.append((*values, self.stamp, member_id))
        connection = await self.session.connection()
        await connection.exec_driver_sql(self.update_sql, records)

    async def finish(self) -> None:
        """Nothing is staged: every batch was written as it came."""


class PostgresWriter(RegisterWriter):
    """COPY through the session's asyncpg connection, in the session's transaction."""

    STAGE = "member_import_changes"

    def __init__(self, session: AsyncSession, plan: ColumnPlan, now: datetime) -> None:
        super().__init__(session, plan, now)
        self.changed = ["email", *self.text_fields, *(["joined_on"] if self.has_joined else [])]
        self.staged = False

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    async def insert(self, rows: list[MemberRow]) -> None:
        records = []
        for row in rows:
            values = self._new_values(row)
            values[8] = json.dumps(values[8], ensure_ascii=False)
            records.append(tuple(values))
        driver = await self._driver()
        await driver.copy_records_to_table("members", records=records, columns=INSERTED)

    async def update(self, rows: list[tuple[int, str, MemberRow]]) -> None:
        driver = await self._driver()
        columns = ["id", *self.changed, "status", "attributes"]
        if not self.staged:
            await driver.execute(
                f"CREATE TEMPORARY TABLE {self.STAGE} ON COMMIT DROP AS "  # noqa: S608 - constant names
                f"SELECT {', '.join(columns)} FROM members WITH NO DATA"
            )
            self.staged = True
        records = []
        for member_id, status, row in rows:
            values = {"email": row.email, **row.text, "joined_on": row.joined_on}
            present = {name: value for name, value in row.attributes.items() if value}
            records.append(
                (member_id, *(values[name] for name in self.changed), row.status or status,
                 json.dumps(present, ensure_ascii=False))
            )  # fmt: skip
        await driver.copy_records_to_table(self.STAGE, records=records, columns=columns)

    async def finish(self) -> None:
        if not self.staged:
            return
        assignments = [f"{name} = c.{name}" for name in (*self.changed, "status")]
        if self.attribute_names:
            # The file's attribute columns replace those keys; other attributes stay.
            assignments.append(
                "attributes = ((m.attributes::jsonb - CAST(:names AS text[])) "
                "|| c.attributes::jsonb)::json"
            )
        statement = text(
            f"UPDATE members AS m SET {', '.join(assignments)}, updated_at = :now "  # noqa: S608 - constant names
            f"FROM {self.STAGE} AS c WHERE m.id = c.id"
        )
        parameters: dict[str, Any] = {"now": self.now}
        if self.attribute_names:
            parameters["names"] = self.attribute_names
        await self.session.execute(statement, parameters)


def writer_for(session: AsyncSession, plan: ColumnPlan, now: datetime) -> RegisterWriter:
    if dialect_of(session) == "postgresql":
        return PostgresWriter(session, plan, now)
    return SqliteWriter(session, plan, now)
