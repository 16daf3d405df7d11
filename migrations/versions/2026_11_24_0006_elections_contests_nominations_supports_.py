"""elections, contests, nominations, supports, candidates

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 20:53:20.250482
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "nominations_open_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "nominations_close_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "voting_open_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "voting_close_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column("statement_word_limit", sa.Integer(), nullable=False),
        sa.Column("proposers_required", sa.Integer(), nullable=False),
        sa.Column("seconders_required", sa.Integer(), nullable=False),
        sa.Column("supporters_other_organisation", sa.Boolean(), nullable=False),
        sa.Column("supporters_distinct_organisations", sa.Boolean(), nullable=False),
        sa.Column("max_supports_per_member", sa.Integer(), nullable=False),
        sa.Column("publish_ballots", sa.Boolean(), nullable=False),
        sa.Column("ballot_order", sa.String(length=20), nullable=False),
        sa.Column(
            "announced_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "candidates_published_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("ballot_seed", sa.String(length=64), nullable=True),
        sa.Column(
            "counted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column(
            "elected_unopposed_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "certified_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "published_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "cancelled_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("copied_from_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "max_supports_per_member > 0", name=op.f("ck_elections_positive_support_limit")
        ),
        sa.CheckConstraint(
            "nominations_open_at < nominations_close_at AND nominations_close_at <= voting_open_at AND voting_open_at < voting_close_at",
            name=op.f("ck_elections_timetable_in_order"),
        ),
        sa.CheckConstraint(
            "proposers_required >= 0 AND seconders_required >= 0",
            name=op.f("ck_elections_supporters"),
        ),
        sa.CheckConstraint(
            "statement_word_limit > 0", name=op.f("ck_elections_positive_word_limit")
        ),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_elections_body_id_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["copied_from_id"], ["elections.id"], name=op.f("fk_elections_copied_from_id_elections")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_elections_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_elections_body_id"), ["body_id"], unique=False)

    op.create_table(
        "contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("stand_rule", sa.Text(), nullable=False),
        sa.Column("vote_rule", sa.Text(), nullable=False),
        sa.Column("constraints", sa.JSON(), nullable=False),
        sa.Column(
            "elected_unopposed_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint("seats > 0", name=op.f("ck_contests_has_seats")),
        sa.ForeignKeyConstraint(
            ["election_id"], ["elections.id"], name=op.f("fk_contests_election_id_elections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
    )
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contests_election_id"), ["election_id"], unique=False)

    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column(
            "declaration_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "submitted_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "withdrawn_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("review", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column(
            "reviewed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "review IN ('pending', 'valid', 'invalid')", name=op.f("ck_nominations_known_review")
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'withdrawn')", name=op.f("ck_nominations_known_state")
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contests.id"], name=op.f("fk_nominations_contest_id_contests")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_nominations_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_nominations_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint(
            "contest_id", "member_id", name=op.f("uq_nominations_contest_id_member_id")
        ),
    )
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nominations_member_id"), ["member_id"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("ballot_position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column(
            "published_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"], ["contests.id"], name=op.f("fk_candidates_contest_id_contests")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_candidates_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_candidates_nomination_id_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint(
            "contest_id", "ballot_position", name=op.f("uq_candidates_contest_id_ballot_position")
        ),
        sa.UniqueConstraint("nomination_id", name=op.f("uq_candidates_nomination_id")),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_contest_id"), ["contest_id"], unique=False)

    op.create_table(
        "supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "requested_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "responded_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint("role IN ('proposer', 'seconder')", name=op.f("ck_supports_known_role")),
        sa.CheckConstraint(
            "state IN ('requested', 'confirmed', 'declined', 'withdrawn')",
            name=op.f("ck_supports_known_state"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_supports_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_supports_nomination_id_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
        sa.UniqueConstraint(
            "nomination_id", "member_id", name=op.f("uq_supports_nomination_id_member_id")
        ),
    )
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supports_member_id_state"), ["member_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supports_member_id_state"))

    op.drop_table("supports")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_contest_id"))

    op.drop_table("candidates")
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nominations_member_id"))

    op.drop_table("nominations")
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contests_election_id"))

    op.drop_table("contests")
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_elections_body_id"))

    op.drop_table("elections")
