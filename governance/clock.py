"""The one place that reads the time. Tests replace ``now`` through :func:`set_clock`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 - swapped by tests


def now() -> datetime:
    """The current time, timezone-aware in UTC: every stored time is UTC (DESIGN: lifecycle)."""
    return _source()


def set_clock(source: Callable[[], datetime]) -> None:
    global _source
    _source = source


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))
