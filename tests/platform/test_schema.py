"""The migrated schema is the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.models import Base


async def test_migrations_match_the_models(app, client) -> None:
    def diff(connection):
        ctx = MigrationContext.configure(connection)
        return compare_metadata(ctx, Base.metadata), inspect(connection).get_table_names()

    async with app.state.engine.connect() as conn:
        changes, tables = await conn.run_sync(diff)
    assert changes == []
    for table in (
        "users",
        "teams",
        "personas",
        "practice_sessions",
        "turns",
        "needs_records",
        "scorecards",
        "comments",
    ):
        assert table in tables
