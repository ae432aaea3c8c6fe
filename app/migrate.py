"""Applying Alembic migrations from code (the CLI, `serve` and the tests)."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import ROOT


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str) -> None:
    """Upgrade the database at `url` to head (runs its own event loop)."""
    command.upgrade(alembic_config(url), "head")


async def upgrade_engine(engine: AsyncEngine) -> None:
    """Upgrade through an existing engine, from inside a running event loop."""
    cfg = alembic_config()

    def _run(connection: object) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


def upgrade_in_thread(url: str) -> None:
    """`upgrade` for callers that already run an event loop."""
    asyncio.run(asyncio.to_thread(upgrade, url))
