"""The register's admin pages: parse, call the service, render."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from governance.accounts import activation
from governance.accounts.models import Role
from governance.errors import InvalidInput
from governance.members import service
from governance.members.models import MemberStatus
from governance.security.guards import requires_role
from governance.web.auth import DBSession, account, settings_of
from governance.web.pages import is_htmx, render_block


@dataclass
class StatusForm:
    status: str = ""
    reason: str = ""


class MemberController(Controller):
    path = "/admin/members"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    @get("/", name="members")
    async def register(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        region: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Response[Any]:
        query = service.MemberQuery(text=q, status=status, region=region, page=page)
        context = {"result": await service.search(db_session, query), "statuses": MemberStatus}
        if is_htmx(request):
            return render_block(request, "members/register.html", "results", context)
        return Template("members/register.html", context=context)

    @get("/new", name="member_new")
    async def new_member(self) -> Template:
        return Template("members/edit.html", context={"form": service.MemberForm(), "member": None})

    @post("/")
    async def add(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        data: URLEncodedBody[service.MemberForm],
    ) -> Response[Any]:
        try:
            member = await service.add(db_session, account(request).email, data)
        except InvalidInput as error:
            context = {"form": data, "member": None, "errors": error.fields}
            return Template("members/edit.html", context=context, status_code=422)
        return Redirect(f"/admin/members/{member.id}", status_code=303)

    @get("/{member_id:int}", name="member")
    async def view(
        self, db_session: DBSession, member_id: FromPath[int], invited: FromQuery[bool] = False
    ) -> Template:
        member = await service.get(db_session, member_id)
        has_account = await service.has_account(db_session, member)
        context = {"member": member, "errors": {}, "has_account": has_account, "invited": invited}
        return Template("members/member.html", context=context)

    @post("/{member_id:int}/invite")
    async def invite(
        self, request: Request[Any, Any, Any], db_session: DBSession, member_id: FromPath[int]
    ) -> Redirect:
        """Email the member a one-time link that activates their account."""
        settings = settings_of(request.app)
        await activation.invite_member(db_session, settings, account(request), member_id)
        return Redirect(f"/admin/members/{member_id}?invited=true", status_code=303)

    @get("/{member_id:int}/edit", name="member_edit")
    async def edit_page(self, db_session: DBSession, member_id: FromPath[int]) -> Template:
        member = await service.get(db_session, member_id)
        values = member.snapshot()
        values["joined_on"] = values["joined_on"] or ""
        form = service.MemberForm(**{k: v for k, v in values.items() if k != "attributes"})
        return Template("members/edit.html", context={"form": form, "member": member})

    @post("/{member_id:int}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        member_id: FromPath[int],
        data: URLEncodedBody[service.MemberForm],
    ) -> Response[Any]:
        try:
            await service.edit(db_session, account(request).email, member_id, data)
        except InvalidInput as error:
            await db_session.rollback()
            member = await service.get(db_session, member_id)
            context = {"form": data, "member": member, "errors": error.fields}
            return Template("members/edit.html", context=context, status_code=422)
        return Redirect(f"/admin/members/{member_id}", status_code=303)

    @post("/{member_id:int}/status")
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        member_id: FromPath[int],
        data: URLEncodedBody[StatusForm],
    ) -> Response[Any]:
        if data.status not in {status.value for status in MemberStatus}:
            raise InvalidInput({"status": "unknown status"})
        try:
            await service.set_status(
                db_session,
                account(request).email,
                member_id,
                MemberStatus(data.status),
                data.reason,
            )
        except InvalidInput as error:
            member = await service.get(db_session, member_id)
            context = {
                "member": member,
                "errors": error.fields,
                "form": asdict(data),
                "has_account": await service.has_account(db_session, member),
            }
            return Template("members/member.html", context=context, status_code=422)
        return Redirect(f"/admin/members/{member_id}", status_code=303)
