"""The turn lock: no transaction and no pooled connection across the model call, a session held
by another process's turn (its lease) waits, and a dead process's lease runs out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.auth.models import User
from app.db import utcnow
from app.errors import UpstreamError
from app.roleplay.models import PracticeSession
from tests.conftest import Account
from tests.roleplay.test_api import start, turn


class GatedEngine:
    """Answers once the test opens the gate; reports when the model call has begun."""

    name = "gated"
    prompt_version = None

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.gate = asyncio.Event()

    async def stream(self, ctx: object) -> AsyncIterator[str]:
        self.started.set()
        await self.gate.wait()
        yield "We run three lines."


@pytest.fixture
def gated(app) -> Iterator[GatedEngine]:
    original = app.state.customer_engine
    engine = GatedEngine()
    app.state.customer_engine = engine
    yield engine
    app.state.customer_engine = original


async def set_lease(app, sid: str, token: str | None, seconds: float) -> None:
    async with app.state.sessionmaker() as db:
        session = await db.get(PracticeSession, sid)
        session.lease = token
        session.lease_until = utcnow() + timedelta(seconds=seconds) if token else None
        await db.commit()


async def test_model_call_holds_no_connection_and_other_writes_go_on(
    app, client: httpx.AsyncClient, rep: Account, gated: GatedEngine
) -> None:
    sid = await start(client, rep)
    pending = asyncio.create_task(turn(client, rep, sid, "How many lines do you run?"))
    await asyncio.wait_for(gated.started.wait(), 30)
    assert app.state.engine.pool.checkedout() == 0
    # A write elsewhere (SQLite: the one write lock) is not queued behind the model.
    other = await start(client, rep)
    assert other != sid
    gated.gate.set()
    r = await pending
    assert r.status_code == 200 and r.json()["customer_turn"]["text"] == "We run three lines."
    async with app.state.sessionmaker() as db:
        session = await db.get(PracticeSession, sid)
        assert session.lease is None and session.lease_until is None


async def test_turn_waits_for_a_lease_held_elsewhere(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    await set_lease(app, sid, "another-process", 60)
    pending = asyncio.create_task(turn(client, rep, sid, "How many lines do you run?"))
    await asyncio.sleep(0.3)
    assert not pending.done()
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert body["turns"] == []
    await set_lease(app, sid, None, 0)
    r = await asyncio.wait_for(pending, 30)
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 1


async def test_lease_of_a_dead_process_runs_out(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    await set_lease(app, sid, "died-mid-turn", -1)
    r = await turn(client, rep, sid, "How many lines do you run?")
    assert r.status_code == 200 and r.json()["customer_turn"]["seq"] == 2


async def test_finish_waits_for_a_lease_held_elsewhere(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    assert (await turn(client, rep, sid, "How many lines do you run?")).status_code == 200
    await set_lease(app, sid, "another-process", 60)
    pending = asyncio.create_task(
        client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    )
    await asyncio.sleep(0.3)
    assert not pending.done()
    await set_lease(app, sid, None, 0)
    r = await asyncio.wait_for(pending, 30)
    assert r.status_code == 200 and r.json()["scorecard"]["total"] >= 0


async def test_turn_on_someone_elses_session_is_404_as_a_status_over_sse(
    client: httpx.AsyncClient, rep: Account, other_rep: Account
) -> None:
    sid = await start(client, rep)
    r = await client.post(
        f"/api/v1/sessions/{sid}/turns",
        json={"text": "Hello?"},
        headers={**other_rep.headers, "Accept": "text/event-stream"},
    )
    assert r.status_code == 404 and r.json()["detail"] == "session not found"


async def lease_of(app, sid: str) -> str | None:
    async with app.state.sessionmaker() as db:
        session = await db.get(PracticeSession, sid)
        return session.lease


async def test_a_turn_left_after_its_coaching_frees_the_session_at_once(
    app, client: httpx.AsyncClient, rep: Account, playbook_dir
) -> None:
    from app.auth.service import TokenClaims
    from app.roleplay import service
    from app.roleplay.scripted import ScriptedEngine

    class Streaming:
        """A model-like engine: its reply streams after the rep turn is stored (a scripted
        engine is instant, its whole turn one transaction)."""

        name = "streaming"
        prompt_version = None

        async def stream(self, ctx: Any) -> AsyncIterator[str]:
            for piece in ScriptedEngine().deltas(ctx):
                yield piece

    sid = await start(client, rep)
    async with app.state.sessionmaker() as db:
        user = await db.get(User, rep.id)
    events = service.run_turn(
        app.state.sessionmaker,
        app.state.playbook,
        Streaming(),
        caller=TokenClaims(user.id, user.token_version),
        session_id=sid,
        text="How many lines do you run?",
        lease_seconds=600,
    )
    first = await anext(events)
    assert first.event == "coaching" and await lease_of(app, sid) is not None
    await events.aclose()  # the client went away before the customer answered
    assert await lease_of(app, sid) is None
    # The kept rep turn is answered by sending it again, with no wait for the lease.
    r = await asyncio.wait_for(turn(client, rep, sid, "How many lines do you run?"), 30)
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 1


async def test_a_failed_model_call_frees_the_session(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    class Failing:
        name = "failing"
        prompt_version = None

        async def stream(self, ctx: object) -> AsyncIterator[str]:
            raise UpstreamError("the language model failed: test", 502)
            yield ""

    original = app.state.customer_engine
    app.state.customer_engine = Failing()
    try:
        sid = await start(client, rep)
        r = await turn(client, rep, sid, "How many lines do you run?")
    finally:
        app.state.customer_engine = original
    assert r.status_code == 502
    assert await lease_of(app, sid) is None
