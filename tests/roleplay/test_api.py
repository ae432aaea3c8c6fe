"""Sessions and turns over HTTP: JSON and SSE, visibility, ended sessions, retries, serialisation."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.conftest import Account

PERSONA_EN = "mark-packaging"


async def start(
    client: httpx.AsyncClient, who: Account, persona: str = PERSONA_EN, scenario: str = "discovery"
) -> str:
    r = await client.post(
        "/api/v1/sessions", json={"persona_id": persona, "scenario": scenario}, headers=who.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active"
    return str(r.json()["id"])


async def turn(client: httpx.AsyncClient, who: Account, sid: str, text: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{sid}/turns", json={"text": text}, headers=who.headers
    )


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_turn_returns_coaching_and_customer_reply(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    r = await turn(client, rep, sid, "How is your packing line set up today?")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rep_turn"]["seq"] == 1 and body["rep_turn"]["speaker"] == "rep"
    assert body["rep_turn"]["coaching"]["spin"] == "situation"
    assert body["customer_turn"]["seq"] == 2 and body["customer_turn"]["speaker"] == "customer"
    assert body["customer_turn"]["text"]
    assert body["status"] == "active"


async def test_sse_turn_streams_events_in_order(client: httpx.AsyncClient, rep: Account) -> None:
    sid = await start(client, rep)
    r = await client.post(
        f"/api/v1/sessions/{sid}/turns",
        json={"text": "What is the hardest part of running your lines?"},
        headers={**rep.headers, "Accept": "text/event-stream"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [e for e, _ in events]
    assert names[0] == "coaching" and names[-1] == "done"
    assert "token" in names and names.index("customer_turn") > names.index("token")
    tokens = "".join(d["text"] for e, d in events if e == "token")
    customer = next(d for e, d in events if e == "customer_turn")
    assert tokens.strip() == customer["text"]
    full = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [t["seq"] for t in full["turns"]] == [1, 2]


async def test_session_read_has_turns_in_order(client: httpx.AsyncClient, rep: Account) -> None:
    sid = await start(client, rep)
    for text in ("Hello Mark, thanks for your time.", "How many lines do you run?"):
        assert (await turn(client, rep, sid, text)).status_code == 200
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [(t["seq"], t["speaker"]) for t in body["turns"]] == [
        (1, "rep"),
        (2, "customer"),
        (3, "rep"),
        (4, "customer"),
    ]
    assert "coaching" in body["turns"][0] and body["turns"][1]["coaching"] is None


async def test_bad_turn_input_is_422_and_unknown_session_404(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    for payload in ({"text": ""}, {"text": "x" * 4001}, {}, {"text": 5}):
        r = await client.post(f"/api/v1/sessions/{sid}/turns", json=payload, headers=rep.headers)
        assert r.status_code == 422 and "detail" in r.json()
    assert (await turn(client, rep, "no-such-session", "Hi")).status_code == 404
    r = await client.post(
        "/api/v1/sessions",
        json={"persona_id": "nobody", "scenario": "discovery"},
        headers=rep.headers,
    )
    assert r.status_code == 404


async def test_other_reps_session_is_404_and_trainer_of_team_reads_it(
    client: httpx.AsyncClient, rep: Account, other_rep: Account, trainer: Account
) -> None:
    sid = await start(client, rep)
    assert (
        await client.get(f"/api/v1/sessions/{sid}", headers=other_rep.headers)
    ).status_code == 404
    assert (await turn(client, other_rep, sid, "Hi")).status_code == 404
    assert (await client.get(f"/api/v1/sessions/{sid}", headers=trainer.headers)).status_code == 200
    listed = (await client.get("/api/v1/sessions", headers=other_rep.headers)).json()
    assert listed == []
    listed = (
        await client.get("/api/v1/sessions", params={"rep": "rep1"}, headers=trainer.headers)
    ).json()
    assert [s["id"] for s in listed] == [sid]
    # a trainer reads but does not practise in a rep's session
    assert (await turn(client, trainer, sid, "Hi")).status_code == 404


async def test_trainer_of_another_team_cannot_read(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    from tests.conftest import add_account

    west = await add_account(app, "trainer-west", "trainer", "west")
    sid = await start(client, rep)
    assert (await client.get(f"/api/v1/sessions/{sid}", headers=west.headers)).status_code == 404
    r = await client.post(
        f"/api/v1/sessions/{sid}/comments", json={"text": "hi"}, headers=west.headers
    )
    assert r.status_code == 404


async def test_ended_session_refuses_turns(client: httpx.AsyncClient, rep: Account) -> None:
    sid = await start(client, rep)
    await turn(client, rep, sid, "How many lines do you run?")
    assert (
        await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    ).status_code == 200
    r = await turn(client, rep, sid, "Still there?")
    assert r.status_code == 409 and "detail" in r.json()


async def test_concurrent_turns_are_serialised_without_gaps(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    texts = [f"Question {i}: how do you plan production?" for i in range(6)]
    results = await asyncio.gather(*(turn(client, rep, sid, t) for t in texts))
    assert all(r.status_code in (200, 409) for r in results)
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    seqs = [t["seq"] for t in body["turns"]]
    assert seqs == list(range(1, len(seqs) + 1))
    speakers = [t["speaker"] for t in body["turns"]]
    assert speakers == ["rep", "customer"] * (len(seqs) // 2)
    answered = [t["text"] for t in body["turns"] if t["speaker"] == "rep"]
    ok = [t for t, r in zip(texts, results, strict=True) if r.status_code == 200]
    assert sorted(answered) == sorted(ok)


async def test_comments_on_turns(client: httpx.AsyncClient, rep: Account, trainer: Account) -> None:
    sid = await start(client, rep)
    await turn(client, rep, sid, "How many lines do you run?")
    r = await client.post(
        f"/api/v1/sessions/{sid}/comments",
        json={"text": "Good start.", "turn_seq": 1},
        headers=trainer.headers,
    )
    assert r.status_code == 201 and r.json()["author"] == "trainer1"
    r = await client.post(
        f"/api/v1/sessions/{sid}/comments",
        json={"text": "?", "turn_seq": 99},
        headers=trainer.headers,
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/sessions/{sid}/comments", json={"text": "mine"}, headers=rep.headers
    )
    assert r.status_code == 403
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [(c["turn_seq"], c["text"]) for c in body["comments"]] == [(1, "Good start.")]


async def test_persona_cards_hide_facts_from_reps(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    cards = (await client.get("/api/v1/personas", headers=rep.headers)).json()
    assert len(cards) >= 8
    assert all("problems" not in c and "situation" not in c for c in cards)
    full = (await client.get(f"/api/v1/personas/{PERSONA_EN}", headers=trainer.headers)).json()
    assert full["problems"] and full["situation"]
    one = (await client.get(f"/api/v1/personas/{PERSONA_EN}", headers=rep.headers)).json()
    assert "problems" not in one and one["name"]


async def test_trainer_creates_persona_with_validation(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    persona = {
        "id": "api-persona",
        "language": "zh",
        "name": "李雷",
        "title": "采购经理",
        "company": "东方制造",
        "industry": "制造",
        "personality": "analytical",
        "custom_field": "kept",
        "situation": [{"id": "s1", "text": "我们有三个工厂。"}],
        "problems": [
            {
                "id": "p1",
                "text": "采购周期太长。",
                "implications": [{"id": "i1", "text": "经常停线。"}],
                "need_payoffs": [{"id": "n1", "text": "缩短到一周就好了。", "priority": "must"}],
            }
        ],
    }
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 201 and r.json()["custom_field"] == "kept"
    assert (
        await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    ).status_code == 409
    bad = {**persona, "id": "Bad Id!", "personality": "grumpy"}
    r = await client.post("/api/v1/personas", json=bad, headers=trainer.headers)
    assert r.status_code == 422 and r.json()["detail"]
    assert (
        await client.post("/api/v1/personas", json=[1, 2], headers=trainer.headers)
    ).status_code == 422
    # a rep can practise with it and sees its card only
    sid = await start(client, rep, "api-persona")
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert body["language"] == "zh" and body["persona_name"] == "李雷"


async def test_blank_turns_and_huge_offsets_are_422(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    for text in ("   ", "\u200b", "\n\t"):
        r = await turn(client, rep, sid, text)
        assert r.status_code == 422 and "detail" in r.json()
    r = await client.get("/api/v1/sessions", params={"offset": 2**63}, headers=rep.headers)
    assert r.status_code == 422


async def test_session_list_filters_and_sorts(client: httpx.AsyncClient, rep: Account) -> None:
    cold = await start(client, rep, scenario="cold_call")
    disc = await start(client, rep, scenario="discovery")
    r = await client.get("/api/v1/sessions", params={"scenario": "cold_call"}, headers=rep.headers)
    assert [s["id"] for s in r.json()] == [cold]
    r = await client.get("/api/v1/sessions", params={"order": "created_at"}, headers=rep.headers)
    assert [s["id"] for s in r.json()] == [cold, disc]
    r = await client.get(
        "/api/v1/sessions", params={"order": "-created_at", "limit": 1}, headers=rep.headers
    )
    assert [s["id"] for s in r.json()] == [disc]
    r = await client.get("/api/v1/sessions", params={"order": "password"}, headers=rep.headers)
    assert r.status_code == 422


async def test_a_how_much_implication_question_gets_the_figure(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in (
        "陈总您好,最近新开的分拨中心运转得怎么样?",
        "目前你们的车辆调度是怎么安排的?",
        "在排线这块,哪些环节让您觉得效率比较低?",
    ):
        await turn(client, rep, sid, text)
    r = await turn(client, rep, sid, "排线出错这件事,上个季度给你们造成的损失有多大?")
    assert r.json()["rep_turn"]["coaching"]["question"] == "closed"
    record = (await client.get(f"/api/v1/sessions/{sid}/needs-record", headers=rep.headers)).json()
    assert [i["turn_seq"] for i in record["implications"]] == [r.json()["customer_turn"]["seq"]]


async def test_a_persona_needs_a_situation_fact_and_a_problem_and_takes_numbers_as_text(
    client: httpx.AsyncClient, trainer: Account
) -> None:
    persona = {
        "id": "numbers-persona",
        "language": "en",
        "name": "Nia",
        "title": "COO",
        "company": "Numbers Ltd",
        "industry": "logistics",
        "company_size": 10,
        "annual_revenue": 5000000,
    }
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 422
    missing = {tuple(e["loc"]) for e in r.json()["detail"]}
    assert missing == {("situation",), ("problems",)}
    persona["situation"] = [{"id": "s1", "text": "We run 40 trucks."}]
    persona["problems"] = [{"id": "p1", "text": "Routes are planned by hand."}]
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 201, r.text
    assert r.json()["company_size"] == "10"
