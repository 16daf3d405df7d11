"""each election has one returning officer

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 23:48:43.000000

Existing elections are handed to the account that created them: ``created_by``, or failing
that the account whose email is the actor of the election's ``election.created`` (or
``election.copied``) audit event, since ``audit.service.record`` stores actors as emails.
An election with neither goes to the lowest-id account holding the returning officer role.
An administrator can hand any of them on afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Evaluated per election inside an UPDATE or SELECT on ``elections``; plain SQL that SQLite and
# PostgreSQL both read.
_BY_COLUMN = "SELECT users.id FROM users WHERE users.id = elections.created_by"
_BY_AUDIT = """
    SELECT users.id FROM audit_events JOIN users ON users.email = audit_events.actor
    WHERE audit_events.chain = 'election:' || CAST(elections.id AS VARCHAR(20))
      AND audit_events.action IN ('election.created', 'election.copied')
    ORDER BY audit_events.seq LIMIT 1
"""
_FIRST_OFFICER = "SELECT MIN(user_id) FROM user_roles WHERE role = 'returning_officer'"
_OFFICER = f"COALESCE(({_BY_COLUMN}), ({_BY_AUDIT}), ({_FIRST_OFFICER}))"


def _refuse_if_some_would_have_none() -> None:
    """Checked before any change, so a refusal leaves the database as it was."""
    orphans = op.get_bind().scalar(
        sa.text(f"SELECT COUNT(*) FROM elections WHERE {_OFFICER} IS NULL")  # noqa: S608 - constants
    )
    if orphans:
        raise RuntimeError(
            f"{orphans} election(s) have no creator on record and no account holds the "
            "returning officer role, so they cannot be given a returning officer. Give an "
            "account that role (in user_roles), then run the upgrade again."
        )


def upgrade() -> None:
    _refuse_if_some_would_have_none()
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returning_officer_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE elections SET returning_officer_id = {_OFFICER}")  # noqa: S608 - constants
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.alter_column("returning_officer_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_elections_returning_officer_id"), ["returning_officer_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_elections_returning_officer_id_users"),
            "users",
            ["returning_officer_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_elections_returning_officer_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_elections_returning_officer_id"))
        batch_op.drop_column("returning_officer_id")
