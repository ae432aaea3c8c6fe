"""The database path: health, a lost or unreachable database, timezone-aware timestamps."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from app.auth.security import create_token
from app.main import create_app
from app.migrate import upgrade
from app.roleplay.models import PracticeSession
from tests.conftest import (
    TEST_SECRET,
    _pg_admin_dsn,
    _pg_available,
    _pg_exec,
    add_account,
    make_settings,
)
from tests.platform.test_cli import run
from tests.roleplay.test_multiprocess import free_port

CLOSED_PG = "postgresql+asyncpg://salescoach:pw-not-shown@127.0.0.1:{port}/salescoach"


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_unreachable_database_answers_503_with_detail() -> None:
    application = create_app(make_settings(CLOSED_PG.format(port=free_port())))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            health = await http.get("/healthz")
            token = create_token(1, "rep", TEST_SECRET, 5)
            api = await http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
            login = await http.post(
                "/api/v1/auth/token", data={"username": "rep1", "password": "whatever"}
            )
    for r in (health, api, login):
        assert r.status_code == 503, r.text
        assert "database is unavailable" in r.json()["detail"]
        assert "pw-not-shown" not in r.text


@pytest.mark.skipif(not _pg_available(), reason="needs a PostgreSQL server")
async def test_database_lost_mid_run_answers_503() -> None:
    name = f"salescoach_test_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f'CREATE DATABASE "{name}"')
    base = _pg_admin_dsn().rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        application = create_app(make_settings(url))
        async with application.router.lifespan_context(application):
            rep = await add_account(application, "rep1", "rep")
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                assert (await http.get("/healthz")).status_code == 200
                assert (await http.get("/api/v1/sessions", headers=rep.headers)).status_code == 200
                await _pg_exec(f'DROP DATABASE "{name}" WITH (FORCE)')
                health = await http.get("/healthz")
                api = await http.get("/api/v1/sessions", headers=rep.headers)
        for r in (health, api):
            assert r.status_code == 503, r.text
            assert "database is unavailable" in r.json()["detail"]
    finally:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["db", "upgrade"]])
def test_start_against_unreachable_database_prints_one_line_and_exits_1(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "SALESCOACH_DATABASE_URL": CLOSED_PG.format(port=free_port())}
    done = run(command, env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach the database postgresql+asyncpg://salescoach")
    assert "pw-not-shown" not in done.stdout + done.stderr


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None, value
    return parsed


async def test_timestamps_are_timezone_aware(app, client: httpx.AsyncClient, rep) -> None:
    r = await client.post(
        "/api/v1/sessions",
        json={"persona_id": "mark-packaging", "scenario": "discovery"},
        headers=rep.headers,
    )
    sid = r.json()["id"]
    created = aware(r.json()["created_at"])
    await client.post(
        f"/api/v1/sessions/{sid}/turns", json={"text": "How many lines?"}, headers=rep.headers
    )
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert aware(body["created_at"]) == created
    for t in body["turns"]:
        assert aware(t["created_at"]) >= created
    async with app.state.sessionmaker() as db:
        stored = await db.get(PracticeSession, sid)
        assert stored is not None and stored.created_at.utcoffset() is not None
    listed = (await client.get("/api/v1/sessions", headers=rep.headers)).json()
    assert aware(listed[0]["created_at"]) == created


async def test_no_free_connection_answers_503_busy_not_500(
    db_url: str, client: httpx.AsyncClient, rep
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("pool sizes apply to PostgreSQL")
    settings = make_settings(db_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            async with application.state.engine.connect() as held:  # the pool's one connection
                await held.exec_driver_sql("SELECT 1")
                busy = await http.get("/api/v1/sessions", headers=rep.headers)
                health = await http.get("/healthz")
            after = await http.get("/api/v1/sessions", headers=rep.headers)
    assert busy.status_code == 503 and busy.json()["detail"].startswith("the server is busy")
    assert busy.headers["retry-after"] == "2"
    assert health.status_code == 503
    assert after.status_code == 200
