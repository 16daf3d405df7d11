"""Register import against a real database: the dry-run report, all-or-nothing commits, repeat
imports, lapsing absent members, the one audit event, verbatim text, and the export."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.models import AuditEvent
from governance.errors import Conflict
from governance.members.models import Member
from governance.members.register_file.export import register_csv
from governance.members.register_file.service import ImportRefused, check_import, commit_import

HEADER = "Membership number,Name,Email,Trust,Status,Joined,Phone\r\n"


def _file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(row + "\r\n" for row in rows), encoding="utf-8")
    return path


async def _add(
    db: AsyncSession, number: str, email: str, status: str = "active", **extra: Any
) -> None:
    now = clock.now()
    db.add(
        Member(
            membership_number=number, email=email, status=status, joined_on=None,
            created_at=now, updated_at=now,
            **{"name": number, "organisation": "", "region": "", "category": "", "attributes": {},
               **extra},
        )
    )  # fmt: skip
    await db.commit()


async def _register(db: AsyncSession) -> dict[str, dict[str, Any]]:
    members = await db.scalars(select(Member).execution_options(populate_existing=True))
    return {m.membership_number: {**m.snapshot(), "updated_at": m.updated_at} for m in members}


async def _problems(db: AsyncSession, path: Path) -> list[str]:
    report = await check_import(db, path)
    return [str(problem) for problem in report.problems.listed]


async def test_dry_run_names_each_problem_by_line_and_column_and_stores_nothing(
    db: AsyncSession, tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        "M1,Ann,ann@example.org,Oak,active,2020-01-02,",
        "M2,Bob,bob@,Elm,active,,",
        "M3,,cy@example.org,Ash,dormant,2020-02-30,",
        "m 1,Ann Again,ann2@example.org,Oak,,,",
        "M4,Di,ANN@example.org,Oak,,,",
        "M5,Ed,ed@example.org",
    )
    assert await _problems(db, path) == [
        'line 3, column "Email": "bob@" is not a valid email address.',
        'line 4, column "Name": The name is empty.',
        'line 4, column "Joined": "2020-02-30" is not a date: write YYYY-MM-DD or DD/MM/YYYY.',
        'line 4, column "Status": "dormant" is not a status: write active, lapsed or suspended.',
        'line 5, column "Membership number": Membership number "m 1" is also on line 2.',
        'line 6, column "Email": The email address "ann@example.org" is also on line 2.',
        "line 7: The row has 3 cells but the header has 7.",
    ]
    assert await db.scalar(select(func.count()).select_from(Member)) == 0


async def test_clashes_with_the_register_are_reported(db: AsyncSession, tmp_path: Path) -> None:
    await _add(db, "AB123", "ab@example.org")
    await _add(db, "CD456", "cd@example.org")
    await _add(db, "EF789", "ef@example.org")
    path = _file(
        tmp_path,
        "ab123,Ann,new@example.org,,,,",  # the same number typed in another case
        "GH000,Gus,cd@example.org,,,,",  # CD456's address, and CD456 is not in the file
        "JK111,Jo,ef@example.org,,,,",  # EF789's address, but EF789 moves to another below
        "EF789,Ef,ef.new@example.org,,,,",
    )
    assert await _problems(db, path) == [
        'line 2, column "Membership number": Membership number "ab123" differs only in case '
        'or spaces from "AB123" on the register.',
        'line 3, column "Email": The email address "cd@example.org" belongs to member CD456 on '
        "the register, who is not in this file.",
    ]


async def test_commit_is_all_or_nothing(db: AsyncSession, tmp_path: Path) -> None:
    await _add(db, "M1", "m1@example.org", name="Before")
    rows = [f"N{i},Person {i},p{i}@example.org,,,," for i in range(25_000)]
    path = _file(tmp_path, "M1,After,m1@example.org,,,,", *rows, "N-bad,Bad,not-an-address,,,,")
    before = await _register(db)
    with pytest.raises(ImportRefused) as refused:
        await commit_import(db, path, actor="admin@example.org")
    assert refused.value.report.problems.total == 1
    assert await _register(db) == before
    assert await db.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_big_file_commits_in_batches_and_a_second_import_changes_nothing(
    db: AsyncSession, tmp_path: Path
) -> None:
    row = "N{0:05d},Pérson {0},p{0}@example.org,Trust {1},,01/02/2020,0{0}"
    rows = [row.format(i, i % 7) for i in range(25_000)]
    path = _file(tmp_path, *rows)
    first = await commit_import(db, path, actor="admin@example.org")
    assert (first.counts.new, first.counts.changed, first.counts.unchanged) == (25_000, 0, 0)
    after_first = await _register(db)
    assert after_first["N00007"]["attributes"] == {"Phone": "07"}
    assert after_first["N00007"]["joined_on"] == "2020-02-01"
    second = await commit_import(db, path, actor="admin@example.org")
    assert (second.counts.new, second.counts.changed, second.counts.unchanged) == (0, 0, 25_000)
    assert await _register(db) == after_first


async def test_changes_update_only_what_the_file_holds(db: AsyncSession, tmp_path: Path) -> None:
    await _add(db, "M1", "m1@example.org", status="suspended", region="East",
               attributes={"Phone": "1", "Notes": "kept"})  # fmt: skip
    await _add(db, "M2", "m2@example.org", name="M2")
    header = "Membership number,Name,Email,Status,Phone\r\n"
    path = _file(tmp_path, "M1,Ann New,m1@example.org,,", "M2,M2,m2@example.org,,", header=header)
    report = await commit_import(db, path, actor="admin@example.org")
    assert (report.counts.changed, report.counts.unchanged) == (1, 1)
    register = await _register(db)
    ann = register["M1"]
    assert ann["name"] == "Ann New"
    assert ann["status"] == "suspended", "a blank status leaves the status as it was"
    assert ann["region"] == "East", "a column the file lacks leaves the field alone"
    assert ann["attributes"] == {"Notes": "kept"}, "an empty cell removes that attribute only"


async def test_absent_members_are_lapsed_only_when_asked(db: AsyncSession, tmp_path: Path) -> None:
    await _add(db, "M1", "m1@example.org")
    await _add(db, "M2", "m2@example.org")
    await _add(db, "M3", "m3@example.org", status="suspended")
    path = _file(tmp_path, "M1,M1,m1@example.org,,,,")
    kept = await commit_import(db, path, actor="admin@example.org")
    assert (kept.counts.absent, kept.counts.absent_active, kept.lapsed) == (2, 1, 0)
    assert {n: m["status"] for n, m in (await _register(db)).items()} == {
        "M1": "active", "M2": "active", "M3": "suspended"
    }  # fmt: skip
    lapsed = await commit_import(db, path, actor="admin@example.org", lapse_absent=True)
    assert lapsed.lapsed == 1
    assert {n: m["status"] for n, m in (await _register(db)).items()} == {
        "M1": "active", "M2": "lapsed", "M3": "suspended"
    }  # fmt: skip


async def test_one_audit_event_records_the_import(db: AsyncSession, tmp_path: Path) -> None:
    await _add(db, "M9", "m9@example.org")
    path = _file(tmp_path, "M1,Ann,ann@example.org,,,,", "M2,Bob,bob@example.org,,,,")
    await commit_import(db, path, actor="admin@example.org", lapse_absent=True)
    events = list(await db.scalars(select(AuditEvent)))
    assert len(events) == 1
    [event] = events
    assert (event.action, event.actor) == ("members.imported", "admin@example.org")
    assert event.payload == {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": 2, "new": 2, "changed": 0, "unchanged": 0, "absent": 1,
        "lapse_absent": True, "lapsed": 1,
    }  # fmt: skip


async def test_a_file_changed_since_its_check_is_refused(db: AsyncSession, tmp_path: Path) -> None:
    path = _file(tmp_path, "M1,Ann,ann@example.org,,,,")
    with pytest.raises(Conflict):
        await commit_import(db, path, actor="admin@example.org", expected_digest="0" * 64)
    assert await db.scalar(select(func.count()).select_from(Member)) == 0


async def test_formula_and_html_text_is_stored_verbatim(db: AsyncSession, tmp_path: Path) -> None:
    cells = ['"=HYPERLINK(""http://x"",""y"")"', "+44 1234", "-2", "@SUM(A1)", '"\tTab"']
    path = _file(
        tmp_path,
        f"M1,{cells[0]},m1@example.org,<script>alert(1)</script>,,,{cells[1]}",
        f"M2,{cells[2]},m2@example.org,{cells[3]},,,{cells[4]}",
    )
    await commit_import(db, path, actor="admin@example.org")
    register = await _register(db)
    assert register["M1"]["name"] == '=HYPERLINK("http://x","y")'
    assert register["M1"]["organisation"] == "<script>alert(1)</script>"
    assert register["M1"]["attributes"] == {"Phone": "+44 1234"}
    assert (register["M2"]["name"], register["M2"]["organisation"]) == ("-2", "@SUM(A1)")
    assert register["M2"]["attributes"] == {"Phone": "\tTab"}


async def test_mapping_reads_a_column_as_another_field(db: AsyncSession, tmp_path: Path) -> None:
    path = _file(tmp_path, "X1,Ann,ann@example.org,Oak", header="Ref,Name,Email,Trust\r\n")
    assert (await check_import(db, path)).problems.total == 1
    mapping = {"Ref": "membership_number", "Trust": "attribute"}
    await commit_import(db, path, actor="admin@example.org", mapping=mapping)
    member = (await _register(db))["X1"]
    assert member["organisation"] == "" and member["attributes"] == {"Trust": "Oak"}


async def _export(db: AsyncSession) -> str:
    return "".join([chunk async for chunk in register_csv(db)])


async def test_export_neutralises_formulas_and_round_trips(
    db: AsyncSession, tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        "M1,Siân Évans,sian@example.org,<b>Oak</b>,lapsed,2020-01-02,0123",
        "M2,=1+2,bob@example.org,Elm,,,",
    )
    await commit_import(db, path, actor="admin@example.org")
    exported = await _export(db)
    assert exported.startswith("\ufeffmembership_number,name,email,organisation,region,")
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert rows[0][-1] == "Phone"
    assert rows[1] == ["M1", "Siân Évans", "sian@example.org", "<b>Oak</b>", "", "", "lapsed",
                       "2020-01-02", "0123"]  # fmt: skip
    assert rows[2][1] == "'=1+2", "a formula is exported as text"
    again = tmp_path / "export.csv"
    again.write_text(exported, encoding="utf-8")
    report = await check_import(db, again)
    assert report.ok
    assert (report.counts.unchanged, report.counts.changed) == (1, 1)  # only the quoted formula
    assert date.fromisoformat(rows[1][7]) == date(2020, 1, 2)


async def test_a_row_the_csv_module_cannot_read_stops_the_check_with_its_line(
    db: AsyncSession, tmp_path: Path
) -> None:
    huge = "x" * 200_000  # over the csv module's 128 KiB cell limit
    path = _file(tmp_path, "M1,Ann,ann@example.org,,,,", f"M2,{huge},bob@example.org,,,,")
    problems = await _problems(db, path)
    assert len(problems) == 1
    assert problems[0].startswith("line 3: The file cannot be read from this line on: field larger")
    with pytest.raises(ImportRefused):
        await commit_import(db, path, actor="admin@example.org")
    assert await db.scalar(select(func.count()).select_from(Member)) == 0
