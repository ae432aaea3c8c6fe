"""The customer state machine's disclosure rules, one by one (coaching built by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.coach.analyzer import topic_words
from app.coach.schemas import Coaching, NextStepSignal, OpenerCheck, Signals
from app.playbook import customer
from app.playbook.errors import PlaybookError
from app.playbook.loader import load_personas
from app.playbook.persona import Persona
from app.roleplay.state import (
    CustomerState,
    Decision,
    decide,
    has_interest,
    initial_state,
    problem_known,
    revealed_facts,
)

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbook"
RULES = customer.load(PLAYBOOK)
PERSONAS = load_personas(PLAYBOOK)


def coaching(
    spin: str | None = None,
    question: str | None = "open",
    flags: tuple[str, ...] = (),
    language: str = "zh",
    opener: OpenerCheck | None = None,
    **signals: object,
) -> Coaching:
    return Coaching.model_validate(
        {
            "language": language,
            "spin": spin,
            "question": question,
            "flags": list(flags),
            "opener": opener,
            "signals": Signals.model_validate(signals),
        }
    )


def read(text: str, c: Coaching) -> Coaching:
    """The hand-made reading with the words the turn is about, as the coach stores them."""
    if c.signals.topic:
        return c
    signals = c.signals.model_copy(update={"topic": topic_words(text)})
    return c.model_copy(update={"signals": signals})


class Talk:
    """A conversation with one persona: each `say` runs `decide` and keeps the new state."""

    def __init__(self, persona_id: str, scenario: str = "discovery") -> None:
        self.persona: Persona = PERSONAS[persona_id]
        self.scenario = scenario
        self.state: CustomerState = initial_state(self.persona, RULES)
        self.seq = 1

    def say(self, text: str, c: Coaching) -> Decision:
        d = decide(self.state, self.persona, read(text, c), self.scenario, RULES, seq=self.seq)  # type: ignore[arg-type]
        self.seq += 2
        self.state = d.state
        return d

    def greet(self) -> Decision:
        return self.say("你好,最近忙吗?", coaching(question="closed", small_talk=True))

    def ids(self) -> list[str]:
        return list(self.state.revealed)


def test_initial_state_takes_personality_start_values() -> None:
    busy = initial_state(PERSONAS["chen-logistics"], RULES)
    friendly = initial_state(PERSONAS["liu-retail"], RULES)
    assert busy.patience == RULES.personalities["busy"].start.patience
    assert friendly.trust == RULES.personalities["friendly"].start.trust
    assert busy.patience < friendly.patience
    assert busy.revealed == [] and not busy.ended


def test_situation_question_reveals_best_matching_fact() -> None:
    t = Talk("chen-logistics")
    d = t.say("你们现在的分拨中心是怎么布局的?", coaching("situation"))
    assert d.act == "reveal"
    assert [f.id for f in d.facts] == ["s2"]
    assert d.facts[0].text == t.persona.situation[1].text
    assert d.facts[0].kind == "situation"


def test_situation_question_without_match_reveals_next_unrevealed() -> None:
    t = Talk("morgan-saas")
    first = t.say("Tell me a bit about the company.", coaching("situation", language="en"))
    second = t.say("And what else should I know?", coaching("situation", language="en"))
    assert [f.id for f in first.facts] == ["s1"]
    assert [f.id for f in second.facts] == ["s2"]


def test_problem_question_reveals_next_pain() -> None:
    t = Talk("liu-retail")
    first = t.say("在运营上,哪些环节让您觉得效率比较低?", coaching("problem"))
    second = t.say("还有哪些让您头疼的地方?", coaching("problem"))
    assert [f.id for f in first.facts] == ["p1"]
    assert [f.id for f in second.facts] == ["p2"]
    assert first.facts[0].problem_id == "p1"


def test_problem_question_reveals_best_matching_pain() -> None:
    t = Talk("liu-retail")
    d = t.say("盘点的时候遇到过什么麻烦吗?", coaching("problem"))
    assert [f.id for f in d.facts] == ["p3"]


def test_busy_persona_needs_rapport_before_problem() -> None:
    t = Talk("chen-logistics")
    early = t.say("你们排线最大的难题是什么?", coaching("problem"))
    assert early.act == "deflect" and early.reason == "needs_warmup"
    assert early.facts == []
    t.say("听说你们刚开了两个新分拨中心,恭喜啊!", coaching(question=None, small_talk=True))
    later = t.say("你们排线最大的难题是什么?", coaching("problem"))
    assert later.act == "reveal"
    assert [f.id for f in later.facts] == ["p1"]


def test_skeptical_persona_talks_problems_after_a_situation_question() -> None:
    t = Talk("priya-finance")
    early = t.say("What's the biggest headache in your close?", coaching("problem", language="en"))
    assert early.reason == "needs_warmup"
    t.say("How is month-end close organised today?", coaching("situation", language="en"))
    later = t.say("What's the biggest headache in your close?", coaching("problem", language="en"))
    assert later.act == "reveal" and later.facts[0].kind == "problem"


def test_friendly_persona_needs_no_warmup_for_problems() -> None:
    t = Talk("karen-education")
    d = t.say("What's the hardest part of device tracking?", coaching("problem", language="en"))
    assert d.act == "reveal" and [f.id for f in d.facts] == ["p1"]


def test_implication_needs_known_problem() -> None:
    t = Talk("liu-retail")
    d = t.say("这个问题对你们的利润有什么影响?", coaching("implication"))
    assert d.act == "deflect" and d.reason == "no_problem_known"
    assert d.facts == []
    assert t.ids() == []


def test_implication_comes_from_a_revealed_problem() -> None:
    t = Talk("liu-retail")
    t.say("断货的情况多吗?都是什么商品?", coaching("problem"))
    assert t.ids() == ["p2"]
    # The words point at p1's implication (profit) while only p2 is known: that thread is
    # not open, so the customer names p1's pain underneath, never p1's implication itself.
    d = t.say("这对利润和毛利有什么影响?", coaching("implication"))
    assert [f.id for f in d.facts] == ["p1"]
    d = t.say("这个问题对你们有什么影响?", coaching("implication"))
    assert [f.id for f in d.facts] == ["i2"]


def test_question_on_an_unsaid_pain_names_that_pain_first() -> None:
    # Once one pain is out, an implication or need-payoff question naming another pain's thread
    # gets that pain (the problem), not its consequence; before any pain, nothing.
    cold = Talk("priya-finance")
    d = cold.say(
        "What happened when reconciliations turned into an audit point?",
        coaching("implication", language="en"),
    )
    assert d.facts == [] and d.reason == "no_problem_known"
    t = Talk("priya-finance")
    t.greet()
    t.say("How does the close run today?", coaching("situation", language="en"))
    t.say(
        "Which part of the close gives you the most headaches?", coaching("problem", language="en")
    )
    assert "p1" in t.ids() and "p2" not in t.ids()
    d = t.say(
        "What happened when reconciliations turned into an audit point?",
        coaching("implication", language="en"),
    )
    assert [f.id for f in d.facts] == ["p2"]
    d = t.say(
        "What happened the last time that turned into an audit point?",
        coaching("implication", language="en"),
    )
    assert [f.id for f in d.facts] == ["i2"]


def test_implication_question_reveals_best_matching_implication() -> None:
    t = Talk("chen-logistics")
    t.greet()
    t.say("排线的时候遇到过什么难题?", coaching("problem"))
    d = t.say("调度员加班这么多,对团队稳定有什么影响?", coaching("implication"))
    assert [f.id for f in d.facts] == ["i2"]


def test_unearned_need_payoff_never_revealed() -> None:
    t = Talk("liu-retail")
    need = coaching("need_payoff")
    assert t.say("如果订货能自动预测,对您意味着什么?", need).reason == "no_implication_known"
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    for _ in range(3):
        d = t.say("如果订货能自动预测,对您意味着什么?", need)
        assert d.act == "deflect" and d.reason == "no_implication_known"
        assert d.facts == []
    assert not any(t.persona.fact_kind(i) == "need_payoff" for i in t.ids())


def test_need_payoff_follows_its_implication() -> None:
    t = Talk("liu-retail")
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    t.say("断货方面呢?", coaching("problem"))
    t.say("缺货对复购率有什么影响?", coaching("implication"))
    assert t.ids() == ["p1", "p2", "i2"]
    # Only p2 has a revealed implication: a question about p1's payoff (order forecasting)
    # gets nothing, and never p2's payoff in its place; a question about p2's does.
    d = t.say("如果订货预测能自动化,对您意味着什么?", coaching("need_payoff"))
    assert d.facts == []
    d = t.say("如果快缺货的时候能提醒门店调货,对您意味着什么?", coaching("need_payoff"))
    assert [f.id for f in d.facts] == ["n2"]
    assert d.facts[0].problem_id == "p2"
    assert d.mood == "interested"


def test_nothing_left_of_a_kind_deflects() -> None:
    t = Talk("liu-retail")
    for _ in t.persona.situation:
        t.say("你们的情况是怎样的?", coaching("situation"))
    d = t.say("还有别的情况吗?", coaching("situation"))
    assert d.act == "deflect" and d.reason == "nothing_left" and d.facts == []


def test_each_fact_is_revealed_once() -> None:
    t = Talk("liu-retail")
    for _ in range(6):
        t.say("你们的情况是怎样的?", coaching("situation"))
    assert sorted(t.ids()) == ["s1", "s2", "s3"]


def test_a_specific_question_on_a_fact_already_said_recalls_it() -> None:
    t = Talk("liu-retail")
    first = t.say("门店的情况怎么样?", coaching("situation"))
    again = t.say("门店的情况怎么样?", coaching("situation"))
    assert [f.id for f in first.facts] == ["s1"]
    assert again.act == "recall" and again.facts == []
    assert [f.id for f in again.recalled] == ["s1"]


def test_closed_situation_question_reveals_tersely_at_a_patience_cost() -> None:
    t = Talk("liu-retail")
    before = t.state.patience
    d = t.say("你们有门店吗?", coaching("situation", question="closed", flags=("closed_question",)))
    assert d.act == "reveal" and d.terse
    assert [f.id for f in d.facts] == ["s1"]
    assert (
        d.state.patience == before - RULES.personalities["friendly"].costs.closed_question.patience
    )


def test_closed_need_payoff_question_reveals_nothing() -> None:
    t = Talk("liu-retail")
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    t.say("损耗对利润有什么影响?", coaching("implication"))
    d = t.say("自动订货对您有帮助吗?", coaching("need_payoff", question="closed"))
    assert d.act == "short_answer" and d.reason == "closed_question" and d.terse
    assert d.facts == []


def test_open_question_that_reveals_restores_patience() -> None:
    t = Talk("liu-retail")
    t.say("你们有门店吗?", coaching("situation", question="closed"))
    low = t.state.patience
    t.say("订货是怎么做的?", coaching("situation"))
    assert t.state.patience == low + 1
    assert t.state.patience <= t.state.max_patience


def test_premature_pitch_costs_patience_and_earns_objection() -> None:
    t = Talk("wang-manufacturing")
    before = t.state
    d = t.say(
        "我们的系统能把设备效率提升30%,很多客户都在用。",
        coaching(question=None, flags=("premature_pitch",), pitch=True),
    )
    assert d.act == "object" and d.reason == "premature_pitch"
    assert d.objection == t.persona.objections[0].text
    assert d.state.patience == before.patience - 3
    assert d.state.trust < before.trust
    again = t.say("我们的系统真的很好。", coaching(question=None, pitch=True))
    assert again.objection == t.persona.objections[1].text


def test_pitch_after_a_problem_is_known_is_a_value_point() -> None:
    t = Talk("liu-retail")
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    before = t.state.patience
    d = t.say("我们的自动订货能把损耗降下来。", coaching(question=None, pitch=True))
    assert d.act == "acknowledge" and d.reason == "value_point"
    assert d.state.patience == before
    assert problem_known(d.state, t.persona)


def test_patience_runs_out_and_customer_hangs_up() -> None:
    t = Talk("chen-logistics")
    pitch = coaching(question="closed", flags=("premature_pitch", "closed_question"), pitch=True)
    decisions = []
    while not t.state.ended and len(decisions) < 10:
        decisions.append(t.say("我们的TMS特别好,要不要试试?", pitch))
    assert len(decisions) <= 3
    last = decisions[-1]
    assert last.act == "hang_up" and last.reason == "patience_exhausted"
    assert last.state.ended and last.state.patience == 0
    assert last.mood == "annoyed"
    assert t.ids() == []


def test_ended_customer_reveals_nothing_more() -> None:
    t = Talk("chen-logistics")
    while not t.state.ended:
        t.say("我们的TMS特别好!", coaching(question=None, pitch=True, flags=("too_long",)))
    ended = t.state
    d = t.say("关于排线,目前是怎么做的?", coaching("situation"))
    assert d.act == "hang_up" and d.reason == "ended" and d.facts == []
    assert d.state == ended


def test_monologue_earns_a_short_answer_and_costs_patience() -> None:
    t = Talk("morgan-saas")
    t.say("Hi Morgan, thanks for making the time.", coaching(question=None, language="en"))
    before = t.state.patience
    d = t.say(
        "Let me tell you all about us. " * 20,
        coaching(question=None, flags=("too_long",), language="en"),
    )
    assert d.act == "short_answer" and d.reason == "monologue"
    assert d.state.patience < before


def test_next_step_deferred_without_interest() -> None:
    t = Talk("liu-retail")
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    ask = coaching(
        question="closed", next_step=NextStepSignal(proposed=True, has_concrete_time=True)
    )
    # In discovery a known problem is not yet interest: a need-payoff must be revealed.
    d = t.say("明天下午3点,我们10分钟电话聊一下方便吗?", ask)
    assert d.act == "defer_next_step" and d.reason == "no_interest"
    assert not d.state.next_step_agreed


def test_next_step_accepted_once_a_need_payoff_is_revealed() -> None:
    t = Talk("liu-retail")
    t.say("生鲜损耗方面有什么困扰吗?", coaching("problem"))
    t.say("损耗对利润有什么影响?", coaching("implication"))
    t.say("如果订货能自动算,对您意味着什么?", coaching("need_payoff"))
    assert has_interest(t.state, t.persona, "discovery", RULES)
    ask = coaching(next_step=NextStepSignal(proposed=True, has_concrete_time=True))
    d = t.say("明天下午3点,我给您发案例,10分钟电话方便吗?", ask)
    assert d.act == "accept_next_step"
    assert d.state.next_step_agreed


def test_cold_call_next_step_needs_only_a_problem() -> None:
    t = Talk("karen-education", scenario="cold_call")
    opener = OpenerCheck(
        introduced_self=True,
        stated_purpose=True,
        named_pain=True,
        asked_for_time=True,
        within_30_seconds=True,
        estimated_seconds=15,
    )
    t.say(
        "Hi, I'm Sam from Fleetdesk...", coaching(question="closed", language="en", opener=opener)
    )
    t.say("What's the hardest part about device tracking?", coaching("problem", language="en"))
    ask = coaching(language="en", next_step=NextStepSignal(proposed=True, has_concrete_time=True))
    d = t.say("Could we talk Thursday at 10 for 15 minutes?", ask)
    assert d.act == "accept_next_step"


def test_next_step_without_a_time_asks_for_one() -> None:
    t = Talk("karen-education", scenario="cold_call")
    t.say("Hi, this is Sam.", coaching(question=None, language="en"))
    t.say("What's the hardest part about device tracking?", coaching("problem", language="en"))
    vague = coaching(language="en", next_step=NextStepSignal(proposed=True))
    d = t.say("Can we talk again sometime?", vague)
    assert d.act == "defer_next_step" and d.reason == "no_concrete_time"
    assert not d.state.next_step_agreed


def test_weak_cold_call_opener_costs_patience_and_gets_a_wary_greeting() -> None:
    weak = OpenerCheck(
        introduced_self=False,
        stated_purpose=False,
        named_pain=False,
        asked_for_time=False,
        within_30_seconds=True,
        estimated_seconds=4,
    )
    good = weak.model_copy(update={"introduced_self": True, "stated_purpose": True})
    t1, t2 = Talk("mark-packaging", "cold_call"), Talk("mark-packaging", "cold_call")
    d1 = t1.say("Hey, got a minute?", coaching(question="closed", language="en", opener=weak))
    d2 = t2.say("Hi, Sam from Linewise...", coaching(question="closed", language="en", opener=good))
    assert d1.act == d2.act == "greet"
    assert d1.reason == "weak_opener" and d2.reason is None
    assert d1.state.patience < d2.state.patience


def test_small_talk_beyond_the_limit_costs_patience() -> None:
    t = Talk("chen-logistics")
    t.say("陈总好!", coaching(question=None))
    first = t.say("最近天气不错啊。", coaching(question=None, small_talk=True))
    assert first.act == "small_talk" and first.reason is None
    before = t.state.patience
    extra = t.say("周末去哪玩了?", coaching(question=None, small_talk=True))
    assert extra.reason == "excess_small_talk"
    assert extra.state.patience < before


def test_acknowledgement_builds_rapport_and_trust() -> None:
    t = Talk("priya-finance")
    before = t.state
    d = t.say(
        "I understand, that sounds tough.",
        coaching(question=None, language="en", acknowledgement=True),
    )
    assert d.state.rapport == before.rapport + 1
    assert d.state.trust > before.trust


def test_decide_never_mutates_the_input_state() -> None:
    t = Talk("liu-retail")
    state = t.state
    snapshot = state.model_dump()
    decide(state, t.persona, read("门店情况如何?", coaching("situation")), "discovery", RULES)
    decide(state, t.persona, coaching(pitch=True, question=None), "discovery", RULES)
    assert state.model_dump() == snapshot


def test_state_round_trips_through_json() -> None:
    t = Talk("liu-retail")
    t.say("门店情况如何?", coaching("situation"))
    t.say("损耗方面有什么困扰吗?", coaching("problem"))
    restored = CustomerState.model_validate_json(t.state.model_dump_json())
    assert restored == t.state
    assert [f.id for f in revealed_facts(restored, t.persona)] == ["s1", "p1"]


def test_decision_is_the_same_for_the_same_input() -> None:
    a, b = Talk("zhao-hospital"), Talk("zhao-hospital")
    for t in (a, b):
        t.say("医院现在有多少套系统?", coaching("situation"))
    assert a.state == b.state


def test_missing_customer_rules_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError) as err:
        customer.load(tmp_path)
    assert err.value.file.endswith("customer.yaml")


def test_unknown_placeholder_in_a_line_is_rejected(tmp_path: Path) -> None:
    text = (PLAYBOOK / "customer.yaml").read_text(encoding="utf-8")
    (tmp_path / "customer.yaml").write_text(
        text.replace("你好,我是{name}。", "你好,我是{nmae}。", 1), encoding="utf-8"
    )
    with pytest.raises(PlaybookError) as err:
        customer.load(tmp_path)
    assert err.value.field.startswith("lines.zh.common.greet")
    assert "nmae" in err.value.problem


def test_bad_cost_value_names_the_field(tmp_path: Path) -> None:
    text = (PLAYBOOK / "customer.yaml").read_text(encoding="utf-8")
    (tmp_path / "customer.yaml").write_text(
        text.replace(
            "premature_pitch: {patience: 3, trust: 10}", "premature_pitch: {patience: -3}", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(PlaybookError) as err:
        customer.load(tmp_path)
    assert err.value.field == "personalities.busy.costs.premature_pitch.patience"
