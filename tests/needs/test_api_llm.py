"""Finishing with a model configured: one structured call; invented or rep-cited items are dropped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from langchain_openai import ChatOpenAI

from app.needs.refine import RefinedRecord
from tests.conftest import Account
from tests.llm.fake_openai import CHAT_URL
from tests.needs.test_api import GOOD_ZH
from tests.needs.test_needs_refine import openai_tool_answer
from tests.roleplay.test_api import start, turn


@pytest.fixture
def refining_app(app) -> Iterator[object]:
    app.state.chat_model = ChatOpenAI(
        model="gpt-4o-mini", base_url="http://llm.test/v1", api_key="test", max_retries=0
    )
    yield app
    app.state.chat_model = None


async def test_finish_refines_once_and_keeps_only_supported_items(
    client: httpx.AsyncClient, rep: Account, refining_app
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in GOOD_ZH:
        await turn(client, rep, sid, text)
    live = (await client.get(f"/api/v1/sessions/{sid}/needs-record", headers=rep.headers)).json()
    assert live["problems"]
    problem_seq = live["problems"][0]["turn_seq"]
    draft = RefinedRecord.model_validate(
        {
            **{
                k: live[k]
                for k in ("situation", "problems", "implications", "need_payoffs", "needs")
            },
            "implications": [
                {"text": "去年因为排线出错损失了两千万。", "turn_seq": problem_seq},
                {"text": "哪些环节效率低?", "turn_seq": problem_seq - 1},
            ],
        }
    ).model_dump()
    with respx.mock() as mock:
        route = mock.post(CHAT_URL).mock(
            return_value=httpx.Response(200, json=openai_tool_answer(draft))
        )
        r = await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    assert r.status_code == 200 and route.call_count == 1
    record = r.json()["needs_record"]
    assert record["implications"] == live["implications"] == []
    assert record["problems"] == live["problems"]
    assert "两千万" not in json.dumps(record, ensure_ascii=False)


async def test_finish_with_a_failing_model_keeps_the_offline_record(
    client: httpx.AsyncClient, rep: Account, refining_app
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in GOOD_ZH:
        await turn(client, rep, sid, text)
    live = (await client.get(f"/api/v1/sessions/{sid}/needs-record", headers=rep.headers)).json()
    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(return_value=httpx.Response(500, json={"error": "down"}))
        r = await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    assert r.status_code == 200 and r.json()["needs_record"] == live


async def test_other_writes_proceed_while_the_refinement_call_runs(
    client: httpx.AsyncClient, rep: Account, other_rep: Account, refining_app
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in GOOD_ZH:
        await turn(client, rep, sid, text)
    called, release = asyncio.Event(), asyncio.Event()

    async def slow_model(request: httpx.Request) -> httpx.Response:
        called.set()
        await release.wait()
        return httpx.Response(500, json={"error": "down"})

    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(side_effect=slow_model)
        finishing = asyncio.create_task(
            client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
        )
        await asyncio.wait_for(called.wait(), 10)
        # While the model is thinking, another rep's write goes through.
        other = await asyncio.wait_for(
            client.post(
                "/api/v1/sessions",
                json={"persona_id": "mark-packaging", "scenario": "discovery"},
                headers=other_rep.headers,
            ),
            10,
        )
        assert other.status_code == 201 and not finishing.done()
        release.set()
        assert (await finishing).status_code == 200
