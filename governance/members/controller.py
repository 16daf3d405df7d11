"""The register's admin pages, and members' own way in (activation, sign-in by emailed link):
parse, call the service, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts import links
from governance.accounts.models import LinkPurpose
from governance.accounts.sessions import client_address, start_browser_session
from governance.config import Settings
from governance.db import DBSession
from governance.errors import InvalidInput
from governance.members import activation, service
from governance.members.models import MemberStatus
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.web.dependencies import AppSettings, Viewer
from governance.web.forms import form_errors


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
        request: HTMXRequest,
        db_session: DBSession,
        q: FromQuery[str] = "",
        status: FromQuery[str] = "",
        region: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        query = service.MemberQuery(text=q, status=status, region=region, page=page)
        context = {"result": await service.search(db_session, query), "statuses": MemberStatus}
        block = "results" if request.htmx else None
        return HTMXBlockTemplate("members/register.html", block_name=block, context=context)

    @get("/new", name="member_new")
    async def new_member(self) -> Template:
        return Template("members/edit.html", context={"form": service.MemberForm(), "member": None})

    @post("/")
    async def add(
        self,
        viewer: Viewer,
        db_session: DBSession,
        data: URLEncodedBody[service.MemberForm],
    ) -> Response[Any]:
        try:
            member = await service.add(db_session, viewer.email, data)
        except InvalidInput as error:
            context = {"form": data, "member": None}
            return await form_errors(db_session, error, "members/edit.html", context)
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
        self, viewer: Viewer, settings: AppSettings, db_session: DBSession, member_id: FromPath[int]
    ) -> Redirect:
        """Email the member a one-time link that activates their account."""
        await activation.invite_member(db_session, settings, viewer, member_id)
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
        viewer: Viewer,
        db_session: DBSession,
        member_id: FromPath[int],
        data: URLEncodedBody[service.MemberForm],
    ) -> Response[Any]:
        try:
            await service.edit(db_session, viewer.email, member_id, data)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                return {"form": data, "member": await service.get(db_session, member_id)}

            return await form_errors(db_session, error, "members/edit.html", page)
        return Redirect(f"/admin/members/{member_id}", status_code=303)

    @post("/{member_id:int}/status")
    async def change_status(
        self,
        viewer: Viewer,
        db_session: DBSession,
        member_id: FromPath[int],
        data: URLEncodedBody[StatusForm],
    ) -> Response[Any]:
        if data.status not in {status.value for status in MemberStatus}:
            raise InvalidInput({"status": "unknown status"})
        try:
            await service.set_status(
                db_session,
                viewer.email,
                member_id,
                MemberStatus(data.status),
                data.reason,
            )
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                member = await service.get(db_session, member_id)
                has_account = await service.has_account(db_session, member)
                return {"member": member, "form": asdict(data), "has_account": has_account}

            return await form_errors(db_session, error, "members/member.html", page)
        return Redirect(f"/admin/members/{member_id}", status_code=303)


log = structlog.get_logger(__name__)


@dataclass
class AddressForm:
    email: str = ""


@dataclass
class PasswordForm:
    password: str = ""


async def _activation_page(
    db_session: AsyncSession, settings: Settings, token: str
) -> dict[str, Any]:
    """New password, or, when an account already uses the address, that account's password."""
    member = await activation.activation_member(db_session, settings, token)
    existing = await activation.account_for(db_session, member) is not None
    return {"token": token, "member": member, "existing": existing, "errors": {}}


LinkRequest = Callable[[AsyncSession, Settings, str], Awaitable[None]]


def _after_response(
    request: Request[Any, Any, Any], settings: Settings, work: LinkRequest, email: str
) -> BackgroundTask:
    """Look the address up only after the answer is sent, in a session of its own: the answer
    and its timing are then the same whether or not the address is on the register."""
    config = cast(SQLAlchemyAsyncConfig, request.app.state["alchemy_config"])

    async def run() -> None:
        try:
            async with config.get_session() as session:
                await work(session, settings, email)
        except Exception:  # nobody is waiting for this answer: log it instead
            log.exception("link request failed", work=work.__name__)

    return BackgroundTask(run)


class MemberAccessController(Controller):
    """Members activate their account from the register, and may sign in by emailed link."""

    @get("/activate", name="activate_request")
    async def activation_request_page(self) -> Template:
        return Template("accounts/activate_request.html", context={"sent": False})

    @post("/activate")
    async def request_activation(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        data: URLEncodedBody[AddressForm],
    ) -> Template:
        work = _after_response(request, settings, activation.request_activation, data.email)
        return Template("accounts/activate_request.html", context={"sent": True}, background=work)

    @get("/activate/{token:str}", name="activate")
    async def activation_page(
        self, settings: AppSettings, db_session: DBSession, token: FromPath[str]
    ) -> Template:
        context = await _activation_page(db_session, settings, token)
        return Template("accounts/activate.html", context=context)

    @post("/activate/{token:str}")
    async def activate(
        self,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[PasswordForm],
    ) -> Response[Any]:
        try:
            await activation.activate(
                db_session, settings, token, data.password, client_address(request)
            )
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "accounts/activate.html",
                lambda: _activation_page(db_session, settings, token),
            )
        return Redirect("/login?created=1", status_code=303)

    @get("/login/link", name="sign_in_link_request")
    async def sign_in_link_page(self) -> Template:
        return Template("accounts/sign_in_link.html", context={"sent": False})

    @post("/login/link")
    async def request_sign_in_link(
        self,
        request: Request[Any, Any, Any],
        settings: AppSettings,
        data: URLEncodedBody[AddressForm],
    ) -> Template:
        work = _after_response(request, settings, activation.request_sign_in_link, data.email)
        return Template("accounts/sign_in_link.html", context={"sent": True}, background=work)

    @get("/login/link/{token:str}", name="sign_in_with_link")
    async def sign_in_link_confirm(
        self, settings: AppSettings, db_session: DBSession, token: FromPath[str]
    ) -> Template:
        # A GET only shows a button: mail scanners that open links must not use them up.
        await links.find_link(db_session, settings, LinkPurpose.SIGN_IN, token)
        return Template("accounts/sign_in_link_confirm.html", context={"token": token})

    @post("/login/link/{token:str}")
    async def sign_in_with_link(
        self,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        token: FromPath[str],
    ) -> Redirect:
        user = await activation.redeem_sign_in_link(db_session, settings, token)
        return await start_browser_session(request, db_session, settings, user, "/")
