"""The returning officer's election pages: parse, call, render."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from governance import clock
from governance.audit import chain as chain_rules
from governance.audit import service as audit
from governance.audit.models import election_chain
from governance.bodies import service as bodies
from governance.bodies.models import Body
from governance.counting.methods import METHODS
from governance.db import DBSession
from governance.elections import lifecycle, service
from governance.elections.models import Election
from governance.elections.settings import ContestForm, ElectionForm, render_constraints
from governance.errors import InvalidInput
from governance.i18n import _
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.web.dependencies import Viewer
from governance.web.fields import Problems, parse_id, parse_int
from governance.web.forms import form_errors

RO_ONLY = [requires_role(Role.RETURNING_OFFICER)]
MAX_SHIFT_DAYS = 3650


@dataclass(frozen=True, slots=True)
class NewElectionForm(ElectionForm):
    body_id: str = ""


@dataclass
class ReasonForm:
    reason: str = ""


@dataclass
class CopyForm:
    shift_days: str = "365"


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _election_form(election: Election, zone: str) -> ElectionForm:
    values = {f.name: getattr(election, f.name) for f in fields(ElectionForm)}
    for name in (
        "nominations_open_at",
        "nominations_close_at",
        "voting_open_at",
        "voting_close_at",
    ):
        values[name] = _local(values[name], zone)
    for name in (
        "supporters_other_organisation",
        "supporters_distinct_organisations",
        "publish_ballots",
    ):
        values[name] = "on" if values[name] else ""
    return ElectionForm(**{k: str(v) if not isinstance(v, str) else v for k, v in values.items()})


class ElectionController(Controller):
    path = "/ro/elections"
    guards = [requires_role(Role.RETURNING_OFFICER, Role.SCRUTINEER)]  # noqa: RUF012

    @get("/", name="ro_elections")
    async def list_page(self, db_session: DBSession) -> Template:
        listed = await service.listing(db_session, announced_only=False)
        return Template(
            "elections/ro_list.html", context={"listed": listed, "names": service.PHASE_NAMES}
        )

    async def _new_context(self, db_session: DBSession, **extra: Any) -> dict[str, Any]:
        return {
            "bodies": await bodies.bodies(db_session),
            "form": extra.pop("form", NewElectionForm()),
            "errors": extra.pop("errors", {}),
            "election": None,
        }

    @get("/new", name="ro_election_new", guards=RO_ONLY)
    async def new_page(self, db_session: DBSession) -> Template:
        return Template("elections/edit.html", context=await self._new_context(db_session))

    @post("/", guards=RO_ONLY)
    async def create(
        self,
        viewer: Viewer,
        db_session: DBSession,
        data: URLEncodedBody[NewElectionForm],
    ) -> Response[Any]:
        form = ElectionForm(**{f.name: getattr(data, f.name) for f in fields(ElectionForm)})
        body_id = parse_id(data.body_id, Body.id)
        try:
            election = await service.create(db_session, viewer, body_id, form)
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "elections/edit.html",
                lambda: self._new_context(db_session, form=data),
            )
        return Redirect(f"/ro/elections/{election.id}", status_code=303)

    @get("/{election_id:int}", name="ro_election")
    async def election_page(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Template:
        context = await _overview(db_session, election_id, viewer)
        return Template("elections/ro_election.html", context=context)

    @get("/{election_id:int}/edit", name="ro_election_edit", guards=RO_ONLY)
    async def edit_page(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Template:
        election = await service.get_as_officer(db_session, viewer, election_id)
        body = await service.body_of(db_session, election)
        context = {
            "election": election,
            "form": _election_form(election, body.time_zone),
            "errors": {},
        }
        return Template("elections/edit.html", context=context)

    @post("/{election_id:int}/edit", guards=RO_ONLY)
    async def edit(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        data: URLEncodedBody[ElectionForm],
    ) -> Response[Any]:
        try:
            await service.update(db_session, viewer, election_id, data)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                return {"election": await service.get(db_session, election_id), "form": data}

            return await form_errors(db_session, error, "elections/edit.html", page)
        return Redirect(f"/ro/elections/{election_id}", status_code=303)

    @get("/{election_id:int}/contests/new", name="ro_contest_new", guards=RO_ONLY)
    async def new_contest_page(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Template:
        election = await service.get_as_officer(db_session, viewer, election_id)
        return Template(
            "elections/contest.html", context=_contest_context(election, None, ContestForm(), {})
        )

    @post("/{election_id:int}/contests", guards=RO_ONLY)
    async def add_contest(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        data: URLEncodedBody[ContestForm],
    ) -> Response[Any]:
        try:
            await service.add_contest(db_session, viewer, election_id, data)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                election = await service.get(db_session, election_id)
                return _contest_context(election, None, data, {})

            return await form_errors(db_session, error, "elections/contest.html", page)
        return Redirect(f"/ro/elections/{election_id}", status_code=303)

    @get(
        "/{election_id:int}/contests/{contest_id:int}/edit", guards=RO_ONLY, name="ro_contest_edit"
    )
    async def contest_page(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
    ) -> Template:
        election = await service.get_as_officer(db_session, viewer, election_id)
        contest = await service.get_contest(db_session, election, contest_id)
        form = ContestForm(
            name=contest.name,
            seats=str(contest.seats),
            method=contest.method,
            stand_rule=contest.stand_rule,
            vote_rule=contest.vote_rule,
            constraints=render_constraints(contest.constraints),
        )
        return Template(
            "elections/contest.html", context=_contest_context(election, contest, form, {})
        )

    @post("/{election_id:int}/contests/{contest_id:int}/edit", guards=RO_ONLY)
    async def edit_contest(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
        data: URLEncodedBody[ContestForm],
    ) -> Response[Any]:
        try:
            await service.update_contest(db_session, viewer, election_id, contest_id, data)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                election = await service.get(db_session, election_id)
                contest = await service.get_contest(db_session, election, contest_id)
                return _contest_context(election, contest, data, {})

            return await form_errors(db_session, error, "elections/contest.html", page)
        return Redirect(f"/ro/elections/{election_id}", status_code=303)

    @post("/{election_id:int}/announce", guards=RO_ONLY)
    async def announce(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Redirect:
        await service.announce(db_session, viewer, election_id)
        return Redirect(f"/ro/elections/{election_id}", status_code=303)

    @post("/{election_id:int}/cancel", guards=RO_ONLY)
    async def cancel(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        data: URLEncodedBody[ReasonForm],
    ) -> Response[Any]:
        try:
            await service.cancel(db_session, viewer, election_id, data.reason)
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "elections/ro_election.html",
                lambda: _overview(db_session, election_id, viewer),
                errors_key="cancel_errors",
            )
        return Redirect(f"/ro/elections/{election_id}", status_code=303)

    @post("/{election_id:int}/copy", guards=RO_ONLY)
    async def copy(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        data: URLEncodedBody[CopyForm],
    ) -> Response[Any]:
        problems: Problems = {}
        message = _("Enter a whole number of days, at most %(max)d.") % {"max": MAX_SHIFT_DAYS}
        days = parse_int(
            data.shift_days,
            "shift_days",
            problems,
            minimum=-MAX_SHIFT_DAYS,
            maximum=MAX_SHIFT_DAYS,
            message=message,
        )
        if days is None:
            return await form_errors(
                db_session,
                InvalidInput(problems),
                "elections/ro_election.html",
                lambda: _overview(db_session, election_id, viewer),
                errors_key="copy_errors",
            )
        election = await service.copy(db_session, viewer, election_id, days)
        return Redirect(f"/ro/elections/{election.id}", status_code=303)

    @get("/{election_id:int}/audit.jsonl", name="ro_election_audit")
    async def audit_export(
        self, db_session: DBSession, election_id: FromPath[int]
    ) -> Response[str]:
        """The election's chain in the documented export format, for `governance audit verify`."""
        election = await service.get(db_session, election_id)
        lines = [
            chain_rules.to_jsonl(audit.as_exported(event))
            async for event in audit.events(db_session, election_chain(election.id))
        ]
        filename = f"election-{election.id}-audit.jsonl"
        return Response(
            "\n".join(lines) + "\n",
            media_type="application/jsonl",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )


def _contest_context(
    election: Election, contest: Any, form: ContestForm, errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "election": election,
        "contest": contest,
        "form": form,
        "errors": errors,
        "methods": list(METHODS),
    }


async def _overview(
    db_session: DBSession, election_id: int, viewer: Account, **extra: Any
) -> dict[str, Any]:
    election = await service.get(db_session, election_id)
    name = election_chain(election.id)
    events = [event async for event in audit.events(db_session, name)]
    now = clock.now()
    return {
        "election": election,
        "body": await service.body_of(db_session, election),
        "officer": await service.officer_name(db_session, election),
        "is_officer": service.is_officer(election, viewer),
        "phase": lifecycle.phase(election, now),
        "actions": lifecycle.allowed_actions(election, now),
        "names": service.PHASE_NAMES,
        "events": events,
        "head": (await audit.head(db_session, name))[1],
        "cancel_errors": extra.pop("cancel_errors", {}),
        "copy_errors": extra.pop("copy_errors", {}),
    }
