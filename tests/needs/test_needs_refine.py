from __future__ import annotations

import json
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_openai import ChatOpenAI

from app.needs.extract import build_needs_record
from app.needs.refine import RefinedRecord, refine_with_llm
from app.needs.schemas import NeedsRecord
from tests.needs.needs_dialogues import chen_discovery_good, maya_discovery_good

CHAT_URL = "http://llm.test/v1/chat/completions"


class ToolCallingFake(BaseChatModel):
    """Answers every call with one tool call carrying `args` (or raises `error`)."""

    args: dict[str, Any] = {}
    error: str | None = None
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs):
        self.calls += 1
        if self.error:
            raise RuntimeError(self.error)
        message = AIMessage(
            content="", tool_calls=[{"name": "RefinedRecord", "args": self.args, "id": "call_1"}]
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def offline(make, needs_rules) -> tuple[NeedsRecord, list]:
    d = make()
    return build_needs_record(
        "sess-1", d.persona, "discovery", d.turns, needs_rules, d.language
    ), d.turns


def draft_from(record: NeedsRecord, **changes: Any) -> dict[str, Any]:
    data = record.model_dump(
        include={"situation", "problems", "implications", "need_payoffs", "needs"}
    )
    data.update(changes)
    return RefinedRecord.model_validate(data).model_dump()


async def test_refined_wording_supported_by_the_turn_is_kept(needs_rules):
    record, turns = offline(chen_discovery_good, needs_rules)
    args = draft_from(
        record,
        problems=[
            {"text": "高峰期排一次线要3个小时,经常排错", "turn_seq": 6},
            {"text": "车辆回程经常空跑,空驶率差不多三成", "turn_seq": 12},
        ],
    )
    refined = await refine_with_llm(record, turns, ToolCallingFake(args=args), "zh")
    assert refined.source == "llm"
    assert [i.text for i in refined.problems] == [
        "高峰期排一次线要3个小时,经常排错",
        "车辆回程经常空跑,空驶率差不多三成",
    ]
    assert refined.needs == record.needs  # priorities come from the customer's words


async def test_invented_fact_and_invented_number_are_dropped(needs_rules):
    record, turns = offline(chen_discovery_good, needs_rules)
    args = draft_from(
        record,
        problems=[
            {"text": "高峰期排一次线要3个小时,还经常排错。", "turn_seq": 6},
            {"text": "仓库管理系统经常宕机,库存数据对不上。", "turn_seq": 6},
        ],
        implications=[
            {"text": "上个季度因为送错货,赔了客户400多万。", "turn_seq": 8},
            {"text": "油费一年多花了两百多万,老板一直在问。", "turn_seq": 14},
        ],
    )
    refined = await refine_with_llm(record, turns, ToolCallingFake(args=args), "zh")
    said = " ".join(i.text for f in ("problems", "implications") for i in refined.items(f))
    assert "宕机" not in said and "400" not in said
    # The offline quote at turn 8 stays, since the model's version was rejected.
    assert [(i.text, i.turn_seq) for i in refined.implications] == [
        ("上个季度因为送错货,赔了客户40多万。", 8),
        ("油费一年多花了两百多万,老板一直在问。", 14),
    ]


async def test_item_citing_a_rep_turn_is_rejected(needs_rules):
    record, turns = offline(maya_discovery_good, needs_rules)
    rep_question = next(t for t in turns if t.seq == 9)  # the rep's need-payoff question
    args = draft_from(
        record,
        need_payoffs=[{"text": rep_question.text, "turn_seq": 9}],
        needs=[{"text": rep_question.text, "turn_seq": 9, "priority": "must"}],
    )
    refined = await refine_with_llm(record, turns, ToolCallingFake(args=args), "en")
    assert all(i.turn_seq != 9 for i in refined.need_payoffs)
    assert all(n.turn_seq != 9 for n in refined.needs)
    assert refined.need_payoffs == record.need_payoffs


async def test_moving_small_talk_into_the_record_is_rejected(needs_rules):
    record, turns = offline(maya_discovery_good, needs_rules)
    args = draft_from(record, problems=[{"text": "The summit was tiring.", "turn_seq": 2}])
    refined = await refine_with_llm(record, turns, ToolCallingFake(args=args), "en")
    assert [i.turn_seq for i in refined.problems] == [6, 12]


async def test_nothing_valid_keeps_the_offline_record(needs_rules):
    record, turns = offline(maya_discovery_good, needs_rules)
    args = {
        "situation": [{"text": "They run 500 agents on Salesforce.", "turn_seq": 4}],
        "problems": [],
        "implications": [],
        "need_payoffs": [],
        "needs": [],
    }
    refined = await refine_with_llm(record, turns, ToolCallingFake(args=args), "en")
    assert refined == record and refined.source == "rules"


async def test_failed_call_keeps_the_offline_record(needs_rules):
    record, turns = offline(maya_discovery_good, needs_rules)
    model = ToolCallingFake(error="boom")
    assert await refine_with_llm(record, turns, model, "en") == record
    assert model.calls == 1


def openai_tool_answer(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "RefinedRecord",
                                "arguments": json.dumps(args, ensure_ascii=False),
                            },
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def chat_openai() -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini", base_url="http://llm.test/v1", api_key="test", max_retries=0
    )


async def test_openai_answer_inventing_a_fact_or_citing_a_rep_turn_is_rejected(
    respx_mock, needs_rules
):
    record, turns = offline(maya_discovery_good, needs_rules)
    args = draft_from(
        record,
        problems=[
            {"text": "Agents spend ages hunting for answers across three wikis.", "turn_seq": 6},
            {"text": "Their CRM migration failed last year and cost $2M.", "turn_seq": 12},
            {"text": "Where else do tickets cause you trouble?", "turn_seq": 11},
        ],
    )
    route = respx_mock.post(CHAT_URL).mock(
        return_value=httpx.Response(200, json=openai_tool_answer(args))
    )
    refined = await refine_with_llm(record, turns, chat_openai(), "en")
    sent = json.loads(route.calls.last.request.content)
    assert sent["tools"][0]["function"]["name"] == "RefinedRecord"
    assert "[6] Customer:" in sent["messages"][1]["content"]
    assert refined.source == "llm"
    assert [(i.text, i.turn_seq) for i in refined.problems] == [
        ("Agents spend ages hunting for answers across three wikis.", 6),
        ("Nobody can see which product issues drive most of the tickets.", 12),
    ]
    assert "CRM" not in refined.model_dump_json()


async def test_openai_server_error_keeps_the_offline_record(respx_mock, needs_rules):
    record, turns = offline(chen_discovery_good, needs_rules)
    respx_mock.post(CHAT_URL).mock(return_value=httpx.Response(500, json={"error": "down"}))
    assert await refine_with_llm(record, turns, chat_openai(), "zh") == record


async def test_openai_malformed_arguments_keep_the_offline_record(respx_mock, needs_rules):
    record, turns = offline(chen_discovery_good, needs_rules)
    answer = openai_tool_answer({})
    answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = "{not json"
    respx_mock.post(CHAT_URL).mock(return_value=httpx.Response(200, json=answer))
    assert await refine_with_llm(record, turns, chat_openai(), "zh") == record
