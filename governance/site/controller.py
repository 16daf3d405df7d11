"""The home page and ``/healthz``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.response import Response, Template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from governance.db import DBSession


class SiteController(Controller):
    @get("/", name="home")
    async def home(self) -> Template:
        return Template("site/home.html")

    @get("/healthz", name="health", exclude_from_csrf=True)
    async def health(self, db_session: DBSession) -> Response[dict[str, Any]]:
        """Healthy only when the database answers a query."""
        try:
            await db_session.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return Response({"status": "ok", "database": "ok"})
