"""session retries: a session restarted from a rep turn of an earlier one

Revision ID: 5e0c3f7a9b21
Revises: c7a1e2d4f901
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c3f7a9b21"
down_revision: str | None = "c7a1e2d4f901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_of", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("retry_from_seq", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_practice_sessions_retry_of"), ["retry_of"])
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_sessions_retry_of_practice_sessions"),
            "practice_sessions",
            ["retry_of"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_practice_sessions_retry_of_practice_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_practice_sessions_retry_of"))
        batch_op.drop_column("retry_from_seq")
        batch_op.drop_column("retry_of")
