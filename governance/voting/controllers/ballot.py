"""The elector's pages: "Vote now", a ballot paper for every method, the review, the cast and
the receipt (issue 11, items 2 to 5). Parse, call the service, render.

Nothing is stored until "Cast my vote": the ballot posts to the review, which carries the marks
as hidden fields to the cast, which checks them again (DESIGN invariant 9).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar_htmx import HTMXRequest
from markupsafe import Markup

from governance import clock
from governance.db import DBSession
from governance.errors import DomainError
from governance.i18n import N_, _
from governance.voting import booth as booths
from governance.voting import casting, receipts
from governance.voting.ballots import BallotPaper, Form, Marked, SpoiltBallot, order_so_far, read
from governance.voting.booth import Booth, OtherElection, PassRevoked
from governance.voting.voters import VOTING_COOKIE, MaybeVoter, Voter, provide_voter
from governance.web.dependencies import AppSettings

AnyRequest = Request[Any, Any, Any]
CHOICES = "voting/_choices.html"

TITLES: dict[type[DomainError], str] = {
    casting.AlreadyVoted: N_("You have already voted"),
    casting.VotingClosed: N_("Voting has closed"),
    casting.NotOnRoll: N_("You are not on the roll for this contest"),
    PassRevoked: N_("Your voting code has changed"),
    OtherElection: N_("This is not your election"),
}

# The clean candidate list of each paper, rendered once per process (DESIGN "Voting and
# results"): a paper is fixed once published, so equal papers render to equal HTML.
_rendered: dict[tuple[BallotPaper, int, int], Markup] = {}
_RENDERED_KEPT = 256


def day(moment: datetime, zone: str) -> str:
    """The local date of a moment, as "2 March 2027"."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y")


async def posted(request: AnyRequest) -> Form:
    """Every posted field with all its values (a ranked paper posts one field per candidate)."""
    form = await request.form()
    return {name: [v for v in values if isinstance(v, str)] for name, values in form.dict().items()}


def choices_html(request: AnyRequest, found: Booth) -> Markup:
    key = (found.paper, found.election.id, found.contest.id)
    html = _rendered.get(key)
    if html is None:
        engine = cast(JinjaTemplateEngine, request.app.template_engine)
        context = {"paper": found.paper, "election": found.election, "contest": found.contest}
        html = Markup(engine.engine.get_template(CHOICES).render(**context, values={}, flagged={}))  # noqa: S704 - autoescaped template
        if len(_rendered) >= _RENDERED_KEPT:
            _rendered.clear()
        _rendered[key] = html
    return html


def _who() -> Template:
    """The page that says how to come in, when nobody is voting: sign in, or enter a code."""
    return Template("voting/who.html", status_code=401)


def _refused(error: DomainError) -> Template:
    title = TITLES.get(type(error), N_("You cannot vote in this contest now"))
    context = {"title": _(title), "message": error.message}
    response = Template("voting/refused.html", context=context, status_code=error.status_code)
    if isinstance(error, PassRevoked):
        response.delete_cookie(VOTING_COOKIE)
    return response


def _ballot(
    found: Booth, *, form: Form | None = None, error: SpoiltBallot | None = None
) -> dict[str, Any]:
    values = form or {}
    order, _problems = order_so_far(found.paper, values) if found.paper.ranked else ([], [])
    problems = error.problems if error else ()
    return {
        "booth": found,
        "election": found.election,
        "contest": found.contest,
        "paper": found.paper,
        "values": values,
        "problems": problems,
        "flagged": error.fields if error else {},
        "show_empty": any(p.field == "empty" for p in problems) or bool(values.get("empty")),
        "order": order,
        "order_problems": [],
        "choices": None,
    }


