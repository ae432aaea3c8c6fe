"""The lean turn path: one transaction for an instant engine, the caller read with the session,
session memos that stay right when another process appends turns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.service import TokenClaims
from app.db import write_lock
from app.roleplay import service
from app.roleplay.engine import ReplyContext
from app.roleplay.memo import SessionMemos
from app.roleplay.models import PracticeSession
from app.roleplay.scripted import ScriptedEngine
from tests.conftest import Account
from tests.roleplay.test_api import start, turn


@contextmanager
def listening(app: Any, name: str, fn: Callable[..., None]) -> Iterator[None]:
    """`fn` hears the app's database engine event `name` while the block runs."""
    sync_engine = app.state.engine.sync_engine
    event.listen(sync_engine, name, fn)
    try:
        yield
    finally:
        event.remove(sync_engine, name, fn)


@contextmanager
def transactions(app: Any) -> Iterator[list[str]]:
    """The transactions begun on the app's database while the block runs."""
    begun: list[str] = []
    with listening(app, "begin", lambda conn: begun.append("begin")):
        yield begun


async def test_a_scripted_turn_is_one_transaction(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    assert (
        await turn(client, rep, sid, "How is your packing line set up today?")
    ).status_code == 200
    with transactions(app) as begun:
        r = await turn(client, rep, sid, "What goes wrong on that line most weeks?")
    assert r.status_code == 200, r.text
    assert r.json()["rep_turn"]["seq"] == 3 and r.json()["customer_turn"]["seq"] == 4
    assert len(begun) == 1


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The first word of each SQL statement run on the app's database while the block runs."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    with listening(app, "before_cursor_execute", before):
        yield seen


async def test_on_sqlite_a_turn_on_a_current_memo_is_two_writes_and_no_read(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("the claim in one statement needs SQLite's write lock at BEGIN")
    sid = await start(client, rep)
    await turn(client, rep, sid, "How is your packing line set up today?")  # reads the memo
    with statements(app) as seen:
        r = await turn(client, rep, sid, "What goes wrong on that line most weeks?")
    assert r.status_code == 200, r.text
    assert seen == ["BEGIN", "UPDATE", "INSERT"]
    stored = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [t["seq"] for t in stored["turns"]] == [1, 2, 3, 4]
    assert stored["turns"][2]["coaching"] == r.json()["rep_turn"]["coaching"]
    assert stored["patience"] is not None


async def test_a_token_revoked_after_the_memo_was_read_is_401(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    await turn(client, rep, sid, "How is your packing line set up today?")
    async with app.state.sessionmaker() as db:
        user = await db.get(User, rep.id)
        assert user is not None
        await auth_service.revoke_tokens(db, user=user)
        await db.commit()
    r = await turn(client, rep, sid, "What goes wrong on that line most weeks?")
    assert r.status_code == 401 and r.json()["detail"] == "not authenticated"
    async with app.state.sessionmaker() as db:
        assert await service.last_seq(db, session_id=sid) == 2


async def test_a_turn_with_the_token_of_a_deleted_user_is_401(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    async with app.state.sessionmaker() as db:
        await db.execute(delete(User).where(User.id == rep.id))
        await db.commit()
    r = await turn(client, rep, sid, "How is your packing line set up today?")
    assert r.status_code == 401 and r.json()["detail"] == "not authenticated"


async def test_someone_elses_session_stays_404(
    client: httpx.AsyncClient, rep: Account, other_rep: Account, trainer: Account
) -> None:
    sid = await start(client, rep)
    for who in (other_rep, trainer):
        r = await turn(client, who, sid, "How is your packing line set up today?")
        assert r.status_code == 404 and r.json()["detail"] == "session not found"


async def test_memos_read_the_turns_another_process_added(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    """Two servers on one database: each memo catches up on the other's turns."""
    sid = await start(client, rep)
    here, there = SessionMemos(), SessionMemos()
    asked = "How do you schedule the packing shifts today?"

    async def say(memos: SessionMemos, text: str) -> dict[str, Any]:
        events = service.run_turn(
            app.state.sessionmaker,
            app.state.playbook,
            ScriptedEngine(),
            caller=TokenClaims(rep.id, 0),
            session_id=sid,
            text=text,
            memos=memos,
        )
        return [e.data async for e in events if e.event == "done"][0]

    await say(here, "What does your team pack in a normal week?")
    await say(there, asked)
    again = await say(here, asked)
    assert again["rep_turn"]["seq"] == 5
    assert again["rep_turn"]["coaching"]["signals"]["repeat_of"] == 3
    assert [t.seq for t in here.get(sid).turns] == [1, 2, 3, 4, 5, 6]


async def one_turn(app: Any, rep: Account, sid: str, memos: SessionMemos) -> None:
    """One scripted rep turn of `rep` in session `sid`, through `memos`."""
    async for _ in service.run_turn(
        app.state.sessionmaker,
        app.state.playbook,
        ScriptedEngine(),
        caller=TokenClaims(rep.id, 0),
        session_id=sid,
        text="How is your packing line set up today?",
        memos=memos,
    ):
        pass


async def test_memos_keep_the_latest_sessions_only(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    memos = SessionMemos(size=2)
    sids = [await start(client, rep) for _ in range(3)]
    for sid in sids:
        await one_turn(app, rep, sid, memos)
    assert len(memos) == 2 and memos.get(sids[0]) is None and memos.get(sids[2]) is not None


async def test_memos_share_a_persona_snapshot_and_keep_an_edited_one_apart(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    memos = SessionMemos()
    sids = [await start(client, rep) for _ in range(3)]
    async with app.state.sessionmaker() as db:
        edited = await db.get(PracticeSession, sids[2])
        assert edited is not None
        edited.persona = {**edited.persona, "name": "Edited Name"}
        await db.commit()
    for sid in sids:
        await one_turn(app, rep, sid, memos)
    first, second, third = (memos.get(sid) for sid in sids)
    assert first is not None and second is not None and third is not None
    assert first.persona is second.persona
    assert third.persona.name == "Edited Name" and first.persona.name != "Edited Name"


class BrokenEngine(ScriptedEngine):
    def deltas(self, ctx: ReplyContext) -> list[str]:
        raise RuntimeError("a bug in the reply")


async def test_a_failing_instant_engine_keeps_the_rep_turn(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    text = "How is your packing line set up today?"
    engine, app.state.customer_engine = app.state.customer_engine, BrokenEngine()
    try:
        with pytest.raises(RuntimeError):
            await turn(client, rep, sid, text)
    finally:
        app.state.customer_engine = engine
    stored = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()["turns"]
    assert [(t["seq"], t["speaker"], t["text"]) for t in stored] == [(1, "rep", text)]
    r = await turn(client, rep, sid, text)
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 1
    assert r.json()["customer_turn"]["seq"] == 2


async def test_a_failing_instant_engine_on_a_current_memo_keeps_the_rep_turn(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    await turn(client, rep, sid, "How is your packing line set up today?")  # reads the memo
    text = "What goes wrong on that line most weeks?"
    engine, app.state.customer_engine = app.state.customer_engine, BrokenEngine()
    try:
        with pytest.raises(RuntimeError):
            await turn(client, rep, sid, text)
    finally:
        app.state.customer_engine = engine
    stored = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [(t["seq"], t["speaker"]) for t in stored["turns"]][-1] == (3, "rep")
    r = await turn(client, rep, sid, text)
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 3
    assert r.json()["customer_turn"]["seq"] == 4


async def test_a_cookie_turn_needs_the_csrf_header(client: httpx.AsyncClient, rep: Account) -> None:
    from tests.web.test_pages import form_token, sign_in, start_session

    await sign_in(client, rep)
    sid = await start_session(client)
    url, body = f"/api/v1/sessions/{sid}/turns", {"text": "How is your packing line set up?"}
    refused = await client.post(url, json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    answered = await client.post(url, json=body, headers={"X-CSRF-Token": form_token(client)})
    assert answered.status_code == 200 and answered.json()["rep_turn"]["seq"] == 1


async def test_the_write_lock_is_sqlite_only(app: Any) -> None:
    engine = app.state.engine
    held = write_lock(engine)
    if engine.dialect.name == "sqlite":
        assert isinstance(held, asyncio.Lock) and write_lock(engine) is held
    else:
        assert not isinstance(held, asyncio.Lock)
        async with held:  # holds nothing: PostgreSQL's row locks serialise a session's turns
            pass


async def test_on_sqlite_a_quick_turn_begins_under_the_write_lock(
    app: Any, client: httpx.AsyncClient, rep: Account
) -> None:
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("the in-process write lock is SQLite's only")
    lock = write_lock(app.state.engine)
    sid = await start(client, rep)
    await turn(client, rep, sid, "How is your packing line set up today?")  # reads the memo
    held_at_begin: list[bool] = []

    def on_begin(conn: Any) -> None:
        held_at_begin.append(lock.locked())

    with listening(app, "begin", on_begin):
        r = await turn(client, rep, sid, "What goes wrong on that line most weeks?")
    assert r.status_code == 200, r.text
    assert held_at_begin == [True]
    assert not lock.locked()


async def test_concurrent_turns_on_different_sessions_all_succeed(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sids = [await start(client, rep) for _ in range(6)]
    texts = [
        "How is your packing line set up today?",
        "What goes wrong on that line most weeks?",
        "How does that affect your deliveries to customers?",
    ]
    for text in texts:
        answers = await asyncio.gather(*(turn(client, rep, sid, text) for sid in sids))
        assert [r.status_code for r in answers] == [200] * len(sids), [r.text for r in answers]
    for sid in sids:
        stored = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
        assert [t["seq"] for t in stored["turns"]] == list(range(1, 2 * len(texts) + 1))
