"""governed bodies and seat holdings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 20:42:01.488624
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bodies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint("seats > 0", name=op.f("ck_bodies_has_seats")),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_bodies_has_term")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bodies")),
        sa.UniqueConstraint("name", name=op.f("uq_bodies_name")),
    )
    op.create_table(
        "seat_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.CheckConstraint("seats > 0", name=op.f("ck_seat_categories_has_seats")),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_seat_categories_body_id_bodies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_categories")),
        sa.UniqueConstraint("body_id", "name", name=op.f("uq_seat_categories_body_id_name")),
    )
    op.create_table(
        "seat_holdings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_seat_holdings_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_seat_holdings_body_id_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["seat_categories.id"],
            name=op.f("fk_seat_holdings_category_id_seat_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_seat_holdings_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_holdings")),
    )
    with op.batch_alter_table("seat_holdings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seat_holdings_body_id_starts_on"), ["body_id", "starts_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seat_holdings_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seat_holdings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_holdings_member_id"))
        batch_op.drop_index(batch_op.f("ix_seat_holdings_body_id_starts_on"))

    op.drop_table("seat_holdings")
    op.drop_table("seat_categories")
    op.drop_table("bodies")
