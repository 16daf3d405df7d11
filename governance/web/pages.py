"""Rendering a page outside a route handler's ``Template`` (error pages), with the same context."""

from __future__ import annotations

from typing import Any, cast

import jinja2_fragments
from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine


def render(
    request: Request[Any, Any, Any], name: str, context: dict[str, Any], status_code: int
) -> Response[str]:
    engine = cast(JinjaTemplateEngine, request.app.template_engine)
    html = engine.get_template(name).render(**context, request=request)
    return Response(content=html, media_type=MediaType.HTML, status_code=status_code)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def render_block(
    request: Request[Any, Any, Any], name: str, block: str, context: dict[str, Any]
) -> Response[str]:
    """One named block of a page, for an htmx request: one template per page, no fragment files."""
    engine = cast(JinjaTemplateEngine, request.app.template_engine)
    html = jinja2_fragments.render_block(engine.engine, name, block, **context, request=request)
    return Response(content=html, media_type=MediaType.HTML, status_code=200)
