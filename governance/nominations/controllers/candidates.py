"""The public candidate list and candidates' photos."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from governance.db import DBSession
from governance.nominations import candidates, service
from governance.web.dependencies import Visitor

AnyRequest = Request[Any, Any, Any]


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
