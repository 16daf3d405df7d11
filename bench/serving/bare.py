"""The baseline: a bare Litestar route with nothing of ours in front of it."""

from __future__ import annotations

from litestar import Litestar, get


@get("/bare", sync_to_thread=False)
def bare() -> str:
    return "ok"


def app_factory() -> Litestar:
    return Litestar(route_handlers=[bare])
