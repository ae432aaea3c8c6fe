"""POST /api/v1/coach/analyze: the coaching object for one utterance (CONTRACT.md)."""

from __future__ import annotations

import httpx

from tests.conftest import Account

URL = "/api/v1/coach/analyze"


async def test_analyze_returns_the_coaching_object(client: httpx.AsyncClient, rep: Account) -> None:
    res = await client.post(URL, json={"text": "Is your billing done in SAP?"}, headers=rep.headers)
    assert res.status_code == 200
    body = res.json()
    assert {"language", "spin", "question", "flags", "opener", "tip"} <= set(body)
    assert body["language"] == "en"
    assert (body["spin"], body["question"]) == ("situation", "closed")
    assert "closed_question" in body["flags"] and body["opener"] is None and body["tip"]


async def test_analyze_checks_an_opener_when_asked(client: httpx.AsyncClient, rep: Account) -> None:
    text = "您好,我是云智科技的李明,很多物流企业高峰期排线慢,想和您交流2分钟,方便吗?"
    res = await client.post(URL, json={"text": text, "opener": True}, headers=rep.headers)
    opener = res.json()["opener"]
    assert res.status_code == 200 and res.json()["language"] == "zh"
    assert opener["introduced_self"] and opener["asked_for_time"] and opener["within_30_seconds"]
    assert 0 < opener["estimated_seconds"] <= 30


async def test_cold_call_scenario_reads_the_text_as_its_opener(
    client: httpx.AsyncClient, rep: Account
) -> None:
    body = {"text": "Hi, do you have a minute?", "scenario": "cold_call", "language": "en"}
    res = await client.post(URL, json=body, headers=rep.headers)
    assert res.status_code == 200 and res.json()["opener"]["introduced_self"] is False


async def test_analyze_needs_a_token(client: httpx.AsyncClient) -> None:
    res = await client.post(URL, json={"text": "Hello"})
    assert res.status_code == 401 and "detail" in res.json()


async def test_analyze_rejects_bad_input(client: httpx.AsyncClient, rep: Account) -> None:
    for body in (
        {"text": ""},
        {"text": "x" * 4001},
        {"text": "hi", "language": "fr"},
        {"text": "hi", "scenario": "demo"},
        {},
    ):
        res = await client.post(URL, json=body, headers=rep.headers)
        assert res.status_code == 422, body
        assert "detail" in res.json()
