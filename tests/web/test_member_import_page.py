"""The register import pages: upload, the dry-run report, column mapping, commit, export."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import csrf_from, make_user, sign_in

from governance import clock
from governance.audit.models import AuditEvent
from governance.members.models import Member
from governance.security.roles import Role

GOOD_AND_BAD = (
    "Membership number,Name,Email,Trust,Status\r\n"
    "M1,Ann Evans,ann@example.org,Oak Trust,active\r\n"
    "M2,<script>alert(1)</script>,bob@,Elm Trust,active\r\n"
    "M3,,cy@example.org,Ash Trust,dormant\r\n"
    "M1,Ann Again,ann2@example.org,Oak Trust,active\r\n"
)
GOOD = (
    "Membership number,Name,Email,Trust,Status\r\n"
    "M1,Ann Evans,ann@example.org,Oak Trust,active\r\n"
    "M2,<script>alert(1)</script>,bob@example.org,Elm Trust,active\r\n"
)


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GOVERNANCE_DATA_DIR", str(tmp_path))
    yield tmp_path / "imports"


def _kept(folder: Path) -> list[Path]:
    return list(folder.glob("*.csv"))


def _kept_digest(folder: Path) -> str:
    [kept] = _kept(folder)
    return kept.stem


async def _admin(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "admin@example.org", {Role.ADMIN})
    await sign_in(client, "admin@example.org")


async def _refused_upload(client: AsyncTestClient[Any], data: dict[str, str]) -> Any:
    """Post an upload that is refused before any handler runs. Litestar's CSRF middleware has
    already parsed the multipart body by then and nothing closes the spooled upload, so its
    ResourceWarning (an upstream leak, not ours) is collected here instead of in a later test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        response = await client.post(
            "/admin/members/import",
            data=data,
            files={"file": ("register.csv", GOOD.encode(), "text/csv")},
        )
        gc.collect()
    return response


async def _upload(client: AsyncTestClient[Any], content: str, token: str | None = None) -> Any:
    if token is None:
        token = csrf_from(await client.get("/admin/members/import"))
    return await client.post(
        "/admin/members/import",
        data={"_csrf_token": token},
        files={"file": ("register.csv", content.encode("utf-8"), "text/csv")},
    )


async def test_report_page_lists_every_error_and_stores_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _upload(client, GOOD_AND_BAD)
    assert response.status_code == 422
    page = response.text
    assert "The file has 4 problems" in page
    assert "<td>3</td><td>Email</td>" in page and "is not a valid email address" in page
    assert "<td>4</td><td>Name</td><td>The name is empty.</td>" in page
    assert "<td>4</td><td>Status</td>" in page and "dormant" in page
    assert "<td>5</td><td>Membership number</td>" in page and "is also on line 2" in page
    assert "<script>alert(1)</script>" not in page
    assert "Commit this import" not in page
    assert await db.scalar(select(func.count()).select_from(Member)) == 0


async def test_good_file_is_checked_then_committed_once(
    client: AsyncTestClient[Any], db: AsyncSession, _uploads: Path
) -> None:
    await _admin(client, db)
    report = await _upload(client, GOOD)
    assert report.status_code == 200
    assert "No problems found" in report.text and "Commit this import" in report.text
    assert await db.scalar(select(func.count()).select_from(Member)) == 0
    digest = _kept_digest(_uploads)
    done = await client.post(
        f"/admin/members/import/{digest}/commit",
        data={"_csrf_token": csrf_from(report), "map": "Trust=organisation"},
    )
    assert done.status_code == 200, done.text
    assert "Register imported" in done.text and digest in done.text
    names = set(await db.scalars(select(Member.name)))
    assert names == {"Ann Evans", "<script>alert(1)</script>"}
    assert not _kept(_uploads), "the upload is deleted once imported"
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "members.imported"))
    assert event is not None and event.actor == "admin@example.org"
    assert event.payload["sha256"] == digest and event.payload["new"] == 2
    again = await client.post(
        f"/admin/members/import/{digest}/commit", data={"_csrf_token": csrf_from(report)}
    )
    assert again.status_code == 404


