"""The LLM engine with LangChain's fake chat models: message layout, deltas, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGenerationChunk

from app.errors import UpstreamError
from app.playbook import customer
from app.playbook.loader import load_personas
from app.roleplay.engine import ReplyContext
from app.roleplay.llm_engine import LLMEngine, history_window
from app.roleplay.state import CustomerState, Decision
from app.roleplay.transcript import RevealedFact, TranscriptTurn
from tests.llm import fake_openai as fake

PLAYBOOK = Path("playbook")
PERSONA = load_personas(PLAYBOOK)["mark-packaging"]
RULES = customer.load(PLAYBOOK)


def turns(*texts: str) -> list[TranscriptTurn]:
    return [
        TranscriptTurn(seq=i + 1, speaker="rep" if i % 2 == 0 else "customer", text=t)
        for i, t in enumerate(texts)
    ]


def context(decision: Decision, history: list[TranscriptTurn], rep_text: str) -> ReplyContext:
    return ReplyContext(
        persona=PERSONA,
        scenario="discovery",
        language="en",
        decision=decision,
        history=history,
        rep_text=rep_text,
        rules=RULES,
        session_id="fake",
    )


def reveal(index: int = 0) -> Decision:
    fact = PERSONA.situation[index]
    return Decision(
        act="reveal",
        facts=[RevealedFact(kind="situation", id=fact.id, text=fact.text)],
        mood="neutral",
        state=CustomerState(revealed=[fact.id]),
    )


class RecordingFake(GenericFakeChatModel):
    """A fake chat model that remembers the messages of each call."""

    calls: list[list[BaseMessage]] = []

    async def _astream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        self.calls.append(list(messages))
        async for chunk in super()._astream(messages, *args, **kwargs):
            yield chunk


class FailingFake(GenericFakeChatModel):
    error: BaseException

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raise self.error

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="Well, "))
        raise self.error


async def test_happy_path_streams_the_model_text_in_one_call() -> None:
    model = RecordingFake(
        messages=iter([AIMessage("Right now we run two plants on paper schedules.")]), calls=[]
    )
    engine = LLMEngine(model, fake.settings())
    ctx = context(
        reveal(),
        turns("Hi, thanks for your time.", "Sure, go ahead."),
        "How do you plan production today?",
    )
    deltas = [d async for d in engine.stream(ctx)]
    assert len(deltas) > 1
    assert "".join(deltas) == "Right now we run two plants on paper schedules."
    assert len(model.calls) == 1
    messages = model.calls[0]
    assert isinstance(messages[0], SystemMessage)
    assert [type(m) for m in messages[1:]] == [HumanMessage, AIMessage, HumanMessage]
    assert messages[1].content == "Hi, thanks for your time."
    last = str(messages[-1].content)
    assert "How do you plan production today?" in last
    assert PERSONA.situation[0].text in last
    assert engine.prompt_version is not None and engine.prompt_version.startswith("customer-")
    assert engine.name == "openai:gpt-4o-mini"


async def test_system_message_is_the_same_whatever_the_turn() -> None:
    engine = LLMEngine(GenericFakeChatModel(messages=iter([])), fake.settings())
    first = engine.messages(context(reveal(0), [], "How many plants?"))[0]
    later = engine.messages(
        context(reveal(1), turns("a", "b", "c", "d"), "And who runs scheduling?")
    )[0]
    assert first.content == later.content


def test_history_window_keeps_the_last_turns_starting_with_the_rep() -> None:
    history = turns(*[f"t{i}" for i in range(1, 20)])  # t19 is a rep turn
    window = history_window(history[:-1], 5, "next")  # ends with customer t18
    assert [m.content for m in window] == ["t15", "t16", "t17", "t18"]
    assert isinstance(window[0], HumanMessage)


def test_history_window_drops_a_resent_rep_turn_and_merges_rep_turns() -> None:
    history = turns("q1", "a1") + [
        TranscriptTurn(seq=3, speaker="rep", text="q2 (no answer)"),
        TranscriptTurn(seq=4, speaker="rep", text="q3"),
    ]
    window = history_window(history, 12, "q3")
    assert [m.content for m in window] == ["q1", "a1", "q2 (no answer)"]
    merged = history_window(history, 12, "q4")
    assert [m.content for m in merged] == ["q1", "a1", "q2 (no answer)\nq3"]


def test_history_window_clips_a_monologue() -> None:
    window = history_window(turns("x" * 4000, "ok"), 12, "next")
    assert len(str(window[0].content)) <= 600


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TimeoutError(), 504),
        (ConnectionResetError("secret-host:443 reset"), 502),
        (RuntimeError("provider said: sk-live-SECRET"), 502),
    ],
)
async def test_model_errors_become_upstream_errors_without_provider_text(
    error: BaseException, status: int
) -> None:
    engine = LLMEngine(FailingFake(messages=iter([]), error=error), fake.settings())
    with pytest.raises(UpstreamError) as info:
        _ = [d async for d in engine.stream(context(reveal(), [], "How?"))]
    assert info.value.status_code == status
    assert "SECRET" not in info.value.detail and "secret" not in info.value.detail


async def test_a_fake_model_without_finish_reason_is_not_taken_for_a_cut() -> None:
    engine = LLMEngine(GenericFakeChatModel(messages=iter([AIMessage("Fine.")])), fake.settings())
    assert engine.require_finish_reason is False
    assert [d async for d in engine.stream(context(reveal(), [], "How?"))] == ["Fine."]
