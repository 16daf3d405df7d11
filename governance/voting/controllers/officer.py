"""The returning officer's and scrutineers' view of the poll: turnout, and the roll during the poll.

Every returning officer and scrutineer reads these pages (as they read the election's other pages,
``elections.controllers.ro``); only the election's own returning officer changes the roll.
"""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest

from governance import clock
from governance.db import DBSession
from governance.elections import lifecycle
from governance.elections import service as elections
from governance.elections.lifecycle import Phase
from governance.errors import InvalidInput
from governance.security.guards import requires_role
from governance.security.roles import Role
from governance.voting import roll, turnout
from governance.voting.chart import chart
from governance.web.dependencies import Viewer
from governance.web.forms import form_errors

REFRESH_SECONDS = 60  # how often an open turnout page asks for fresh figures (htmx)
ROLL = "/{election_id:int}/contests/{contest_id:int}/roll"


class PollController(Controller):
    path = "/ro/elections"
    guards = [requires_role(Role.RETURNING_OFFICER, Role.SCRUTINEER)]  # noqa: RUF012

    @get("/{election_id:int}/turnout", name="ro_turnout")
    async def turnout_page(
        self, request: HTMXRequest, db_session: DBSession, election_id: FromPath[int]
    ) -> Template:
        """DESIGN invariant 3: how many have voted, never how; a block of it for htmx refreshes."""
        election = await elections.get(db_session, election_id)
        body = await elections.body_of(db_session, election)
        now = clock.now()
        figures = await turnout.turnout(db_session, election, now)
        context = {
            "election": election,
            "zone": body.time_zone,
            "phase": lifecycle.phase(election, now),
            "names": elections.PHASE_NAMES,
            "figures": figures,
            "charts": {c.contest_id: chart(c, body.time_zone) for c in figures.contests},
            "refresh": REFRESH_SECONDS,
        }
        block = "figures" if request.htmx else None
        return HTMXBlockTemplate("voting/turnout.html", block_name=block, context=context)

    @get(ROLL, name="ro_roll")
    async def roll_page(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
        changed: FromQuery[bool] = False,
    ) -> Template:
        context = await _roll_context(db_session, viewer, election_id, contest_id)
        context["changed"] = changed
        return Template("voting/roll.html", context=context)

    @post(ROLL)
    async def change(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
        data: URLEncodedBody[roll.RollChangeForm],
    ) -> Response[Any]:
        """Check the change and ask for confirmation; with ``confirm=yes``, make it."""
        try:
            if data.confirm != "yes":
                proposed = await roll.check(db_session, viewer, election_id, contest_id, data)
                await db_session.rollback()  # nothing is stored until the officer confirms
                context = await _roll_context(db_session, viewer, election_id, contest_id)
                context.update(proposed=proposed, form=data)
                return Template("voting/roll_confirm.html", context=context)
            await roll.change_roll(db_session, viewer, election_id, contest_id, data)
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                context = await _roll_context(db_session, viewer, election_id, contest_id)
                return {**context, "form": data}

            return await form_errors(db_session, error, "voting/roll.html", page)
        target = f"/ro/elections/{election_id}/contests/{contest_id}/roll"
        return Redirect(f"{target}?changed=1", status_code=303)


async def _roll_context(
    db_session: DBSession, viewer: Any, election_id: int, contest_id: int
) -> dict[str, Any]:
    election = await elections.get(db_session, election_id)
    contest = await elections.get_contest(db_session, election, contest_id)
    now = clock.now()
    phase = lifecycle.phase(election, now)
    frozen = await roll.roll_of(db_session, election, contest)
    return {
        "election": election,
        "contest": contest,
        "zone": (await elections.body_of(db_session, election)).time_zone,
        "roll": frozen,
        "changes": await roll.changes(db_session, election.id, contest.id),
        "may_change": elections.is_officer(election, viewer) and phase is Phase.VOTING_OPEN,
        "phase": phase,
        "names": elections.PHASE_NAMES,
        "reasons": roll.REASONS,
        "form": roll.RollChangeForm(),
        "errors": {},
        "proposed": None,
        "changed": False,
    }
