"""The "Enter your voting code" page and the personal voting link: a code for a voting pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from governance import clock
from governance.accounts.sessions import client_address
from governance.config import Settings
from governance.db import DBSession
from governance.errors import InvalidInput, TooManyAttempts
from governance.voting import code_entry
from governance.voting.voters import PASS_LIFETIME, VOTING_COOKIE, Voter, issue_pass
from governance.web.dependencies import AppSettings
from governance.web.errors import error_page
from governance.web.forms import form_errors

VOTE_PAGE = "/vote"  # the ballot pages' "Vote now"
RECENTLY_CLOSED = timedelta(days=14)
# The link's URL carries the code: no page reached from it may pass that URL on (issue 11).
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@dataclass
class CodeForm:
    code: str = ""


def _with_pass(settings: Settings, voter: Voter) -> Redirect:
    response = Redirect(VOTE_PAGE, status_code=303, headers=NO_REFERRER)
    response.set_cookie(
        VOTING_COOKIE,
        issue_pass(settings.secret_key, voter, clock.now()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=int(PASS_LIFETIME.total_seconds()),
        path="/",
    )
    return response


class VotingCodeController(Controller):
    path = "/vote"

    async def _page(
        self, db_session: DBSession, settings: Settings, **extra: Any
    ) -> dict[str, Any]:
        now = clock.now()
        polls = await code_entry.polls(db_session, now, RECENTLY_CLOSED)
        return {
            "open_polls": [poll for poll in polls if poll.voting_close_at > now],
            "closed_polls": [poll for poll in polls if poll.voting_close_at <= now],
            "time_zone": settings.time_zone,
            "form": extra.pop("form", CodeForm()),
            "errors": {},
            **extra,
        }

    @get("/code", name="voting_code")
    async def code_page(self, db_session: DBSession, settings: AppSettings) -> Template:
        return Template("voting/code.html", context=await self._page(db_session, settings))

    @post("/code")
    async def enter_code(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        settings: AppSettings,
        data: URLEncodedBody[CodeForm],
    ) -> Response[Any]:
        try:
            voter = await code_entry.voter_for_code(
                db_session, settings, data.code, client_address(request)
            )
        except InvalidInput as error:
            # The typed code is not shown back: a page in the history should not hold it.
            return await form_errors(
                db_session,
                error,
                "voting/code.html",
                lambda: self._page(db_session, settings),
            )
        return _with_pass(settings, voter)

    @get("/link/{code:str}", name="voting_link")
    async def follow_link(
        self,
        request: Request[Any, Any, Any],
        db_session: DBSession,
        settings: AppSettings,
        code: FromPath[str],
    ) -> Response[Any]:
        """Nothing is used up here: mail scanners fetch links before people do (issue 11)."""
        try:
            voter = await code_entry.voter_for_code(
                db_session, settings, code, client_address(request)
            )
        except TooManyAttempts as error:
            refused = error_page(request, error.status_code, error.message)
            refused.headers.update(NO_REFERRER)
            return refused
        except InvalidInput as error:
            page = await form_errors(
                db_session,
                error,
                "voting/code.html",
                lambda: self._page(db_session, settings),
            )
            page.headers.update(NO_REFERRER)
            return page
        return _with_pass(settings, voter)
