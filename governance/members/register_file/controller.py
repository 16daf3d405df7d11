"""Admin pages for the register's CSV: upload and dry-run report, column mapping, commit, export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Stream, Template

from governance import clock
from governance.db import DBSession
from governance.errors import InvalidInput
from governance.i18n import _
from governance.members.register_file import export, uploads
from governance.members.register_file import service as importing
from governance.members.register_file.columns import TARGETS, parse_mapping
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.web.dependencies import Viewer
from governance.web.forms import form_errors

UPLOAD_LIMIT = 512 * 1024 * 1024  # a million-row register is about 120 MB


@dataclass
class UploadForm:
    file: UploadFile | None = None


@dataclass
class ImportForm:
    # "Heading=field" pairs, as the CLI's --map; a form with one column sends a single string.
    map: list[str] | str = field(default_factory=list)
    lapse_absent: bool = False

    @property
    def pairs(self) -> list[str]:
        return [self.map] if isinstance(self.map, str) else self.map


def _report_page(report: importing.ImportReport, mapping: list[str]) -> Template:
    context = {"report": report, "mapping": mapping, "targets": TARGETS}
    return Template(
        "members/import_report.html", context=context, status_code=200 if report.ok else 422
    )


def _mapping(form: ImportForm) -> dict[str, str]:
    try:
        return parse_mapping(form.pairs)
    except ValueError as error:
        raise InvalidInput({"map": str(error)}, str(error)) from error


class MemberFileController(Controller):
    path = "/admin/members"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    @get("/import", name="member_import")
    async def upload_page(self) -> Template:
        return Template("members/import.html", context={"errors": {}})

    @post("/import", request_max_body_size=UPLOAD_LIMIT)
    async def upload(self, db_session: DBSession, data: MultipartBody[UploadForm]) -> Template:
        if data.file is None or not data.file.filename:
            missing = InvalidInput({"file": _("Choose a CSV file to upload.")})
            return await form_errors(db_session, missing, "members/import.html", {})
        try:
            digest = await uploads.keep(data.file)
        finally:
            await data.file.close()
        report = await importing.check_import(db_session, uploads.kept(digest))
        return _report_page(report, [])

    @post("/import/{digest:str}/check")
    async def check(
        self, db_session: DBSession, digest: FromPath[str], data: URLEncodedBody[ImportForm]
    ) -> Template:
        path = uploads.kept(digest)
        report = await importing.check_import(db_session, path, _mapping(data))
        return _report_page(report, data.pairs)

    @post("/import/{digest:str}/commit")
    async def commit(
        self,
        viewer: Viewer,
        db_session: DBSession,
        digest: FromPath[str],
        data: URLEncodedBody[ImportForm],
    ) -> Template:
        path = uploads.kept(digest)
        try:
            report = await importing.commit_import(
                db_session, path, actor=viewer.email, mapping=_mapping(data),
                lapse_absent=data.lapse_absent, expected_digest=digest,
            )  # fmt: skip
        except importing.ImportRefused as refused:
            return _report_page(refused.report, data.pairs)
        uploads.discard(digest)
        return Template("members/import_done.html", context={"report": report})

    @get("/export.csv", name="member_export")
    async def export_csv(self, request: Request[Any, Any, Any]) -> Stream:
        alchemy = request.app.state["alchemy_config"]

        async def chunks() -> AsyncIterator[bytes]:
            # Its own session: the request's closes when the response starts, before the body.
            async with alchemy.get_session() as session:
                async for chunk in export.register_csv(session):
                    yield chunk.encode("utf-8")

        name = f"register-{clock.now():%Y-%m-%d}.csv"
        return Stream(
            chunks(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