class BallotController(Controller):
    path = "/vote"
    dependencies = {"voter": Provide(provide_voter, sync_to_thread=False)}  # noqa: RUF012

    @get("/", name="vote_now")
    async def vote_now(self, voter: MaybeVoter, db_session: DBSession) -> Template:
        if voter is None:
            return _who()
        ballots = await booths.ballots_for(db_session, voter)
        return Template("voting/vote_now.html", context={"ballots": ballots, "day": day})

    @get("/contests/{contest_id:int}", name="ballot")
    async def ballot(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Template:
        if voter is None:
            return _who()
        try:
            found = await booths.booth(db_session, voter, contest_id)
        except DomainError as error:
            return _refused(error)
        context = _ballot(found)
        context["choices"] = choices_html(request, found)
        return Template("voting/ballot.html", context=context)

    @post("/contests/{contest_id:int}", name="ballot_review")
    async def review(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Template:
        """Check the paper and show it back; nothing is stored here."""
        if voter is None:
            return _who()
        try:
            found = await booths.booth(db_session, voter, contest_id)
        except DomainError as error:
            return _refused(error)
        form = await posted(request)
        try:
            marked = read(found.paper, form)
        except SpoiltBallot as error:
            return Template(
                "voting/ballot.html",
                context=_ballot(found, form=form, error=error),
                status_code=422,
            )
        return Template("voting/review.html", context=_review(found, marked))

    @post("/contests/{contest_id:int}/change", name="ballot_change")
    async def change(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Template:
        """Back from the review to the paper, marked as it was."""
        if voter is None:
            return _who()
        try:
            found = await booths.booth(db_session, voter, contest_id)
        except DomainError as error:
            return _refused(error)
        return Template("voting/ballot.html", context=_ballot(found, form=await posted(request)))

    @post("/contests/{contest_id:int}/order", name="ballot_order")
    async def order(
        self,
        request: HTMXRequest,
        voter: MaybeVoter,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Template:
        """The order so far beside a ranked paper, as the voter types (htmx)."""
        if voter is None:
            return _who()
        try:
            found = await booths.booth(db_session, voter, contest_id)
        except DomainError as error:
            return _refused(error)
        form = await posted(request)
        order, problems = order_so_far(found.paper, form)
        context = {**_ballot(found), "order": order, "order_problems": problems}
        block = "order" if request.htmx else None
        return HTMXBlockTemplate("voting/ballot.html", block_name=block, context=context)

    @post("/contests/{contest_id:int}/cast", name="ballot_cast")
    async def cast(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        settings: AppSettings,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Response[Any]:
        """Check the paper again and cast it; the receipt is said only once ``cast`` returned,
        which is after the commit (DESIGN invariant 10)."""
        if voter is None:
            return _who()
        form = await posted(request)
        try:
            found = await booths.paper_to_cast(db_session, voter, contest_id)
            marked = read(found.paper, form)
            box = request.app.state.get("ballot_writer")
            receipt = await booths.cast(db_session, voter, contest_id, marked.marks, box)
        except SpoiltBallot as error:
            context = _ballot(found, form=form, error=error)
            return Template("voting/ballot.html", context=context, status_code=422)
        except DomainError as error:
            return _refused(error)
        now = clock.now()
        response = Redirect(f"{receipts.receipt_path(contest_id)}/receipt", status_code=303)
        response.set_cookie(
            Cookie(
                key=receipts.RECEIPT_COOKIE,
                value=receipts.seal(settings.secret_key, receipt, now),
                path=receipts.receipt_path(contest_id),
                max_age=int(receipts.RECEIPT_LIFETIME.total_seconds()),
                httponly=True,
                secure=settings.secure_cookies,
                samesite="lax",
            )
        )
        return response

    async def _receipt(
        self,
        request: AnyRequest,
        voter: Voter,
        settings: AppSettings,
        db: DBSession,
        contest_id: int,
    ) -> tuple[Booth, casting.Receipt] | Template:
        token = request.cookies.get(receipts.RECEIPT_COOKIE, "")
        receipt = receipts.opened(settings.secret_key, token, contest_id, clock.now())
        if receipt is None:
            context = {
                "title": _("This receipt is no longer shown"),
                "message": _(
                    "A receipt is shown once, just after you vote, and for a few minutes after. "
                    "Your vote is still recorded: after voting closes, the ballot board lists "
                    "every tracking code."
                ),
            }
            return Template("voting/refused.html", context=context, status_code=410)
        try:
            found = await booths.paper_to_cast(db, voter, contest_id)
        except DomainError as error:
            return _refused(error)
        return found, receipt

    @get("/contests/{contest_id:int}/receipt", name="ballot_receipt")
    async def receipt(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        settings: AppSettings,
        db_session: DBSession,
        contest_id: FromPath[int],
        sent: FromQuery[bool] = False,
    ) -> Template:
        if voter is None:
            return _who()
        found = await self._receipt(request, voter, settings, db_session, contest_id)
        if isinstance(found, Template):
            return found
        booth, receipt = found
        context = {
            "booth": booth,
            "receipt": receipt,
            "has_email": bool(await booths.email_of(db_session, voter)),
            "sent": sent,
        }
        response = Template("voting/receipt.html", context=context)
        response.headers["cache-control"] = "no-store"
        return response

    @post("/contests/{contest_id:int}/receipt/email", name="ballot_receipt_email")
    async def email_receipt(
        self,
        request: AnyRequest,
        voter: MaybeVoter,
        settings: AppSettings,
        db_session: DBSession,
        contest_id: FromPath[int],
    ) -> Response[Any]:
        if voter is None:
            return _who()
        found = await self._receipt(request, voter, settings, db_session, contest_id)
        if isinstance(found, Template):
            return found
        booth, receipt = found
        try:
            await receipts.email(
                db_session,
                address=await booths.email_of(db_session, voter),
                receipt=receipt,
                election=booth.election,
                contest=booth.contest,
                zone=booth.zone,
            )
        except DomainError as error:
            await db_session.rollback()
            return _refused(error)
        return Redirect(f"{receipts.receipt_path(contest_id)}/receipt?sent=true", status_code=303)


def _review(found: Booth, marked: Marked) -> dict[str, Any]:
    return {
        "booth": found,
        "election": found.election,
        "contest": found.contest,
        "paper": found.paper,
        "marked": marked,
    }
