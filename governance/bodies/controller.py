"""Admin pages for bodies and their seat holders: parse, call the service, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from governance import clock
from governance.bodies import service
from governance.bodies.models import TenureEnd
from governance.db import DBSession
from governance.errors import InvalidInput
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.web.dependencies import Viewer
from governance.web.forms import form_errors


@dataclass
class EndForm:
    ends_on: str = ""
    end_reason: str = ""


async def _bodies_page(db_session: DBSession, form: service.BodyForm) -> dict[str, Any]:
    return {"bodies": await service.bodies(db_session), "form": form}


class BodyController(Controller):
    path = "/admin/bodies"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    @get("/", name="bodies")
    async def list_page(self, db_session: DBSession) -> Template:
        context = await _bodies_page(db_session, service.BodyForm())
        return Template("bodies/bodies.html", context=context)

    @post("/")
    async def create(
        self,
        viewer: Viewer,
        db_session: DBSession,
        data: URLEncodedBody[service.BodyForm],
    ) -> Response[Any]:
        try:
            body = await service.create(db_session, viewer.email, data)
        except InvalidInput as error:
            return await form_errors(
                db_session, error, "bodies/bodies.html", lambda: _bodies_page(db_session, data)
            )
        return Redirect(f"/admin/bodies/{body.id}", status_code=303)

    async def _body_page(
        self, db_session: DBSession, body_id: int, on: date, **extra: Any
    ) -> dict[str, Any]:
        body = await service.get(db_session, body_id)
        return {
            "body": body,
            "on": on,
            "holders": await service.holders(db_session, body, on),
            "reasons": list(TenureEnd),
            "form": extra.pop("form", service.HoldingForm()),
            "errors": extra.pop("errors", {}),
            **extra,
        }

    @get("/{body_id:int}", name="body")
    async def body_page(
        self, db_session: DBSession, body_id: FromPath[int], on: FromQuery[date | None] = None
    ) -> Template:
        day = on or clock.now().date()
        return Template("bodies/body.html", context=await self._body_page(db_session, body_id, day))

    @post("/{body_id:int}/holdings")
    async def record_holding(
        self,
        viewer: Viewer,
        db_session: DBSession,
        body_id: FromPath[int],
        data: URLEncodedBody[service.HoldingForm],
    ) -> Response[Any]:
        try:
            await service.record_holding(db_session, viewer.email, body_id, data)
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "bodies/body.html",
                lambda: self._body_page(db_session, body_id, clock.now().date(), form=data),
            )
        return Redirect(f"/admin/bodies/{body_id}", status_code=303)

    @post("/{body_id:int}/holdings/{holding_id:int}/end")
    async def end_holding(
        self,
        viewer: Viewer,
        db_session: DBSession,
        body_id: FromPath[int],
        holding_id: FromPath[int],
        data: URLEncodedBody[EndForm],
    ) -> Response[Any]:
        try:
            await service.end_holding(
                db_session,
                viewer.email,
                body_id,
                holding_id,
                data.ends_on,
                data.end_reason,
            )
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "bodies/body.html",
                lambda: self._body_page(db_session, body_id, clock.now().date(), ending=holding_id),
                errors_key="end_errors",
            )
        return Redirect(f"/admin/bodies/{body_id}", status_code=303)
