"""accounts: token versions, disabled users, login failures; usernames normalised

Revision ID: 5e2f0c9a7b31
Revises: 5e1a7c2d9b30
Create Date: 2026-11-30 16:20:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2f0c9a7b31"
down_revision: str | None = "5e1a7c2d9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).strip()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_key"), "login_failures", ["key"])
    op.create_index(op.f("ix_login_failures_at"), "login_failures", ["at"])
    # Sign-in now looks names up in their normal form (NFKC, case-folded); existing names take
    # it where that clashes with no other user (a clash keeps its old spelling).
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.username)).all()
    taken = {name for _, name in rows}
    for user_id, name in rows:
        normal = _normal(name)
        if normal != name and normal not in taken:
            conn.execute(users.update().where(users.c.id == user_id).values(username=normal))
            taken.discard(name)
            taken.add(normal)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failures_at"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_key"), table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("token_version")
