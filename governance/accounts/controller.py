"""Sign-in, sign-out, first-admin set-up and staff invitations: parse, call the service, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from governance.accounts import links, service, sessions, staff
from governance.accounts.models import LinkPurpose
from governance.accounts.sessions import (
    SESSION_COOKIE,
    client_address,
    start_browser_session,
)
from governance.db import DBSession
from governance.errors import InvalidInput, TooManyAttempts
from governance.security.guards import requires_role
from governance.security.roles import STAFF_ROLES, Role
from governance.web.dependencies import AppSettings, Viewer, Visitor
from governance.web.forms import form_errors


@dataclass
class SignInForm:
    email: str = ""
    password: str = ""
    next: str = "/"


@dataclass
class AccountForm:
    email: str = ""
    name: str = ""
    password: str = ""


@dataclass
class InvitationForm:
    email: str = ""
    role: str = ""


def _safe_next(target: str) -> str:
    """Only redirect within this site after sign-in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


log = structlog.get_logger(__name__)


class AccountController(Controller):
    @get("/login", name="login")
    async def login_page(
        self, next: FromQuery[str] = "/", created: FromQuery[bool] = False
    ) -> Template:
        return Template(
            "accounts/login.html", context={"next": _safe_next(next), "created": created}
        )

    @post("/login")
    async def login(
        self,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        data: URLEncodedBody[SignInForm],
    ) -> Response[Any]:
        context = {"next": _safe_next(data.next), "email": data.email, "created": False}
        try:
            user = await sessions.authenticate(
                db_session, settings, data.email, data.password, client_address(request)
            )
        except (sessions.SignInFailed, TooManyAttempts) as error:
            context["error"] = error.message
            return Template("accounts/login.html", context=context, status_code=error.status_code)
        return await start_browser_session(
            request, db_session, settings, user, _safe_next(data.next)
        )

    @post("/logout")
    async def logout(
        self,
        visitor: Visitor,
        settings: AppSettings,
        request: Request[Any, Any, Any],
        db_session: DBSession,
    ) -> Redirect:
        token = request.scope.get("auth")
        if visitor is not None and token:
            await sessions.end_session(db_session, settings, visitor, token)
        response = Redirect("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/setup/{token:str}", name="setup")
    async def setup_page(
        self, settings: AppSettings, db_session: DBSession, token: FromPath[str]
    ) -> Template:
        await links.find_link(db_session, settings, LinkPurpose.SETUP, token)
        return Template("accounts/setup.html", context={"token": token, "form": {}})

    @post("/setup/{token:str}")
    async def setup(
        self,
        settings: AppSettings,
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[AccountForm],
    ) -> Response[Any]:
        form = service.NewAccount(email=data.email, name=data.name, password=data.password)
        try:
            await links.complete_setup(db_session, settings, token, form)
        except InvalidInput as error:
            context = {"token": token, "form": data}
            return await form_errors(db_session, error, "accounts/setup.html", context)
        return Redirect("/login?created=1", status_code=303)

    @get("/invitations/{token:str}", name="invitation")
    async def invitation_page(
        self, settings: AppSettings, db_session: DBSession, token: FromPath[str]
    ) -> Template:
        link = await links.find_link(db_session, settings, LinkPurpose.STAFF_INVITE, token)
        return Template(
            "accounts/invitation.html", context={"token": token, "link": link, "form": {}}
        )

    @post("/invitations/{token:str}")
    async def accept_invitation(
        self,
        settings: AppSettings,
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[AccountForm],
    ) -> Response[Any]:
        try:
            await staff.accept_invitation(db_session, settings, token, data.name, data.password)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                link = await links.find_link(db_session, settings, LinkPurpose.STAFF_INVITE, token)
                return {"token": token, "link": link, "form": data}

            return await form_errors(db_session, error, "accounts/invitation.html", page)
        return Redirect("/login?created=1", status_code=303)


class StaffController(Controller):
    path = "/admin/staff"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    async def _page(self, db_session: DBSession, **context: Any) -> dict[str, Any]:
        return {
            "staff": await staff.staff(db_session),
            "invitations": await staff.pending_invitations(db_session),
            "roles": STAFF_ROLES,
            "form": context.pop("form", {}),
            "errors": context.pop("errors", {}),
            **context,
        }

    @get("/", name="staff")
    async def staff_page(self, db_session: DBSession) -> Template:
        return Template("accounts/staff.html", context=await self._page(db_session))

    @post("/invitations")
    async def invite(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        data: URLEncodedBody[InvitationForm],
    ) -> Template:
        try:
            token = await staff.invite_staff(db_session, settings, viewer, data.email, data.role)
        except InvalidInput as error:
            return await form_errors(
                db_session, error, "accounts/staff.html", lambda: self._page(db_session, form=data)
            )
        link = f"{settings.base_url}/invitations/{token}"
        context = await self._page(db_session, new_link=link, invited=data.email)
        return Template("accounts/staff.html", context=context)
