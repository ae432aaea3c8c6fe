"""The LLM engine against a fake OpenAI endpoint (respx): one streamed call, errors as 502/504."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from app.errors import UpstreamError
from app.llm.models import build_chat_model
from app.playbook import customer
from app.playbook.loader import load_personas
from app.roleplay.engine import ReplyContext
from app.roleplay.llm_engine import LLMEngine
from app.roleplay.state import CustomerState, Decision
from app.roleplay.transcript import RevealedFact
from tests.llm import fake_openai as fake

PLAYBOOK = Path("playbook")
SECRET_TEXT = "internal trace sk-live-SECRET-123 at node 7"


@pytest.fixture(scope="module")
def context() -> ReplyContext:
    persona = load_personas(PLAYBOOK)["chen-logistics"]
    fact = persona.situation[0]
    return ReplyContext(
        persona=persona,
        scenario="discovery",
        language=persona.language,
        decision=Decision(
            act="reveal",
            facts=[RevealedFact(kind="situation", id=fact.id, text=fact.text)],
            mood="neutral",
            state=CustomerState(revealed=[fact.id]),
        ),
        history=[],
        rep_text="您好,目前贵公司的调度是怎么安排的?",
        rules=customer.load(PLAYBOOK),
        session_id="s-test",
    )


def engine(**overrides: object) -> LLMEngine:
    settings = fake.settings(**overrides)
    model = build_chat_model(settings)
    assert model is not None
    return LLMEngine(model, settings)


async def reply(eng: LLMEngine, ctx: ReplyContext) -> list[str]:
    return [delta async for delta in eng.stream(ctx)]


async def failure(eng: LLMEngine, ctx: ReplyContext) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        await reply(eng, ctx)
    return info.value


async def test_streamed_reply_yields_each_delta_from_one_call(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(
        return_value=fake.stream_response(["简单说,", "我们有120辆车,", "5个调度员用Excel排线。"])
    )
    deltas = await reply(engine(), context)
    assert deltas == ["简单说,", "我们有120辆车,", "5个调度员用Excel排线。"]
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {fake.API_KEY}"
    body = request.content.decode()
    assert '"stream":true' in body.replace(" ", "")


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_retryable_status_is_retried_then_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext, status: int
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(
            status, headers=fake.FAST_RETRY, json={"error": {"message": SECRET_TEXT}}
        )
    )
    error = await failure(engine(llm_max_retries=2), context)
    assert route.call_count == 1 + 2
    assert error.status_code == 502
    assert error.detail.startswith("the language model failed: ")
    assert str(status) in error.detail
    assert "sk-live" not in error.detail and "SECRET" not in error.detail


async def test_a_retry_that_succeeds_gives_the_reply(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(
        side_effect=[
            httpx.Response(429, headers=fake.FAST_RETRY, json={"error": {"message": "slow down"}}),
            fake.stream_response(["好的。"]),
        ]
    )
    assert await reply(engine(llm_max_retries=2), context) == ["好的。"]
    assert route.call_count == 2


async def test_client_error_is_not_retried(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(401, json={"error": {"message": SECRET_TEXT}})
    )
    error = await failure(engine(llm_max_retries=2), context)
    assert route.call_count == 1
    assert error.status_code == 502
    assert "API key" in error.detail and "SECRET" not in error.detail


async def test_timeout_is_retried_then_answers_504(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    route = respx_mock.post(fake.CHAT_URL).mock(side_effect=httpx.ReadTimeout("read timed out"))
    error = await failure(engine(llm_max_retries=1), context)
    assert route.call_count == 1 + 1
    assert error.status_code == 504
    assert error.detail == "the language model did not answer in time"


async def test_connection_refused_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(side_effect=httpx.ConnectError(SECRET_TEXT))
    error = await failure(engine(llm_max_retries=0), context)
    assert error.status_code == 502
    assert error.detail == "the language model failed: could not connect to the provider"


async def test_connection_dropped_mid_reply_answers_502_after_the_first_delta(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(return_value=fake.cut_stream_response("我们有"))
    seen: list[str] = []
    with pytest.raises(UpstreamError) as info:
        async for delta in engine().stream(context):
            seen.append(delta)
    assert seen == ["我们有"]
    assert info.value.status_code == 502
    assert "broke off" in info.value.detail


async def test_stream_that_ends_without_finishing_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(
        return_value=fake.stream_response(["我们有120辆"], finish_reason=None, done=False)
    )
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert error.detail == "the language model failed: the reply was cut off before it ended"


@pytest.mark.parametrize(
    "body",
    [
        "data: {not json\n\n",
        'data: {"id": "x", "choices": [{"index": 0}]}\n\n',
        "<html>502 Bad Gateway</html>",
    ],
    ids=["broken-json", "wrong-shape", "html"],
)
async def test_malformed_stream_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext, body: str
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(200, headers=fake.SSE, text=body)
    )
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert error.detail.startswith("the language model failed: the provider sent")


async def test_non_streaming_answer_to_a_stream_request_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(200, json=fake.completion_json("你好"))
    )
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert error.detail == "the language model failed: the provider sent no reply"


async def test_provider_error_event_in_the_stream_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(
        return_value=httpx.Response(
            200, headers=fake.SSE, text=f'data: {{"error": {{"message": "{SECRET_TEXT}"}}}}\n\n'
        )
    )
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert "SECRET" not in error.detail


@pytest.mark.parametrize("deltas", [[], ["", "  "], ["\n"]], ids=["none", "blank", "newline"])
async def test_empty_reply_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext, deltas: list[str]
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(return_value=fake.stream_response(deltas))
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert error.detail == "the language model failed: the reply was empty"


async def test_content_filter_stop_answers_502(
    respx_mock: respx.MockRouter, context: ReplyContext
) -> None:
    respx_mock.post(fake.CHAT_URL).mock(
        return_value=fake.stream_response([], finish_reason="content_filter")
    )
    error = await failure(engine(), context)
    assert error.status_code == 502
    assert "content filter" in error.detail
