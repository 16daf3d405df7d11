"""The member's roll check and challenge form, and the staff queue of challenges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from governance.challenges import service
from governance.db import DBSession
from governance.elections import service as elections
from governance.errors import InvalidInput
from governance.members.service import MemberForm
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.web.dependencies import Viewer
from governance.web.forms import form_errors


@dataclass
class ChallengeForm:
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DecisionForm(MemberForm):
    decision: str = ""
    outcome: str = ""


async def _decision_page(
    db_session: DBSession, challenge_id: int, form: DecisionForm
) -> dict[str, Any]:
    challenge, member = await service.open_challenge(db_session, challenge_id)
    return {"challenge": challenge, "member": member, "form": form, "errors": {}}


class RollCheckController(Controller):
    path = "/account"
    guards = [requires_role(Role.MEMBER)]  # noqa: RUF012 - Litestar reads the class attribute

    async def _page(self, viewer: Account, db_session: DBSession, **extra: Any) -> dict[str, Any]:
        member = await service.own_member(db_session, viewer)
        return {
            "member": member,
            "challenges": await service.of_member(db_session, member.id),
            "standing": await elections.standing_of(db_session, member),
            "errors": extra.pop("errors", {}),
            "form": extra.pop("form", ChallengeForm()),
            **extra,
        }

    @get("/", name="roll_check")
    async def roll_check(self, viewer: Viewer, db_session: DBSession) -> Template:
        return Template("challenges/roll_check.html", context=await self._page(viewer, db_session))

    @post("/challenges")
    async def lodge(
        self,
        viewer: Viewer,
        db_session: DBSession,
        data: URLEncodedBody[ChallengeForm],
    ) -> Response[Any]:
        try:
            await service.lodge(db_session, viewer, data.reason)
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "challenges/roll_check.html",
                lambda: self._page(viewer, db_session, form=data),
            )
        return Redirect("/account", status_code=303)


class ChallengeQueueController(Controller):
    path = "/admin/challenges"
    guards = [requires_role(Role.ADMIN, Role.RETURNING_OFFICER)]  # noqa: RUF012 - read by Litestar

    @get("/", name="challenges")
    async def queue(self, db_session: DBSession) -> Template:
        return Template("challenges/queue.html", context={"rows": await service.queue(db_session)})

    @get("/{challenge_id:int}", name="challenge")
    async def decide_page(self, db_session: DBSession, challenge_id: FromPath[int]) -> Template:
        _challenge, member = await service.open_challenge(db_session, challenge_id)
        values = member.snapshot()
        values["joined_on"] = values["joined_on"] or ""
        form = DecisionForm(**{k: v for k, v in values.items() if k != "attributes"})
        context = await _decision_page(db_session, challenge_id, form)
        return Template("challenges/decide.html", context=context)

    @post("/{challenge_id:int}")
    async def decide(
        self,
        viewer: Viewer,
        db_session: DBSession,
        challenge_id: FromPath[int],
        data: URLEncodedBody[DecisionForm],
    ) -> Response[Any]:
        try:
            if data.outcome == "accept":
                correction = MemberForm(
                    **{k: getattr(data, k) for k in MemberForm.__dataclass_fields__}
                )
                await service.accept(db_session, viewer, challenge_id, correction, data.decision)
            else:
                await service.reject(db_session, viewer, challenge_id, data.decision)
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "challenges/decide.html",
                lambda: _decision_page(db_session, challenge_id, data),
            )
        return Redirect("/admin/challenges", status_code=303)
