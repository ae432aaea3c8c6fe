"""Many sessions turning at once on PostgreSQL: every turn answers, none waits on the pool.

Each request holds at most one pooled connection at a time (the turn's own, never one for a
lock beside it, none while the model answers), so 40 turns at once fit a pool of 40 + 5.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import event

from app.main import create_app
from tests.conftest import Account, add_account, make_settings

SESSIONS = 40
POOL_SIZE, MAX_OVERFLOW = 5, 40


@pytest.fixture
async def loaded_app(db_url: str, client: httpx.AsyncClient) -> AsyncIterator[object]:
    """A second app on the test database with its own pool (the `client` fixture cleans up)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the pool under load is PostgreSQL's")
    settings = make_settings(db_url, db_pool_size=POOL_SIZE, db_max_overflow=MAX_OVERFLOW)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_forty_sessions_turning_at_once_all_answer_and_never_wait_on_the_pool(
    loaded_app: object,
) -> None:
    pool = loaded_app.state.engine.sync_engine.pool  # type: ignore[attr-defined]
    peak = 0

    @event.listens_for(pool, "checkout")
    def _count(*_: object) -> None:
        nonlocal peak
        peak = max(peak, pool.checkedout())

    reps: list[Account] = [
        await add_account(loaded_app, f"load{i}", "rep") for i in range(SESSIONS)
    ]
    transport = httpx.ASGITransport(app=loaded_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        created = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/sessions",
                    json={"persona_id": "mark-packaging", "scenario": "discovery"},
                    headers=r.headers,
                )
                for r in reps
            )
        )
        sids = [c.json()["id"] for c in created]
        for round_ in range(2):
            peak = 0
            text = f"Round {round_}: how do you plan production today?"
            results = await asyncio.gather(
                *(
                    http.post(
                        f"/api/v1/sessions/{sid}/turns",
                        json={"text": text},
                        headers={**r.headers, "Accept": accept},
                    )
                    for i, (sid, r) in enumerate(zip(sids, reps, strict=True))
                    for accept in (["text/event-stream"] if i % 2 else ["application/json"])
                )
            )
            assert [r.status_code for r in results] == [200] * SESSIONS
            assert all("event: error" not in r.text for r in results)
            # Below the pool's capacity: no checkout ever had to wait for a connection.
            print(f"round {round_}: peak {peak} connections checked out")
            assert 0 < peak <= SESSIONS < POOL_SIZE + MAX_OVERFLOW
        bodies = await asyncio.gather(
            *(
                http.get(f"/api/v1/sessions/{sid}", headers=r.headers)
                for sid, r in zip(sids, reps, strict=True)
            )
        )
    for body in bodies:
        turns = body.json()["turns"]
        assert [(t["seq"], t["speaker"]) for t in turns] == [
            (1, "rep"),
            (2, "customer"),
            (3, "rep"),
            (4, "customer"),
        ]
