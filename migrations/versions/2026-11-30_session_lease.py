"""session lease: a turn or a finish in flight across its model call

Revision ID: 5e1a7c2d9b30
Revises: 5e0c3f7a9b21
Create Date: 2026-11-30 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1a7c2d9b30"
down_revision: str | None = "5e0c3f7a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.add_column(sa.Column("lease", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice_sessions") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease")
