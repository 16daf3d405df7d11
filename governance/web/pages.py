"""Rendering a page outside a route handler's ``Template`` (error pages), with the same context."""

from __future__ import annotations

from typing import Any, cast

from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine


def render(
    request: Request[Any, Any, Any], name: str, context: dict[str, Any], status_code: int
) -> Response[str]:
    engine = cast(JinjaTemplateEngine, request.app.template_engine)
    html = engine.get_template(name).render(**context, request=request)
    return Response(content=html, media_type=MediaType.HTML, status_code=status_code)
