"""The returning officer's review of nominations and publication of the candidate list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from governance.db import DBSession
from governance.errors import InvalidInput
from governance.nominations import candidates, review, service
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.web.dependencies import Viewer
from governance.web.forms import form_errors

RO_ONLY = [requires_role(Role.RETURNING_OFFICER)]


@dataclass
class ReviewForm:
    outcome: str = ""
    reason: str = ""


class ReviewController(Controller):
    """The returning officer's review; scrutineers and other returning officers read it and
    change nothing (the service refuses them; the pages leave out the buttons)."""

    path = "/ro/elections/{election_id:int}/nominations"
    guards = [requires_role(Role.RETURNING_OFFICER, Role.SCRUTINEER)]  # noqa: RUF012

    @get("/", name="ro_nominations")
    async def board(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Template:
        found = await review.board(db_session, viewer, election_id)
        context = {"board": found, "can_change": found.can_change}
        return Template("nominations/review.html", context=context)

    async def _one(
        self, viewer: Account, db: DBSession, election_id: int, nomination_id: int, **extra: Any
    ) -> dict[str, Any]:
        found, contest, item = await review.entry(db, viewer, election_id, nomination_id)
        suggested = "" if item.progress.complete else review.incomplete_reason(item)
        form = extra.pop(
            "form",
            ReviewForm(
                outcome="invalid" if suggested else "",
                reason=item.nomination.review_reason or suggested,
            ),
        )
        return {
            "board": found,
            "contest": contest.contest,
            "item": item,
            "form": form,
            "statement": candidates.rendered(await review.statement_of(db, nomination_id)),
            "has_photo": await service.has_photo(db, nomination_id),
            "can_change": found.can_change,
            "errors": extra.pop("errors", {}),
        }

    @get("/{nomination_id:int}", name="ro_nomination")
    async def one(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        nomination_id: FromPath[int],
    ) -> Template:
        context = await self._one(viewer, db_session, election_id, nomination_id)
        return Template("nominations/review_one.html", context=context)

    @post("/{nomination_id:int}", guards=RO_ONLY)
    async def mark(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        nomination_id: FromPath[int],
        data: URLEncodedBody[ReviewForm],
    ) -> Response[Any]:
        try:
            await review.mark(
                db_session, viewer, election_id, nomination_id, data.outcome, data.reason
            )
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "nominations/review_one.html",
                lambda: self._one(viewer, db_session, election_id, nomination_id, form=data),
            )
        return Redirect(f"/ro/elections/{election_id}/nominations", status_code=303)

    @post("/contests/{contest_id:int}/unopposed", guards=RO_ONLY)
    async def unopposed(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
    ) -> Redirect:
        await review.declare_unopposed(db_session, viewer, election_id, contest_id)
        return Redirect(f"/ro/elections/{election_id}/nominations", status_code=303)

    @post("/publish", guards=RO_ONLY)
    async def publish(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Redirect:
        await candidates.publish(db_session, viewer, election_id)
        return Redirect(f"/ro/elections/{election_id}/nominations", status_code=303)