async def test_mapping_form_reads_a_column_as_another_field(
    client: AsyncTestClient[Any], db: AsyncSession, _uploads: Path
) -> None:
    await _admin(client, db)
    content = "Ref,Name,Email\r\nX1,Ann,ann@example.org\r\n"
    report = await _upload(client, content)
    assert report.status_code == 422 and "No column holds membership_number" in report.text
    assert '<option value="Ref=attribute" selected>' in report.text, "the form to fix it"
    digest = _kept_digest(_uploads)
    checked = await client.post(
        f"/admin/members/import/{digest}/check",
        data={"_csrf_token": csrf_from(report), "map": ["Ref=membership_number", "Name=name"]},
    )
    assert checked.status_code == 200, checked.text
    assert 'value="Ref=membership_number"' in checked.text


async def test_non_admin_is_refused(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "ro@example.org", {Role.RETURNING_OFFICER})
    await sign_in(client, "ro@example.org")
    assert (await client.get("/admin/members/import")).status_code == 403
    assert (await client.get("/admin/members/export.csv")).status_code == 403
    home = await client.get("/")
    response = await _refused_upload(client, {"_csrf_token": csrf_from(home)})
    assert response.status_code == 403


async def test_upload_without_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    response = await _refused_upload(client, {})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert await db.scalar(select(func.count()).select_from(Member)) == 0


async def test_upload_without_a_file_asks_for_one(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await _admin(client, db)
    token = csrf_from(await client.get("/admin/members/import"))
    response = await client.post(
        "/admin/members/import",
        data={"_csrf_token": token},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "Choose a CSV file" in response.text


async def test_export_is_a_csv_download_with_formulas_neutralised(
    client: AsyncTestClient[Any], db: AsyncSession, _uploads: Path
) -> None:
    await _admin(client, db)
    content = "Membership number,Name,Email\r\nM1,=HYPERLINK(1),ann@example.org\r\n"
    report = await _upload(client, content)
    digest = _kept_digest(_uploads)
    await client.post(
        f"/admin/members/import/{digest}/commit", data={"_csrf_token": csrf_from(report)}
    )
    response = await client.get("/admin/members/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbfmembership_number,")
    assert "M1,'=HYPERLINK(1),ann@example.org" in response.content.decode("utf-8-sig")


async def test_commit_refused_when_the_register_changed_since_the_check(
    client: AsyncTestClient[Any], db: AsyncSession, _uploads: Path
) -> None:
    await _admin(client, db)
    report = await _upload(client, GOOD)
    assert report.status_code == 200
    now = clock.now()
    db.add(
        Member(
            membership_number="Z9", name="Zed", email="bob@example.org", organisation="",
            region="", category="", status="active", joined_on=None, attributes={},
            created_at=now, updated_at=now,
        )
    )  # fmt: skip
    await db.commit()
    refused = await client.post(
        f"/admin/members/import/{_kept_digest(_uploads)}/commit",
        data={"_csrf_token": csrf_from(report)},
    )
    assert refused.status_code == 422
    assert "belongs to member Z9 on the register" in refused.text
    assert "Sign out" in refused.text, "the page still knows who is signed in"
    assert await db.scalar(select(func.count()).select_from(Member)) == 1


async def test_commit_form_can_lapse_members_missing_from_the_file(
    client: AsyncTestClient[Any], db: AsyncSession, _uploads: Path
) -> None:
    await _admin(client, db)
    now = clock.now()
    db.add(
        Member(
            membership_number="Z9", name="Zed", email="zed@example.org", organisation="",
            region="", category="", status="active", joined_on=None, attributes={},
            created_at=now, updated_at=now,
        )
    )  # fmt: skip
    await db.commit()
    report = await _upload(client, GOOD)
    assert "Lapse the 1 active member who is not in this file" in report.text
    done = await client.post(
        f"/admin/members/import/{_kept_digest(_uploads)}/commit",
        data={"_csrf_token": csrf_from(report), "lapse_absent": "true"},
    )
    assert done.status_code == 200
    assert "<dt>Absent members lapsed</dt><dd>1</dd>" in done.text
    status = await db.scalar(
        select(Member.status)
        .where(Member.membership_number == "Z9")
        .execution_options(populate_existing=True)
    )
    assert status == "lapsed"
