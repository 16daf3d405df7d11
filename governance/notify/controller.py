"""The admin outbox page: what mail is waiting, sent or failed, and the text of each message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from governance.config import Settings
from governance.db import DBSession
from governance.errors import InvalidInput
from governance.i18n import N_
from governance.notify import service
from governance.notify.models import OutboxState
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.web.dependencies import AppSettings, Viewer
from governance.web.forms import form_errors

STATE_LABELS = {  # marked for extraction; translated where shown
    OutboxState.PENDING.value: N_("Waiting"),
    OutboxState.SENDING.value: N_("Sending"),
    OutboxState.SENT.value: N_("Sent"),
    OutboxState.FAILED.value: N_("Failed"),
}


@dataclass
class TestMessageForm:
    email: str = ""


class OutboxController(Controller):
    path = "/admin/outbox"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    async def _list(
        self, settings: Settings, db_session: DBSession, before: int | None
    ) -> dict[str, Any]:
        messages = await service.recent(db_session, before=before)
        older = messages[-1].id if len(messages) == service.PAGE_SIZE else None
        return {
            "messages": messages,
            "counts": await service.counts(db_session),
            "older": older,
            "smtp_configured": bool(settings.smtp_host),
            "time_zone": settings.time_zone,
            "state_labels": STATE_LABELS,
            "form": {},
            "errors": {},
        }

    @get("/", name="outbox")
    async def outbox_page(
        self,
        settings: AppSettings,
        db_session: DBSession,
        before: FromQuery[int | None] = None,
    ) -> Template:
        context = await self._list(settings, db_session, before)
        return Template("notify/outbox.html", context=context)

    @get("/{message_id:int}", name="outbox_message")
    async def message_page(
        self, settings: AppSettings, db_session: DBSession, message_id: FromPath[int]
    ) -> Template:
        context = {
            "message": await service.message(db_session, message_id),
            # With SMTP on, the text is the recipient's alone: it may hold their one-time links.
            "show_text": not settings.smtp_host,
            "time_zone": settings.time_zone,
            "state_labels": STATE_LABELS,
        }
        return Template("notify/outbox_message.html", context=context)

    @post("/{message_id:int}/send-again")
    async def send_again(
        self, viewer: Viewer, db_session: DBSession, message_id: FromPath[int]
    ) -> Redirect:
        await service.send_again(db_session, message_id, actor=viewer.email)
        return Redirect(f"/admin/outbox/{message_id}", status_code=303)

    @post("/test")
    async def send_test(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        data: URLEncodedBody[TestMessageForm],
    ) -> Response[Any]:
        try:
            queued = await service.send_test_message(
                db_session, settings, to=data.email, actor=viewer.email
            )
        except service.UndeliverableAddress as error:

            async def page() -> dict[str, Any]:
                return {**await self._list(settings, db_session, None), "form": data}

            refused = InvalidInput({"email": error.message})
            return await form_errors(db_session, refused, "notify/outbox.html", page)
        return Redirect(f"/admin/outbox/{queued.id}", status_code=303)
