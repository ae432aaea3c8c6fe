"""The LLM engine's per-turn direction for the customer's reactions to the reading: each act
is directed in character, and no fact the customer has not earned ever reaches the model."""

from __future__ import annotations

import pytest

from app.coach.schemas import Coaching
from app.llm.models import build_chat_model
from app.roleplay.engine import ReplyContext
from app.roleplay.llm_engine import LLMEngine
from app.roleplay.state import Decision
from app.roleplay.transcript import TranscriptTurn
from tests.llm import fake_openai as fake
from tests.roleplay.test_customer_behaviours import META, OFF_TOPIC, Call
from tests.roleplay.test_state import RULES, coaching


def engine() -> LLMEngine:
    settings = fake.settings()
    model = build_chat_model(settings)
    assert model is not None
    return LLMEngine(model, settings)


def prompt_of(call: Call, text: str, c: Coaching) -> tuple[Decision, str]:
    history: list[TranscriptTurn] = list(call.history)
    d, _ = call.turn(text, c)
    ctx = ReplyContext(
        persona=call.persona,
        scenario="discovery",
        language=call.persona.language,
        decision=d,
        history=history,
        rep_text=text,
        rules=RULES,
        session_id="llm-acts",
    )
    return d, "\n".join(str(m.content) for m in engine().messages(ctx))


def unearned(call: Call) -> list[str]:
    said = set(call.state.revealed)
    facts = [*call.persona.all_facts(), *call.persona.public]
    return [f.text for f in facts if f.id not in said]


@pytest.mark.parametrize("persona_id", ["chen-logistics", "morgan-saas"])
def test_every_new_act_is_directed_and_leaks_nothing_unearned(persona_id: str) -> None:
    call = Call(persona_id)
    lang = call.persona.language
    call.turn("Hi", coaching(question=None, language=lang, small_talk=True))
    ask = {"zh": "目前最大的挑战是什么?", "en": "What's your biggest challenge?"}[lang]
    asked_at = call.seq
    first, _ = call.turn(ask, coaching("problem", language=lang))
    assert len(first.facts) == 1
    directions = {
        "redirect": (OFF_TOPIC[lang], coaching(None, language=lang, off_topic=True)),
        "puzzled": (META[lang], coaching("problem", language=lang, meta=True)),
        "recall": (ask, coaching("problem", language=lang, repeat_of=asked_at)),
        "object": (
            "Sign today for 20% off." if lang == "en" else "今天签约打八折!",
            coaching(None, language=lang, hard_close=True, pitch=True),
        ),
    }
    for act, (text, c) in directions.items():
        call.state.patience = call.state.max_patience  # keep the customer on the line
        d, prompt = prompt_of(call, text, c)
        assert d.act == act
        for fact in unearned(call):
            assert fact not in prompt, (act, fact)
        if act == "recall":
            # What was said before may be named again; it is the only fact in the direction.
            assert first.facts[0].text in prompt.split(text)[-1]
    d, prompt = prompt_of(call, "Bye!", coaching(None, language=lang, goodbye=True))
    assert d.act == "goodbye" and d.state.ended
    assert ("Say goodbye" in prompt) if lang == "en" else ("道别" in prompt)
    for fact in unearned(call):
        assert fact not in prompt
