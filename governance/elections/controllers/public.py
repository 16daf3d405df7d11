"""The public timetable: every announced election and what phase it is in."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Template

from governance import clock
from governance.db import DBSession
from governance.elections import lifecycle, service
from governance.errors import NotFound
from governance.i18n import _


class TimetableController(Controller):
    """Public: every announced election, its timetable and what phase it is in."""

    @get("/elections", name="timetable")
    async def timetable(self, db_session: DBSession) -> Template:
        listed = await service.listing(db_session, announced_only=True)
        return Template(
            "elections/timetable.html", context={"listed": listed, "names": service.PHASE_NAMES}
        )

    @get("/elections/{election_id:int}", name="public_election")
    async def election(self, db_session: DBSession, election_id: FromPath[int]) -> Template:
        election = await service.get(db_session, election_id)
        if election.announced_at is None:
            raise NotFound(_("There is no such election."))
        context = {
            "election": election,
            "body": await service.body_of(db_session, election),
            "officer": await service.officer_name(db_session, election),
            "phase": lifecycle.phase(election, clock.now()),
            "names": service.PHASE_NAMES,
        }
        return Template("elections/public_election.html", context=context)
