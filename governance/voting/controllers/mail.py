"""The returning officer's view of the voting mail, with resend and reissue, and reminders.

Returning officers and scrutineers read; only the election's own returning officer changes
anything (``elections.service.get_as_officer``). Each change has a page of its own that says
what will happen before the button that does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from governance import clock
from governance.db import DBSession
from governance.elections import lifecycle
from governance.elections import service as elections
from governance.elections.lifecycle import Phase
from governance.errors import InvalidInput, NotFound
from governance.i18n import _
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.voting import credentials, mail_status, reminders
from governance.web.dependencies import AppSettings, Viewer
from governance.web.fields import Problems, parse_int
from governance.web.forms import form_errors

RO_ONLY = [requires_role(Role.RETURNING_OFFICER)]
ELECTORS = "/ro/elections/{election_id:int}/electors"
REMINDERS = "/ro/elections/{election_id:int}/reminders"
ACTIONS = ("resend", "reissue")


@dataclass
class ScheduleForm:
    hours_before: str = ""


async def _election_context(
    db_session: DBSession, viewer: Account, election_id: int
) -> dict[str, Any]:
    election = await elections.get(db_session, election_id)
    return {
        "election": election,
        "is_officer": elections.is_officer(election, viewer),
        "voting_open": lifecycle.phase(election, clock.now()) is Phase.VOTING_OPEN,
    }


class VotingMailController(Controller):
    path = ELECTORS
    guards = [requires_role(Role.RETURNING_OFFICER, Role.SCRUTINEER)]  # noqa: RUF012

    @get("/", name="ro_electors")
    async def electors_page(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        context = await _election_context(db_session, viewer, election_id)
        context |= {
            "summary": await mail_status.summary(db_session, election_id),
            "listing": await mail_status.electors(db_session, election_id, q, page),
            "q": q,
            "time_zone": settings.time_zone,
        }
        return Template("voting/electors.html", context=context)

    async def _confirm_context(
        self, db_session: DBSession, viewer: Account, election_id: int, member_id: int, action: str
    ) -> dict[str, Any]:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        elector = await mail_status.one(db_session, election_id, member_id)
        if elector is None or action not in ACTIONS:
            raise NotFound(_("This member has no voting code in this election."))
        return {"election": election, "elector": elector, "action": action}

    @get("/{member_id:int}/resend", name="ro_elector_resend", guards=RO_ONLY)
    async def confirm_resend(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        member_id: FromPath[int],
    ) -> Template:
        context = await self._confirm_context(db_session, viewer, election_id, member_id, "resend")
        return Template("voting/elector_confirm.html", context=context)

    @get("/{member_id:int}/reissue", name="ro_elector_reissue", guards=RO_ONLY)
    async def confirm_reissue(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        member_id: FromPath[int],
    ) -> Template:
        context = await self._confirm_context(db_session, viewer, election_id, member_id, "reissue")
        return Template("voting/elector_confirm.html", context=context)

    @post("/{member_id:int}/resend", guards=RO_ONLY)
    async def resend(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
        member_id: FromPath[int],
    ) -> Redirect:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        await credentials.resend(db_session, settings, election, member_id, viewer.email)
        return Redirect(f"/ro/elections/{election_id}/electors?done=resent", status_code=303)

    @post("/{member_id:int}/reissue", guards=RO_ONLY)
    async def reissue(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
        member_id: FromPath[int],
    ) -> Redirect:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        await credentials.reissue(db_session, settings, election, member_id, viewer.email)
        return Redirect(f"/ro/elections/{election_id}/electors?done=reissued", status_code=303)


class ReminderController(Controller):
    path = REMINDERS
    guards = [requires_role(Role.RETURNING_OFFICER, Role.SCRUTINEER)]  # noqa: RUF012

    async def _page(
        self, db_session: DBSession, viewer: Account, election_id: int, **extra: Any
    ) -> dict[str, Any]:
        context = await _election_context(db_session, viewer, election_id)
        return context | {
            "reminders": await reminders.of_election(db_session, election_id),
            "form": extra.pop("form", ScheduleForm()),
            "errors": extra.pop("errors", {}),
            **extra,
        }

    @get("/", name="ro_reminders")
    async def reminders_page(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
    ) -> Template:
        context = await self._page(db_session, viewer, election_id)
        context |= {"time_zone": settings.time_zone, "min_hours": settings.reminder_min_hours}
        return Template("voting/reminders.html", context=context)

    @get("/send", name="ro_reminder_confirm", guards=RO_ONLY)
    async def confirm_send(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
    ) -> Template:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        context = {
            "election": election,
            "waiting": await reminders.count_non_voters(db_session, election_id),
            "min_hours": settings.reminder_min_hours,
        }
        return Template("voting/reminder_confirm.html", context=context)

    @post("/send", guards=RO_ONLY)
    async def send(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
    ) -> Redirect:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        await reminders.send_now(db_session, settings, election, viewer.email)
        return Redirect(f"/ro/elections/{election_id}/reminders", status_code=303)

    @post("/schedule", guards=RO_ONLY)
    async def schedule(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        election_id: FromPath[int],
        data: URLEncodedBody[ScheduleForm],
    ) -> Response[Any]:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        problems: Problems = {}
        hours = parse_int(data.hours_before, "hours_before", problems, minimum=1, maximum=24 * 90)
        try:
            if hours is None:
                raise InvalidInput(problems)
            due_at = election.voting_close_at - timedelta(hours=hours)
            await reminders.schedule(db_session, settings, election, due_at, viewer.email)
        except InvalidInput as error:
            page = self._page(db_session, viewer, election_id, form=data)

            async def context() -> dict[str, Any]:
                extra = {"time_zone": settings.time_zone, "min_hours": settings.reminder_min_hours}
                return await page | extra

            return await form_errors(db_session, error, "voting/reminders.html", context)
        return Redirect(f"/ro/elections/{election_id}/reminders", status_code=303)

    @post("/{reminder_id:int}/cancel", guards=RO_ONLY)
    async def cancel(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        reminder_id: FromPath[int],
    ) -> Redirect:
        election = await elections.get_as_officer(db_session, viewer, election_id)
        await reminders.cancel(db_session, election, reminder_id, viewer.email)
        return Redirect(f"/ro/elections/{election_id}/reminders", status_code=303)
