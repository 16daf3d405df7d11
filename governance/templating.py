"""The Jinja2 environment: autoescaping on, gettext installed, the site's filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from governance import i18n
from governance.config import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "templates"


def local_time(moment: datetime | None, zone: str = "Europe/London") -> str:
    """A stored UTC time shown in the body's time zone (DESIGN: lifecycle)."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M on %-d %B %Y")


def make_environment(directory: Path = TEMPLATE_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_time"] = local_time
    return env
