"""trainer labels on rep turns

Revision ID: c7a1e2d4f901
Revises: b1b03dd60663
Create Date: 2026-11-30 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7a1e2d4f901"
down_revision: str | None = "b1b03dd60663"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("spin", sa.String(length=20), nullable=True),
        sa.Column("question", sa.String(length=10), nullable=True),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("labelled_by", sa.Integer(), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"], ["turns.id"], name=op.f("fk_turn_labels_turn_id_turns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["labelled_by"],
            ["users.id"],
            name=op.f("fk_turn_labels_labelled_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_labels")),
    )
    with op.batch_alter_table("turn_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_turn_labels_turn_id"), ["turn_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("turn_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_turn_labels_turn_id"))
    op.drop_table("turn_labels")
