"""A member's own nominations and the supports asked of them: parse, call one service, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest

from governance.db import DBSession
from governance.errors import DomainError, InvalidInput
from governance.nominations import service, supporters
from governance.nominations.models import NominationState
from governance.nominations.progress import progress
from governance.nominations.statement import MAX_CHARACTERS, count_words
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.web.dependencies import AppSettings, Viewer
from governance.web.forms import form_errors


@dataclass
class NominationUpload:
    statement: str = ""
    declaration: str = ""
    remove_photo: str = ""
    photo: UploadFile | None = None


Multipart = Annotated[NominationUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


@dataclass
class StatementForm:
    statement: str = ""


@dataclass
class AskForm:
    member_id: int = 0
    role: str = ""


async def _submission(data: NominationUpload) -> service.Submission:
    upload = await data.photo.read() if data.photo is not None else b""
    return service.Submission(
        statement=data.statement,
        declaration=bool(data.declaration),
        photo=upload or None,
        remove_photo=bool(data.remove_photo),
    )


def _see_other(path: str) -> Redirect:
    return Redirect(path, status_code=303)


class MemberNominationController(Controller):
    path = "/my/nominations"
    guards = [requires_role(Role.MEMBER)]  # noqa: RUF012 - Litestar reads the class attribute

    async def _mine(self, viewer: Account, db: DBSession, problem: str = "") -> dict[str, Any]:
        return {
            "standings": await service.open_contests(db, viewer),
            "own": await service.own_with_progress(db, viewer),
            "asked": await supporters.asked_of(db, viewer),
            "problem": problem,
        }

    @get("/", name="my_nominations")
    async def mine(self, viewer: Viewer, db_session: DBSession) -> Template:
        return Template("nominations/mine.html", context=await self._mine(viewer, db_session))

    async def _form(
        self,
        viewer: Account,
        db: DBSession,
        contest_id: int,
        nomination_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        election, contest = await service.announced_contest(db, contest_id)
        member = await service.own_member(db, viewer)
        statement = extra.pop("statement", "")
        return {
            "election": election,
            "contest": contest,
            "nomination_id": nomination_id,
            "failure": None if nomination_id else service.stand_failure(contest, member),
            "has_photo": bool(nomination_id) and await service.has_photo(db, nomination_id or 0),
            "statement": statement,
            "words": count_words(statement),
            "errors": extra.pop("errors", {}),
            **extra,
        }

    @get("/new/{contest_id:int}", name="nomination_new")
    async def new(
        self, viewer: Viewer, db_session: DBSession, contest_id: FromPath[int]
    ) -> Template:
        context = await self._form(viewer, db_session, contest_id)
        return Template("nominations/form.html", context=context)

    @post("/new/{contest_id:int}")
    async def submit(
        self, viewer: Viewer, db_session: DBSession, contest_id: FromPath[int], data: Multipart
    ) -> Response[Any]:
        try:
            done = await service.nominate(db_session, viewer, contest_id, await _submission(data))
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "nominations/form.html",
                lambda: self._form(viewer, db_session, contest_id, statement=data.statement),
            )
        return _see_other(f"/my/nominations/{done.id}")

    @post("/word-count/{contest_id:int}")
    async def word_count(
        self,
        db_session: DBSession,
        contest_id: FromPath[int],
        data: URLEncodedBody[StatementForm],
    ) -> Template:
        """The live word count under the statement (htmx); the limit itself is enforced on
        submit."""
        election, _contest = await service.announced_contest(db_session, contest_id)
        # Counting parses the Markdown: bound the work to what a valid statement can hold.
        words = count_words(data.statement[: MAX_CHARACTERS + 1])
        context = {"election": election, "words": words}
        return HTMXBlockTemplate("nominations/form.html", block_name="word_count", context=context)

    async def _page(
        self, viewer: Account, db: DBSession, nomination_id: int, q: str = "", **extra: Any
    ) -> dict[str, Any]:
        election, contest, nomination = await service.own_nomination(db, viewer, nomination_id)
        return {
            "election": election,
            "contest": contest,
            "nomination": nomination,
            "rows": await supporters.supporter_rows(db, nomination),
            "progress": progress(election, nomination.supports),
            "open": service.accepting(election),
            "standing": nomination.state == NominationState.SUBMITTED.value,
            "q": q,
            "found": await supporters.search(db, viewer, nomination_id, q),
            "errors": extra.pop("errors", {}),
            **extra,
        }

    @get("/{nomination_id:int}", name="my_nomination")
    async def page(
        self,
        viewer: Viewer,
        request: HTMXRequest,
        db_session: DBSession,
        nomination_id: FromPath[int],
        q: FromQuery[str] = "",
    ) -> Template:
        context = await self._page(viewer, db_session, nomination_id, q)
        block = "search_results" if request.htmx else None
        return HTMXBlockTemplate("nominations/nomination.html", block_name=block, context=context)

    @get("/{nomination_id:int}/supporters")
    async def supporters_block(
        self,
        viewer: Viewer,
        db_session: DBSession,
        nomination_id: FromPath[int],
    ) -> Template:
        """Polled by the nomination page so the nominee sees answers arrive."""
        context = await self._page(viewer, db_session, nomination_id)
        return HTMXBlockTemplate(
            "nominations/nomination.html", block_name="supporters", context=context
        )

    @post("/{nomination_id:int}/supporters")
    async def ask(
        self,
        viewer: Viewer,
        settings: AppSettings,
        db_session: DBSession,
        nomination_id: FromPath[int],
        data: URLEncodedBody[AskForm],
    ) -> Response[Any]:
        try:
            await supporters.ask(
                db_session,
                viewer,
                nomination_id,
                data.member_id,
                data.role,
                base_url=settings.base_url,
            )
        except InvalidInput as error:
            return await form_errors(
                db_session,
                error,
                "nominations/nomination.html",
                lambda: self._page(viewer, db_session, nomination_id),
            )
        return _see_other(f"/my/nominations/{nomination_id}")

    @post("/{nomination_id:int}/supporters/{support_id:int}/take-back")
    async def take_back(
        self,
        viewer: Viewer,
        db_session: DBSession,
        nomination_id: FromPath[int],
        support_id: FromPath[int],
    ) -> Redirect:
        await supporters.take_back(db_session, viewer, nomination_id, support_id)
        return _see_other(f"/my/nominations/{nomination_id}")

    @get("/{nomination_id:int}/edit", name="my_nomination_edit")
    async def edit_page(
        self, viewer: Viewer, db_session: DBSession, nomination_id: FromPath[int]
    ) -> Template:
        _e, contest, nomination = await service.own_nomination(db_session, viewer, nomination_id)
        context = await self._form(
            viewer, db_session, contest.id, nomination.id, statement=nomination.statement
        )
        return Template("nominations/form.html", context=context)

    @post("/{nomination_id:int}/edit")
    async def edit(
        self,
        viewer: Viewer,
        db_session: DBSession,
        nomination_id: FromPath[int],
        data: Multipart,
    ) -> Response[Any]:
        try:
            await service.edit(db_session, viewer, nomination_id, await _submission(data))
        except InvalidInput as error:

            async def page() -> dict[str, Any]:
                _e, contest, _n = await service.own_nomination(db_session, viewer, nomination_id)
                return await self._form(
                    viewer, db_session, contest.id, nomination_id, statement=data.statement
                )

            return await form_errors(db_session, error, "nominations/form.html", page)
        return _see_other(f"/my/nominations/{nomination_id}")

    @post("/{nomination_id:int}/withdraw")
    async def withdraw(
        self, viewer: Viewer, db_session: DBSession, nomination_id: FromPath[int]
    ) -> Redirect:
        await service.withdraw(db_session, viewer, nomination_id)
        return _see_other("/my/nominations")

    @post("/supports/{support_id:int}/{answer:str}")
    async def answer(
        self,
        viewer: Viewer,
        db_session: DBSession,
        support_id: FromPath[int],
        answer: FromPath[str],
    ) -> Response[Any]:
        """Confirm or decline a support; a broken rule is shown on the page that asked."""
        respond = {"confirm": supporters.confirm, "decline": supporters.decline}.get(answer)
        if respond is None:
            return _see_other("/my/nominations")
        try:
            await respond(db_session, viewer, support_id)
        except DomainError as error:
            await db_session.rollback()
            context = await self._mine(viewer, db_session, problem=error.message)
            return Template("nominations/mine.html", context=context, status_code=error.status_code)
        return _see_other("/my/nominations")
