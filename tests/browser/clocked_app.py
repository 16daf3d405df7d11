"""The real application with the server clock moved by the test (a file holds the offset), so a
browser journey can walk an election through its timetable without waiting for it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar import Litestar

from governance import clock
from governance.app import create_app


def _now() -> datetime:
    path = Path(os.environ["GOVERNANCE_TEST_CLOCK_FILE"])
    offset = float(path.read_text(encoding="utf-8") or 0) if path.exists() else 0.0
    return datetime.now(UTC) + timedelta(seconds=offset)


def app_factory() -> Litestar:
    clock.set_clock(_now)
    return create_app()
