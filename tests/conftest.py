"""Fixtures: the app on the real migrated schema, on SQLite and on PostgreSQL, and signed-in users.

PostgreSQL tests use SALESCOACH_TEST_PG_URL (default: the local server's `test` database) to
create a throwaway database per run; they are skipped where no server answers, unless
SALESCOACH_REQUIRE_PG=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.security import create_token
from app.config import Settings
from app.main import create_app
from app.migrate import upgrade
from app.models import Base

PG_URL = os.environ.get("SALESCOACH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("SALESCOACH_REQUIRE_PG") == "1"
TEST_SECRET = "test-secret-key-for-the-suite-only-0123456789"


def _pg_admin_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin_dsn(), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> bool:
    try:
        asyncio.run(_pg_exec("SELECT 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database URL (async driver)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url
        return
    if not _pg_available():
        if REQUIRE_PG:
            pytest.fail(
                f"PostgreSQL is required (SALESCOACH_REQUIRE_PG=1) but {PG_URL} does not answer"
            )
        pytest.skip(f"no PostgreSQL server answers at {PG_URL}")
    name = f"salescoach_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    base, _, _ = _pg_admin_dsn().rpartition("/")
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    upgrade(url)
    yield url
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": TEST_SECRET,
        "environment": "test",
        "llm": "scripted",
        "openai_api_key": None,
        "openai_base_url": None,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
async def app(db_url: str) -> AsyncIterator[object]:
    application = create_app(make_settings(db_url))
    async with application.router.lifespan_context(application):
        yield application


async def _truncate(application: object) -> None:
    engine = application.state.engine  # type: ignore[attr-defined]
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await _truncate(app)


@pytest.fixture
async def db(app: object, client: httpx.AsyncClient) -> AsyncIterator[AsyncSession]:
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        yield session


@dataclass
class Account:
    id: int
    username: str
    password: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def add_account(app: object, username: str, role: str, team: str | None = None) -> Account:
    password = f"pw-{username}-{uuid.uuid4().hex[:6]}"
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        user = await auth_service.create_user(
            session, username=username, password=password, role=role, team=team
        )
        await session.commit()
    return Account(user.id, username, password, role, create_token(user.id, role, TEST_SECRET, 60))


@pytest.fixture
async def rep(app: object, client: httpx.AsyncClient) -> Account:
    return await add_account(app, "rep1", "rep", "east")


@pytest.fixture
async def other_rep(app: object, client: httpx.AsyncClient) -> Account:
    return await add_account(app, "rep2", "rep", "west")


@pytest.fixture
async def trainer(app: object, client: httpx.AsyncClient) -> Account:
    return await add_account(app, "trainer1", "trainer", "east")


@pytest.fixture
async def admin(app: object, client: httpx.AsyncClient) -> Account:
    return await add_account(app, "admin1", "admin")


@pytest.fixture(scope="session")
def playbook_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "playbook"
