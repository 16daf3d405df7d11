"""The register as CSV: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), one column per
register field, then one per attribute, streamed in chunks so a million members never sit in
memory. Every text cell that a spreadsheet could run as a formula is neutralised (OWASP "CSV
injection": a leading single quote), so opening the export never executes what a member typed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from governance.members.models import MEMBER_FIELDS
from governance.members.register_file.columns import neutralise

BATCH = 5_000
BOM = "\ufeff"


async def attribute_names(session: AsyncSession) -> list[str]:
    """Every attribute name on the register, sorted: the export's extra columns."""
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT DISTINCT json_object_keys(attributes) FROM members"
    else:
        query = "SELECT DISTINCT key FROM members, json_each(members.attributes)"
    return sorted(str(name) for name in (await session.scalars(text(query))).all())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = value.isoformat() if hasattr(value, "isoformat") else json.dumps(value)
    return neutralise(value)


async def register_csv(session: AsyncSession) -> AsyncIterator[str]:
    """The register as CSV text, in chunks, ordered by membership number."""
    names = await attribute_names(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*MEMBER_FIELDS, *(_cell(name) for name in names)])
    yield BOM + buffer.getvalue()
    columns = ", ".join(MEMBER_FIELDS)
    query = text(f"SELECT {columns}, attributes FROM members ORDER BY membership_number")  # noqa: S608 - constant names
    result = await session.stream(
        query.execution_options(stream_results=True, max_row_buffer=BATCH)
    )
    async for partition in result.partitions(BATCH):
        buffer.seek(0)
        buffer.truncate()
        for *fields, stored in partition:
            attributes = json.loads(stored) if isinstance(stored, str) else stored or {}
            writer.writerow([*map(_cell, fields), *(_cell(attributes.get(name)) for name in names)])
        yield buffer.getvalue()
