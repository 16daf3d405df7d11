"""member accounts and roll challenges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 20:45:41.833710
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roll_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "lodged_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column(
            "decided_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'accepted', 'rejected')", name=op.f("ck_roll_challenges_known_state")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_roll_challenges_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_roll_challenges_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_challenges")),
    )
    with op.batch_alter_table("roll_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roll_challenges_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roll_challenges_state_lodged_at"), ["state", "lodged_at"], unique=False
        )

    with op.batch_alter_table("access_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_access_links_member_id_members"), "members", ["member_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("access_links", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_access_links_member_id_members"), type_="foreignkey"
        )
        batch_op.drop_column("member_id")

    with op.batch_alter_table("roll_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roll_challenges_state_lodged_at"))
        batch_op.drop_index(batch_op.f("ix_roll_challenges_member_id"))

    op.drop_table("roll_challenges")
