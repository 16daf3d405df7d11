"""voting code attempts, the moment every voting code was issued

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000

Wrong voting codes are counted in the database (per client address and across the open polls)
so that every worker shares the limit; ``elections.voting_codes_issued_at`` marks an opening
whose codes and mail are all queued, so an interrupted opening is resumed and a finished one
costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voting_code_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column(
            "attempted_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voting_code_attempts")),
    )
    with op.batch_alter_table("voting_code_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voting_code_attempts_client_address_attempted_at"),
            ["client_address", "attempted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_voting_code_attempts_attempted_at"), ["attempted_at"], unique=False
        )
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "voting_codes_issued_at",
                advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("voting_codes_issued_at")
    with op.batch_alter_table("voting_code_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voting_code_attempts_attempted_at"))
        batch_op.drop_index(batch_op.f("ix_voting_code_attempts_client_address_attempted_at"))
    op.drop_table("voting_code_attempts")
