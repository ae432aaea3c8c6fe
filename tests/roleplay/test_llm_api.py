"""The turn API with the LLM engine against a fake OpenAI-compatible server (respx)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from app.llm.models import build_chat_model
from app.roleplay.llm_engine import LLMEngine
from tests.conftest import Account
from tests.llm.fake_openai import (
    API_KEY,
    CHAT_URL,
    FAST_RETRY,
    cut_stream_response,
    settings,
    stream_response,
)
from tests.roleplay.test_api import sse_events, start, turn

QUESTION = "How do your teams plan their releases today?"


@pytest.fixture
def llm_app(app) -> Iterator[object]:
    llm_settings = settings(llm_max_retries=1)
    original = app.state.customer_engine
    model = build_chat_model(llm_settings)
    assert model is not None
    app.state.customer_engine = LLMEngine(model, llm_settings)
    yield app
    app.state.customer_engine = original


async def test_llm_reply_is_streamed_stored_and_versioned(
    client: httpx.AsyncClient, rep: Account, llm_app
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(CHAT_URL).mock(
            return_value=stream_response(["We plan ", "in two-week sprints."])
        )
        sid = await start(client, rep, "morgan-saas")
        r = await turn(client, rep, sid, QUESTION)
    assert r.status_code == 200, r.text
    customer = r.json()["customer_turn"]
    assert customer["text"] == "We plan in two-week sprints."
    assert customer["prompt_version"].startswith("customer-")
    assert route.call_count == 1


async def test_provider_500_is_a_502_and_the_resend_answers_the_same_turn(
    client: httpx.AsyncClient, rep: Account, llm_app
) -> None:
    sid = await start(client, rep, "morgan-saas")
    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(
            return_value=httpx.Response(
                500, json={"error": {"message": API_KEY}}, headers=FAST_RETRY
            )
        )
        r = await turn(client, rep, sid, QUESTION)
    assert r.status_code == 502 and "language model" in r.json()["detail"]
    assert API_KEY not in r.text
    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(return_value=stream_response(["Sprints, mostly."]))
        r = await turn(client, rep, sid, QUESTION)
    assert r.status_code == 200
    assert (r.json()["rep_turn"]["seq"], r.json()["customer_turn"]["seq"]) == (1, 2)
    turns = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()["turns"]
    assert [(t["seq"], t["speaker"]) for t in turns] == [(1, "rep"), (2, "customer")]


async def test_stream_cut_mid_reply_is_an_sse_error_and_a_timeout_a_504(
    client: httpx.AsyncClient, rep: Account, llm_app
) -> None:
    sid = await start(client, rep, "morgan-saas")
    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(return_value=cut_stream_response("We plan "))
        r = await client.post(
            f"/api/v1/sessions/{sid}/turns",
            json={"text": QUESTION},
            headers={**rep.headers, "Accept": "text/event-stream"},
        )
    events = sse_events(r.text)
    assert [e for e, _ in events][:2] == ["coaching", "token"]
    assert events[-1][0] == "error" and events[-1][1]["status_code"] == 502
    with respx.mock() as mock:
        mock.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        r = await turn(client, rep, sid, QUESTION)
    assert r.status_code == 504 and "in time" in r.json()["detail"]
    turns = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()["turns"]
    assert [(t["seq"], t["speaker"]) for t in turns] == [(1, "rep")]
