"""Sign-in, sign-out, first-admin set-up and staff invitations: parse, call the service, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts import activation, service
from governance.accounts.models import STAFF_ROLES, LinkPurpose, Role, User
from governance.config import Settings
from governance.errors import InvalidInput, TooManyAttempts
from governance.members.models import Member
from governance.security.guards import requires_role
from governance.web.auth import SESSION_COOKIE, DBSession, account, settings_of, signed_in


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


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def _start_session(
    request: Request[Any, Any, Any], db_session: DBSession, user: User, target: str
) -> Redirect:
    """Sign the browser in with a fresh session id and go on to ``target``."""
    settings = settings_of(request.app)
    token = await service.start_session(
        db_session, settings, user, _client(request), request.cookies.get(SESSION_COOKIE)
    )
    response = Redirect(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    return response


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
        request: Request[Any, Any, Any],
        db_session: DBSession,
        data: URLEncodedBody[SignInForm],
    ) -> Response[Any]:
        settings = settings_of(request.app)
        context = {"next": _safe_next(data.next), "email": data.email, "created": False}
        try:
            user = await service.authenticate(
                db_session, settings, data.email, data.password, _client(request)
            )
        except (service.SignInFailed, TooManyAttempts) as error:
            context["error"] = error.message
            return Template("accounts/login.html", context=context, status_code=error.status_code)
        return await _start_session(request, db_session, user, _safe_next(data.next))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any], db_session: DBSession) -> Redirect:
        user, token = signed_in(request), request.scope.get("auth")
        if user is not None and token:
            await service.end_session(db_session, settings_of(request.app), user, token)
        response = Redirect("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/setup/{token:str}", name="setup")
    async def setup_page(
        self, request: Request[Any, Any, Any], db_session: DBSession, token: FromPath[str]
    ) -> Template:
        await service.find_link(db_session, settings_of(request.app), LinkPurpose.SETUP, token)
        return Template("accounts/setup.html", context={"token": token, "form": {}})

    @post("/setup/{token:str}")
    async def setup(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[AccountForm],
    ) -> Response[Any]:
        form = service.NewAccount(email=data.email, name=data.name, password=data.password)
        try:
            await service.complete_setup(db_session, settings_of(request.app), token, form)
        except InvalidInput as error:
            context = {"token": token, "form": data, "errors": error.fields}
            return Template("accounts/setup.html", context=context, status_code=422)
        return Redirect("/login?created=1", status_code=303)

    @get("/invitations/{token:str}", name="invitation")
    async def invitation_page(
        self, request: Request[Any, Any, Any], db_session: DBSession, token: FromPath[str]
    ) -> Template:
        settings = settings_of(request.app)
        link = await service.find_link(db_session, settings, LinkPurpose.STAFF_INVITE, token)
        return Template(
            "accounts/invitation.html", context={"token": token, "link": link, "form": {}}
        )

    @post("/invitations/{token:str}")
    async def accept_invitation(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[AccountForm],
    ) -> Response[Any]:
        settings = settings_of(request.app)
        try:
            await service.accept_invitation(db_session, settings, token, data.name, data.password)
        except InvalidInput as error:
            await db_session.rollback()
            link = await service.find_link(db_session, settings, LinkPurpose.STAFF_INVITE, token)
            context = {"token": token, "link": link, "form": data, "errors": error.fields}
            return Template("accounts/invitation.html", context=context, status_code=422)
        return Redirect("/login?created=1", status_code=303)


class StaffController(Controller):
    path = "/admin/staff"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    async def _page(self, db_session: DBSession, **context: Any) -> dict[str, Any]:
        return {
            "staff": await service.staff(db_session),
            "invitations": await service.pending_invitations(db_session),
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
        request: Request[Any, Any, Any],
        db_session: DBSession,
        data: URLEncodedBody[InvitationForm],
    ) -> Template:
        settings = settings_of(request.app)
        inviter = account(request)
        try:
            token = await service.invite_staff(db_session, settings, inviter, data.email, data.role)
        except InvalidInput as error:
            context = await self._page(db_session, form=data, errors=error.fields)
            return Template("accounts/staff.html", context=context, status_code=422)
        link = f"{settings.base_url}/invitations/{token}"
        context = await self._page(db_session, new_link=link, invited=data.email)
        return Template("accounts/staff.html", context=context)


@dataclass
class AddressForm:
    email: str = ""


@dataclass
class PasswordForm:
    password: str = ""


async def _activation_form(
    db_session: AsyncSession, token: str, member: Member, errors: dict[str, str] | None = None
) -> Template:
    """New password, or, when an account already uses the address, that account's password."""
    existing = await activation.account_for(db_session, member) is not None
    context = {"token": token, "member": member, "existing": existing, "errors": errors or {}}
    return Template("accounts/activate.html", context=context, status_code=422 if errors else 200)


LinkRequest = Callable[[AsyncSession, Settings, str], Awaitable[None]]


def _after_response(
    request: Request[Any, Any, Any], work: LinkRequest, email: str
) -> BackgroundTask:
    """Look the address up only after the answer is sent, in a session of its own: the answer
    and its timing are then the same whether or not the address is on the register."""
    app = request.app

    async def run() -> None:
        config = cast(SQLAlchemyAsyncConfig, app.state["alchemy_config"])
        try:
            async with config.get_session() as session:
                await work(session, settings_of(app), email)
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
        data: URLEncodedBody[AddressForm],
    ) -> Template:
        work = _after_response(request, activation.request_activation, data.email)
        return Template("accounts/activate_request.html", context={"sent": True}, background=work)

    @get("/activate/{token:str}", name="activate")
    async def activation_page(
        self, request: Request[Any, Any, Any], db_session: DBSession, token: FromPath[str]
    ) -> Template:
        member = await activation.activation_member(db_session, settings_of(request.app), token)
        return await _activation_form(db_session, token, member)

    @post("/activate/{token:str}")
    async def activate(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        token: FromPath[str],
        data: URLEncodedBody[PasswordForm],
    ) -> Response[Any]:
        settings = settings_of(request.app)
        try:
            await activation.activate(db_session, settings, token, data.password, _client(request))
        except InvalidInput as error:
            await db_session.rollback()
            member = await activation.activation_member(db_session, settings, token)
            return await _activation_form(db_session, token, member, error.fields)
        return Redirect("/login?created=1", status_code=303)

    @get("/login/link", name="sign_in_link_request")
    async def sign_in_link_page(self) -> Template:
        return Template("accounts/sign_in_link.html", context={"sent": False})

    @post("/login/link")
    async def request_sign_in_link(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[AddressForm],
    ) -> Template:
        work = _after_response(request, activation.request_sign_in_link, data.email)
        return Template("accounts/sign_in_link.html", context={"sent": True}, background=work)

    @get("/login/link/{token:str}", name="sign_in_with_link")
    async def sign_in_link_confirm(
        self, request: Request[Any, Any, Any], db_session: DBSession, token: FromPath[str]
    ) -> Template:
        # A GET only shows a button: mail scanners that open links must not use them up.
        await service.find_link(db_session, settings_of(request.app), LinkPurpose.SIGN_IN, token)
        return Template("accounts/sign_in_link_confirm.html", context={"token": token})

    @post("/login/link/{token:str}")
    async def sign_in_with_link(
        self, request: Request[Any, Any, Any], db_session: DBSession, token: FromPath[str]
    ) -> Redirect:
        user = await activation.redeem_sign_in_link(db_session, settings_of(request.app), token)
        return await _start_session(request, db_session, user, "/")
