"""Nomination pages: a member's own nominations and supports, the returning officer's review,
the public candidate list and candidates' photos. Parse, call one service function, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest

from governance.db import DBSession
from governance.errors import DomainError, InvalidInput
from governance.nominations import candidates, review, service, supporters
from governance.nominations.models import NominationState
from governance.nominations.statement import MAX_CHARACTERS, count_words
from governance.security.guards import requires_role
from governance.security.roles import Account, Role
from governance.web.dependencies import AppSettings, Viewer, Visitor
from governance.web.forms import form_errors

RO_ONLY = [requires_role(Role.RETURNING_OFFICER)]
AnyRequest = Request[Any, Any, Any]


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


@dataclass
class ReviewForm:
    outcome: str = ""
    reason: str = ""


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
            "progress": service.progress(election, nomination.supports),
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
        return _see_other(f"/ro/elections/{election_id}/nominations")

    @post("/contests/{contest_id:int}/unopposed", guards=RO_ONLY)
    async def unopposed(
        self,
        viewer: Viewer,
        db_session: DBSession,
        election_id: FromPath[int],
        contest_id: FromPath[int],
    ) -> Redirect:
        await review.declare_unopposed(db_session, viewer, election_id, contest_id)
        return _see_other(f"/ro/elections/{election_id}/nominations")

    @post("/publish", guards=RO_ONLY)
    async def publish(
        self, viewer: Viewer, db_session: DBSession, election_id: FromPath[int]
    ) -> Redirect:
        await candidates.publish(db_session, viewer, election_id)
        return _see_other(f"/ro/elections/{election_id}/nominations")


class CandidateListController(Controller):
    """Public: the published candidates of a contest, and candidates' photos."""

    @get("/elections/{election_id:int}/contests/{contest_id:int}/candidates", name="candidates")
    async def candidates(
        self, db_session: DBSession, election_id: FromPath[int], contest_id: FromPath[int]
    ) -> Template:
        found = await candidates.listing(db_session, election_id, contest_id)
        return Template("nominations/candidates.html", context={"listing": found})

    @get("/nominations/{nomination_id:int}/photo", name="nomination_photo")
    async def photo(
        self,
        visitor: Visitor,
        request: AnyRequest,
        db_session: DBSession,
        nomination_id: FromPath[int],
    ) -> Response[bytes]:
        """The re-encoded JPEG: cached publicly once published, privately before."""
        found = await service.photo(db_session, visitor, nomination_id)
        cache = "public, max-age=86400" if found.public else "private, no-cache"
        headers = {"cache-control": cache, "etag": f'"{found.etag}"'}
        if request.headers.get("if-none-match") == f'"{found.etag}"':
            return Response(b"", status_code=304, headers=headers)
        return Response(found.jpeg, media_type="image/jpeg", headers=headers)
