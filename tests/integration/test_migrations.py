"""Every migration runs from empty, and the models agree with the migrated schema."""

from __future__ import annotations

import pytest
from alembic.util.exc import CommandError

from governance.migrate import check


def test_upgrade_head_from_empty_matches_the_models(template_database: str) -> None:
    """The session's template database was built by ``upgrade head`` from an empty database."""
    check(template_database)


def test_a_model_change_without_a_migration_is_caught(
    template_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import Column, Integer, Table

    from governance.db import Base

    table = Table("unmigrated_table", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(CommandError, match="New upgrade operations detected"):
            check(template_database)
    finally:
        Base.metadata.remove(table)
