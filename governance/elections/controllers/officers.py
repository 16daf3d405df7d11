"""The administrator's page of who runs each election, and handing one over: parse, call, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from governance.accounts.models import User
from governance.db import DBSession
from governance.elections import officers, service
from governance.elections.models import Election
from governance.errors import InvalidInput
from governance.i18n import _
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.web.dependencies import Viewer
from governance.web.fields import parse_id
from governance.web.forms import form_errors


@dataclass
class HandOverForm:
    election_id: str = ""
    officer_id: str = ""


async def _page(db_session: DBSession, **extra: Any) -> dict[str, Any]:
    listed = await service.listing(db_session, announced_only=False)
    people = await officers.returning_officers(db_session)
    return {
        "listed": listed,
        "names": service.PHASE_NAMES,
        "election_options": [("", _("Choose an election"))]
        + [(str(row.election.id), f"{row.election.title} ({row.body.name})") for row in listed],
        "officer_options": [("", _("Choose a returning officer"))]
        + [(str(person.id), f"{person.name} ({person.email})") for person in people],
        "form": extra.pop("form", HandOverForm()),
        "errors": extra.pop("errors", {}),
    }


class ElectionOfficerController(Controller):
    path = "/admin/elections"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar reads the class attribute

    @get("/", name="election_officers")
    async def page(self, db_session: DBSession) -> Template:
        return Template("elections/officers.html", context=await _page(db_session))

    @post("/")
    async def hand_over(
        self,
        viewer: Viewer,
        db_session: DBSession,
        data: URLEncodedBody[HandOverForm],
    ) -> Response[Any]:
        election_id = parse_id(data.election_id, Election.id)
        officer_id = parse_id(data.officer_id, User.id)
        try:
            await officers.hand_over(db_session, viewer, election_id, officer_id)
        except InvalidInput as error:
            return await form_errors(
                db_session, error, "elections/officers.html", lambda: _page(db_session, form=data)
            )
        return Redirect("/admin/elections", status_code=303)
