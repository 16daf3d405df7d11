"""The served app, and only it, freezes its start-up objects out of the garbage collector."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.app import _freeze_start_up_objects, app_factory, create_app
from governance.config import Settings


def test_an_app_made_with_create_app_does_not_freeze_the_collector(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}",
        secret_key="test-secret-key-" + "x" * 32,
    )
    assert _freeze_start_up_objects not in create_app(settings).on_startup


def test_the_served_app_freezes_its_start_up_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    assert app_factory().on_startup.count(_freeze_start_up_objects) == 1
