"""Trying a turn again over HTTP: a new session from a rep turn, with the customer's state then."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.roleplay.models import PracticeSession, Turn
from tests.conftest import Account
from tests.roleplay.test_api import start, turn

DOWNTIME = "Unplanned downtime on the converting lines is eating us alive."
LOST_HOURS = "We lost about 900 production hours last quarter"
# Mark (busy): rapport, a situation question, a problem question, an implication question.
SCRIPT = [
    "Hi Mark, thanks for making the time today. How was the trade show?",
    "How is maintenance handled on the converting lines today?",
    "What's the biggest headache with downtime on those lines?",
    "What did that downtime cost you last quarter?",
]


async def played(client: httpx.AsyncClient, who: Account) -> tuple[str, dict]:
    sid = await start(client, who)
    for text in SCRIPT:
        r = await turn(client, who, sid, text)
        assert r.status_code == 200, r.text
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=who.headers)).json()
    return sid, body


async def retry(
    client: httpx.AsyncClient, who: Account, sid: str, from_seq: object
) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{sid}/retry", json={"from_seq": from_seq}, headers=who.headers
    )


async def test_retry_carries_the_turns_before_and_goes_on_live(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid, original = await played(client, rep)
    r = await retry(client, rep, sid, 5)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["id"] != sid and new["status"] == "active"
    assert new["retry_of"] == sid and new["retry_from_seq"] == 5
    before = [(t["seq"], t["speaker"], t["text"]) for t in original["turns"] if t["seq"] < 5]
    assert [(t["seq"], t["speaker"], t["text"]) for t in new["turns"]] == before
    assert new["turns"][0]["coaching"] == original["turns"][0]["coaching"]
    # The customer's state then: the patience after turn #4, not the original's end state.
    assert new["patience"] is not None
    # Going on live: the next rep turn is #5, and the customer keeps what it revealed by then.
    r = await turn(client, rep, new["id"], "What's the biggest headache with downtime?")
    assert r.status_code == 200, r.text
    assert r.json()["rep_turn"]["seq"] == 5
    live = r.json()["customer_turn"]["text"]
    assert DOWNTIME in live and DOWNTIME in original["turns"][5]["text"]
    # The original is untouched.
    again = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert again["turns"] == original["turns"]


async def test_retry_restores_what_the_customer_had_revealed_at_that_point(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid, original = await played(client, rep)
    assert LOST_HOURS in original["turns"][7]["text"]
    # From #7 the problem is known: an implication question is answered with its consequence.
    r = await retry(client, rep, sid, 7)
    r = await turn(client, rep, r.json()["id"], SCRIPT[3])
    assert LOST_HOURS in r.json()["customer_turn"]["text"]
    # From #5 the problem is not known yet: the same question earns no consequence.
    r = await retry(client, rep, sid, 5)
    early = (await turn(client, rep, r.json()["id"], SCRIPT[3])).json()["customer_turn"]["text"]
    assert LOST_HOURS not in early and DOWNTIME not in early


async def test_retry_from_the_first_turn_starts_fresh(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid, _ = await played(client, rep)
    r = await retry(client, rep, sid, 1)
    assert r.status_code == 201
    assert r.json()["turns"] == [] and r.json()["retry_from_seq"] == 1


async def test_retry_of_an_ended_session_is_listed_and_marked(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid, _ = await played(client, rep)
    assert (
        await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    ).status_code == 200
    r = await retry(client, rep, sid, 3)
    assert r.status_code == 201
    listed = (await client.get("/api/v1/sessions", headers=rep.headers)).json()
    marks = {s["id"]: s["retry_of"] for s in listed}
    assert marks[r.json()["id"]] == sid and marks[sid] is None


async def test_retry_refuses_what_is_not_a_rep_turn(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid, _ = await played(client, rep)
    for bad in (2, 99, 0, -1, "x", None, 10**9):
        r = await retry(client, rep, sid, bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"]
    r = await client.post(f"/api/v1/sessions/{sid}/retry", json={}, headers=rep.headers)
    assert r.status_code == 422
    too_few = await retry(client, rep, sid, 2)
    assert "rep turns: 1, 3, 5, 7" in too_few.json()["detail"]


async def test_only_the_sessions_rep_can_retry_it(
    client: httpx.AsyncClient, rep: Account, other_rep: Account, trainer: Account
) -> None:
    sid, _ = await played(client, rep)
    for who in (other_rep, trainer):
        r = await retry(client, who, sid, 3)
        assert r.status_code == 404 and r.json()["detail"] == "session not found"
    assert (await retry(client, rep, "no-such-session", 1)).status_code == 404
    r = await client.post(f"/api/v1/sessions/{sid}/retry", json={"from_seq": 1})
    assert r.status_code == 401


async def test_turns_stored_without_a_state_are_replayed_to_the_same_state(
    client: httpx.AsyncClient, rep: Account, db: AsyncSession
) -> None:
    sid, _ = await played(client, rep)
    with_state = (await retry(client, rep, sid, 7)).json()["id"]
    # Sessions played before customer turns kept their state: drop it from the stored turns.
    for t in (await db.execute(select(Turn).where(Turn.session_id == sid))).scalars():
        if t.meta and "state" in t.meta:
            t.meta = {k: v for k, v in t.meta.items() if k != "state"}
    await db.commit()
    replayed = (await retry(client, rep, sid, 7)).json()["id"]
    states = {
        s.id: s.state
        for s in (
            await db.execute(
                select(PracticeSession).where(PracticeSession.id.in_([with_state, replayed]))
            )
        ).scalars()
    }
    assert states[replayed] == states[with_state]
    assert len(states[replayed]["revealed"]) == 2 and states[replayed]["turns"] == 3
