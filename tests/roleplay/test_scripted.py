"""The scripted engine, and whole conversations on it: good SPIN uncovers every need, pitching little."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.coach.analyzer import topic_words
from app.coach.schemas import CoachContext, Coaching, NextStepSignal, Signals
from app.playbook import coaching as coaching_playbook
from app.playbook import customer
from app.playbook.loader import load_personas
from app.playbook.persona import Persona
from app.roleplay.engine import CustomerEngine, ReplyContext
from app.roleplay.scripted import ScriptedEngine, clauses, compose_reply
from app.roleplay.state import CustomerState, Decision, decide, initial_state, problem_known
from app.roleplay.transcript import TranscriptTurn

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbook"
RULES = customer.load(PLAYBOOK)
PERSONAS = load_personas(PLAYBOOK)
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGINE: CustomerEngine = ScriptedEngine()

# Question scripts built from each fact's first keyword, so they work for any persona.
GOOD = {
    "zh": {
        "greeting": "{name}您好,感谢您抽时间!最近怎么样?",
        "situation": "关于{kw},目前是怎么做的?",
        "problem": "在{kw}方面,有哪些让您觉得不太顺的地方?",
        "implication": "这个问题对{kw}有什么影响?",
        "need_payoff": "如果{kw}能实现,对您的业务意味着什么?",
        "next_step": "您看明天下午3点,我把同行案例发给您,再电话沟通10分钟,方便吗?",
    },
    "en": {
        "greeting": "Hi {name}, thanks for making the time. How was your weekend?",
        "situation": "How do you handle {kw} today?",
        "problem": "What's the toughest part of {kw}?",
        "implication": "What impact does that have on {kw}?",
        "need_payoff": "If you had {kw}, how would that help you?",
        "next_step": "Could we talk Thursday at 10am for 15 minutes to go through a case study?",
    },
}
BAD = {
    "zh": [
        ("pitch", "我们的系统是行业领先的,能帮您把效率提升50%,很多大客户都在用。"),
        ("situation", "你们现在用Excel吗?"),
        ("problem", "你们是不是效率有问题?"),
        ("implication", "这会不会影响成本?"),
        ("need_payoff", "自动化对您有帮助吗?"),
        ("next_step", "明天下午3点我过去给您演示一下,可以吗?"),
    ],
    "en": [
        (
            "pitch",
            "Our platform is the market leader and boosts efficiency by 50% for companies like yours.",
        ),
        ("situation", "Do you use spreadsheets?"),
        ("problem", "Is that a problem for you?"),
        ("implication", "Does that cost you money?"),
        ("need_payoff", "Would automation help?"),
        ("next_step", "Can I show you a demo tomorrow at 3pm?"),
    ],
}


def good_script(persona: Persona) -> list[tuple[str, str]]:
    """(kind, text) turns: a greeting, then S, P, I, N questions in order, then a next step."""
    q = GOOD[persona.language]
    turns = [("greeting", q["greeting"].format(name=persona.name))]
    turns += [("situation", q["situation"].format(kw=f.keywords[0])) for f in persona.situation]
    turns += [("problem", q["problem"].format(kw=p.keywords[0])) for p in persona.problems]
    for p in persona.problems:
        turns += [
            ("implication", q["implication"].format(kw=i.keywords[0])) for i in p.implications
        ]
    for p in persona.problems:
        turns += [
            ("need_payoff", q["need_payoff"].format(kw=n.keywords[0])) for n in p.need_payoffs
        ]
    turns.append(("next_step", q["next_step"]))
    return turns


def hand_coaching(kind: str, language: str, *, closed: bool = False) -> Coaching:
    """What a correct coach says about one scripted turn."""
    question = "closed" if closed else "open"
    if kind == "greeting":
        return Coaching(language=language, question="closed", signals=Signals(small_talk=True))  # type: ignore[arg-type]
    if kind == "pitch":
        return Coaching(
            language=language,  # type: ignore[arg-type]
            flags=["premature_pitch", "no_question"],
            signals=Signals(pitch=True),
        )
    if kind == "next_step":
        step = NextStepSignal(proposed=True, has_concrete_time=True)
        return Coaching(language=language, question="closed", signals=Signals(next_step=step))  # type: ignore[arg-type]
    flags = ["closed_question"] if closed else []
    return Coaching(language=language, spin=kind, question=question, flags=flags)  # type: ignore[arg-type]


@dataclass
class Call:
    persona: Persona
    scenario: str = "discovery"
    session_id: str = "session-1"
    state: CustomerState = field(init=False)
    history: list[TranscriptTurn] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = initial_state(self.persona, RULES)

    def turn(self, text: str, coaching: Coaching) -> str:
        coaching = coaching.model_copy(
            update={"signals": coaching.signals.model_copy(update={"topic": topic_words(text)})}
        )
        seq = len(self.history)
        d = decide(self.state, self.persona, coaching, self.scenario, RULES, seq=seq + 1)  # type: ignore[arg-type]
        ctx = ReplyContext(
            persona=self.persona,
            scenario=self.scenario,  # type: ignore[arg-type]
            language=self.persona.language,
            decision=d,
            history=list(self.history),
            rep_text=text,
            rules=RULES,
            session_id=self.session_id,
        )
        reply = compose_reply(ctx)
        self.history.append(
            TranscriptTurn(seq=seq + 1, speaker="rep", text=text, coaching=coaching)
        )
        self.history.append(
            TranscriptTurn(seq=seq + 2, speaker="customer", text=reply, revealed=d.facts, act=d.act)
        )
        self.state = d.state
        self.decisions.append(d)
        return reply

    def revealed_of(self, kind: str) -> list[str]:
        return [f for f in self.state.revealed if self.persona.fact_kind(f) == kind]


def context(persona_id: str, decision: Decision, session_id: str = "s-1") -> ReplyContext:
    persona = PERSONAS[persona_id]
    return ReplyContext(
        persona=persona,
        scenario="discovery",
        language=persona.language,
        decision=decision,
        history=[],
        rep_text="",
        rules=RULES,
        session_id=session_id,
    )


def first_reveal(persona_id: str) -> Decision:
    persona = PERSONAS[persona_id]
    state = initial_state(persona, RULES)
    c = hand_coaching("situation", persona.language)
    return decide(state, persona, c, "discovery", RULES)


# --- the engine -------------------------------------------------------------------------


def test_engine_is_named_scripted_and_has_no_prompt() -> None:
    assert ENGINE.name == "scripted"
    assert ENGINE.prompt_version is None


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_reveal_says_the_fact_verbatim_after_a_lead_in(persona_id: str) -> None:
    persona = PERSONAS[persona_id]
    d = first_reveal(persona_id)
    reply = compose_reply(context(persona_id, d))
    fact = d.facts[0].text
    assert reply.endswith(fact)
    lead_in = reply[: -len(fact)].strip()
    assert lead_in in RULES.lines_for(persona.language, persona.personality, "lead_in_situation")


def test_terse_reveal_uses_a_terse_lead_in() -> None:
    persona = PERSONAS["morgan-saas"]
    state = initial_state(persona, RULES)
    c = hand_coaching("situation", "en", closed=True)
    d = decide(state, persona, c, "discovery", RULES)
    reply = compose_reply(context("morgan-saas", d))
    assert d.terse
    assert reply.split(" ")[0] in RULES.lines_for("en", "analytical", "terse_lead_in")
    assert reply.endswith(persona.situation[0].text)


def test_reply_is_the_same_for_the_same_session_and_turn() -> None:
    d = first_reveal("chen-logistics")
    replies = {compose_reply(context("chen-logistics", d, "abc")) for _ in range(5)}
    assert len(replies) == 1


def test_line_choice_varies_across_sessions() -> None:
    d = first_reveal("liu-retail")
    replies = {compose_reply(context("liu-retail", d, f"session-{i}")) for i in range(20)}
    assert len(replies) >= 2


async def test_stream_sends_several_deltas_that_join_to_the_reply() -> None:
    d = first_reveal("zhao-hospital")
    ctx = context("zhao-hospital", d)
    deltas = [delta async for delta in ENGINE.stream(ctx)]
    assert len(deltas) >= 2
    assert "".join(deltas) == compose_reply(ctx)


def test_clauses_keep_numbers_whole_and_join_back() -> None:
    text = "We have about 1,200 accounts, and 3.5 people per team. Fine!"
    pieces = clauses(text)
    assert "".join(pieces) == text
    assert any("1,200" in p for p in pieces) and any("3.5" in p for p in pieces)
    assert len(pieces) == 3


def test_objection_reply_quotes_the_persona_objection() -> None:
    call = Call(PERSONAS["priya-finance"])
    call.turn("Hi Priya.", Coaching(language="en"))
    reply = call.turn("Our tool is the best on the market.", hand_coaching("pitch", "en"))
    assert call.decisions[-1].act == "object"
    assert PERSONAS["priya-finance"].objections[0].text in reply


def test_greeting_fills_in_the_persona_name() -> None:
    persona = PERSONAS["chen-logistics"]
    replies = []
    for i in range(12):
        call = Call(persona, scenario="cold_call", session_id=f"s{i}")
        replies.append(call.turn("您好,我是易达科技的小李。", Coaching(language="zh")))
    assert all("{" not in r for r in replies)
    assert any(persona.name in r for r in replies)


def test_hang_up_reply_is_a_hang_up_line() -> None:
    persona = PERSONAS["mark-packaging"]
    call = Call(persona)
    while not call.state.ended:
        reply = call.turn("Our platform is the best.", hand_coaching("pitch", "en"))
    assert reply in RULES.lines_for("en", "busy", "hang_up")


# --- whole conversations: the "done when" ----------------------------------------


def run_good(persona: Persona) -> Call:
    call = Call(persona)
    for kind, text in good_script(persona):
        call.turn(text, hand_coaching(kind, persona.language))
    return call


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_good_spin_questions_in_order_uncover_every_need(persona_id: str) -> None:
    persona = PERSONAS[persona_id]
    call = run_good(persona)
    all_needs = [n.id for p in persona.problems for n in p.need_payoffs]
    assert sorted(call.revealed_of("need_payoff")) == sorted(all_needs)
    assert len(call.state.revealed) == len(persona.all_facts())
    assert not call.state.ended
    # A busy buyer answers the first concrete time with a slot of its own.
    busy = persona.personality in RULES.counter.personalities
    assert call.decisions[-1].act == ("counter_next_step" if busy else "accept_next_step")
    # Each need is said in the customer's words, in the turn that revealed it.
    customer_text = " ".join(t.text for t in call.history if t.speaker == "customer")
    for p in persona.problems:
        for n in p.need_payoffs:
            assert n.text in customer_text


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_good_conversation_reveals_each_question_target(persona_id: str) -> None:
    # The questions name each fact's keyword, so each turn reveals the fact it points at.
    persona = PERSONAS[persona_id]
    call = run_good(persona)
    reveals = [d.facts[0].id for d in call.decisions if d.act == "reveal"]
    expected = [f.id for f in persona.situation] + [p.id for p in persona.problems]
    expected += [i.id for p in persona.problems for i in p.implications]
    expected += [n.id for p in persona.problems for n in p.need_payoffs]
    assert reveals == expected


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_pitching_and_closed_questions_uncover_little(persona_id: str) -> None:
    persona = PERSONAS[persona_id]
    call = Call(persona)
    for _ in range(3):
        for kind, text in BAD[persona.language]:
            if call.state.ended:
                break
            call.turn(text, hand_coaching(kind, persona.language, closed=True))
    assert call.revealed_of("need_payoff") == []
    assert call.revealed_of("implication") == []
    assert len(call.state.revealed) <= 4
    assert not call.state.next_step_agreed
    assert any(d.act == "object" for d in call.decisions)
    if persona.personality in ("busy", "skeptical"):
        assert call.state.ended
        assert call.decisions[-1].act == "hang_up"


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_replies_stay_in_the_persona_language(persona_id: str) -> None:
    persona = PERSONAS[persona_id]
    call = run_good(persona)
    for turn in call.history:
        if turn.speaker == "customer":
            assert turn.text
            assert bool(CJK.search(turn.text)) == (persona.language == "zh"), turn.text


# --- the same conversations, labelled by the real coach ----------------------------------


def real_coach() -> Callable[[Call, str], Coaching]:
    analyzer = pytest.importorskip("app.coach.analyzer")
    coach_rules = coaching_playbook.load(PLAYBOOK)

    def analyze(call: Call, text: str) -> Coaching:
        context = CoachContext(
            scenario=call.scenario,  # type: ignore[arg-type]
            problem_known=problem_known(call.state, call.persona),
            rep_turn_index=len(call.decisions),
        )
        result: Coaching = analyzer.analyze(
            text, coach_rules, context=context, language=call.persona.language
        )
        return result

    return analyze


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_good_spin_conversation_labelled_by_the_coach_uncovers_every_need(persona_id: str) -> None:
    analyze = real_coach()
    persona = PERSONAS[persona_id]
    call = Call(persona)
    for _, text in good_script(persona):
        call.turn(text, analyze(call, text))
    all_needs = [n.id for p in persona.problems for n in p.need_payoffs]
    assert sorted(call.revealed_of("need_payoff")) == sorted(all_needs)
    assert not call.state.ended
    if persona.personality in RULES.counter.personalities:
        # A busy buyer offers its own slot; the rep taking it agrees the step.
        assert call.state.counter is not None
        yes = "OK, that works." if persona.language == "en" else "好的,没问题。"
        call.turn(yes, analyze(call, yes))
    assert call.state.next_step_agreed


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_pitching_conversation_labelled_by_the_coach_uncovers_little(persona_id: str) -> None:
    analyze = real_coach()
    persona = PERSONAS[persona_id]
    call = Call(persona)
    for _ in range(3):
        for _, text in BAD[persona.language]:
            if call.state.ended:
                break
            call.turn(text, analyze(call, text))
    assert call.revealed_of("need_payoff") == []
    assert not call.state.next_step_agreed
    if persona.personality in ("busy", "skeptical"):
        assert call.state.ended
