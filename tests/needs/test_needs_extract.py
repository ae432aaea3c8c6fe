from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.coach.schemas import NextStepSignal
from app.needs.extract import build_needs_record
from app.needs.schemas import ITEM_FIELDS, NeedsRecord
from app.needs.support import support
from tests.needs.needs_dialogues import (
    CHEN,
    LIU,
    MAYA,
    Dialogue,
    chen_discovery_good,
    chen_pitch_first,
    liu_cold_call_good,
    maya_discovery_good,
    maya_pitch_first,
)

FIELD_OF = {
    "situation": "situation",
    "problem": "problems",
    "implication": "implications",
    "need_payoff": "need_payoffs",
}

CASES = [
    (chen_discovery_good, "discovery"),
    (chen_pitch_first, "discovery"),
    (maya_discovery_good, "discovery"),
    (maya_pitch_first, "discovery"),
    (liu_cold_call_good, "cold_call"),
    (maya_discovery_good, "cold_call"),
]


def record_of(d: Dialogue, scenario: str, rules) -> NeedsRecord:
    return build_needs_record("sess-1", d.persona, scenario, d.turns, rules, d.language)


@pytest.mark.parametrize(("make", "scenario"), CASES)
def test_every_revealed_fact_lands_in_its_field_and_nothing_else(make, scenario, needs_rules):
    d = make()
    record = record_of(d, scenario, needs_rules)
    customer = {t.seq: t for t in d.turns if t.speaker == "customer"}
    expected = sorted((FIELD_OF[f.kind], t.seq, f.text) for t in d.turns for f in t.revealed)
    got = sorted(
        (field, item.turn_seq, item.text) for field in ITEM_FIELDS for item in record.items(field)
    )
    # One item per revealed fact, in the right field, citing the customer turn that said it.
    assert [(f, s) for f, s, _ in got] == [(f, s) for f, s, _ in expected]
    for (_, seq, fact), (_, _, text) in zip(expected, got, strict=True):
        assert seq in customer
        assert text in customer[seq].text  # quoted from the turn, lead-in dropped
        assert support(fact, text) >= 0.9
    needs = sorted((n.turn_seq, n.text) for n in record.needs)
    assert needs == sorted((i.turn_seq, i.text) for i in record.need_payoffs)


def test_lead_in_is_dropped_from_quoted_items(needs_rules):
    record = record_of(chen_discovery_good(), "discovery", needs_rules)
    assert record.problems[0].text == "高峰期排一次线要3个小时,还经常排错。"
    assert record.situation[0].text == "我们有120辆车,5个调度员每天用Excel排线。"


def test_paraphrased_fact_is_quoted_from_the_customers_own_sentences(needs_rules):
    d = Dialogue(CHEN)
    d.rep("排线方面有哪些麻烦?", spin="problem", question="open")
    d.customer(
        "唉,说实话吧,旺季的时候排一次线得三个多小时。而且经常排错。您那边忙吗?",
        reveal=["p1"],
    )
    record = record_of(d, "discovery", needs_rules)
    assert record.problems[0].text == "旺季的时候排一次线得三个多小时。而且经常排错。"
    assert record.problems[0].turn_seq == 2


def test_paraphrased_english_fact_keeps_both_sentences_and_drops_the_aside(needs_rules):
    d = Dialogue(MAYA)
    d.rep("What's hard about answering tickets?", spin="problem", question="open")
    d.customer(
        "Honestly, our agents spend ages hunting for answers. There are three different wikis! "
        "Anyway, how is your week going?",
        reveal=["p1"],
    )
    record = record_of(d, "discovery", needs_rules)
    assert record.problems[0].text == (
        "our agents spend ages hunting for answers. There are three different wikis!"
    )


def test_customer_turns_without_revealed_facts_add_nothing(needs_rules):
    record = record_of(chen_pitch_first(), "discovery", needs_rules)
    texts = [i.text for f in ITEM_FIELDS for i in record.items(f)]
    assert texts == ["我们有120辆车,5个调度员每天用Excel排线。"]
    assert "没这个需要" not in " ".join(texts)
    assert record.needs == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        # 这个是关键 -> must; n2 has no cue, so the persona's priority (optional) stands.
        (chen_discovery_good, [(10, "must"), (16, "optional")]),
        # "critical" -> must; "nice to have" -> optional.
        (maya_discovery_good, [(10, "must"), (16, "optional")]),
        # 那必须的 before the quoted fact -> must.
        (liu_cold_call_good, [(10, "must")]),
    ],
)
def test_needs_are_prioritised_from_the_customers_words(make, expected, needs_rules):
    d = make()
    record = record_of(d, "discovery", needs_rules)
    assert [(n.turn_seq, n.priority) for n in record.needs] == expected


def test_customer_words_override_the_persona_priority_and_sort_needs(needs_rules):
    d = Dialogue(CHEN)
    d.rep("拼回程货对您有多大帮助?", spin="need_payoff", question="open")
    d.customer("我们很希望能自动拼回程货,每个月能省不少油费。", reveal=["n2"])
    d.rep("排线缩短到半小时呢?", spin="need_payoff", question="open")
    d.customer("要是半小时内能排完线,调度员就能去处理异常单了。", reveal=["n1"])
    d.rep("手机上看车辆位置呢?", spin="need_payoff", question="closed")
    d.customer("要是半小时内能排完线最好,不过这个不是必须的。", reveal=[])
    record = record_of(d, "discovery", needs_rules)
    # 希望 -> expected although the persona says optional; must (persona) sorts first.
    assert [(n.turn_seq, n.priority) for n in record.needs] == [(4, "must"), (2, "expected")]


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("这个不是必须的,有也行。", "optional"),
        ("这个必须解决。", "must"),
        ("最好能做到。", "expected"),
        ("It's not a must, more of a nice to have.", "optional"),
        ("We'd like that, ideally by spring.", "expected"),
        ("That is non-negotiable for us.", "must"),
        ("The keyboard shortcuts are fine.", None),
    ],
)
def test_priority_cues_read_both_languages(text, priority, needs_rules):
    from app.needs.extract import cue_priority

    assert cue_priority(text, needs_rules) == priority


def test_agreed_next_step_with_time_and_form(needs_rules):
    record = record_of(chen_discovery_good(), "discovery", needs_rules)
    step = record.next_step
    assert step is not None
    assert step.agreed is True
    assert step.turn_seq == 18 and step.proposed_turn_seq == 17
    assert step.time == "明天下午3点" and step.form == "视频会议"
    assert step.text == "好,明天下午3点可以,你把会议链接发我。"


def test_deferred_next_step_is_not_agreed(needs_rules):
    record = record_of(maya_pitch_first(), "discovery", needs_rules)
    assert record.next_step is not None
    assert record.next_step.agreed is False
    assert record.next_step.turn_seq == 8
    assert record.next_step.time is None


def test_a_later_deferral_does_not_undo_an_agreed_next_step(needs_rules):
    d = maya_discovery_good()
    d.rep(
        "And shall I also set up a call with your CTO next week?",
        next_step=NextStepSignal(proposed=True, form="call"),
        question="closed",
    )
    d.customer("Let's not go there yet.", act="defer_next_step")
    record = record_of(d, "discovery", needs_rules)
    assert record.next_step is not None and record.next_step.agreed
    assert record.next_step.turn_seq == 18


def test_no_proposal_means_no_next_step(needs_rules):
    d = Dialogue(MAYA)
    d.rep("How is your team set up?", spin="situation", question="open")
    d.customer(reveal=["s1"])
    assert record_of(d, "discovery", needs_rules).next_step is None


def test_crm_tags_separate_a_rich_call_from_a_pitch(needs_rules):
    good = record_of(chen_discovery_good(), "discovery", needs_rules).tags
    poor = record_of(chen_pitch_first(), "discovery", needs_rules).tags
    assert (good.potential_level, good.follow_up_priority) == ("high", "high")
    assert (poor.potential_level, poor.follow_up_priority) == ("low", "low")
    assert {"efficiency", "cost", "quality"} <= set(good.need_types)
    # Types come from the customer's words only: the pitch's "智能报表" tags nothing.
    assert poor.need_types == []


def test_first_contact_record_for_cold_calls(needs_rules):
    d = liu_cold_call_good()
    record = build_needs_record(
        "sess-1",
        LIU,
        "cold_call",
        d.turns,
        needs_rules,
        "zh",
        contacted_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    fc = record.first_contact
    assert fc is not None
    assert fc.time == "2026-03-02T09:30:00+00:00"
    assert fc.interest == "interested"
    assert [i.turn_seq for i in fc.customer_feedback] == [2, 14]
    assert [i.turn_seq for i in fc.need_points] == [6, 10]
    assert "明天下午3点" in fc.next_action and "电话沟通" in fc.next_action


def test_discovery_sessions_have_no_first_contact_record(needs_rules):
    assert record_of(chen_discovery_good(), "discovery", needs_rules).first_contact is None


def test_first_contact_after_a_hang_up_is_not_interested(needs_rules):
    d = Dialogue(MAYA)
    d.rep("Hi Maya, we sell the best AI knowledge base, want to buy it?", pitch=True)
    d.customer("Not interested. Bye.", act="hang_up")
    record = record_of(d, "cold_call", needs_rules)
    assert record.first_contact is not None
    assert record.first_contact.interest == "not_interested"
    assert record.first_contact.next_action.startswith("No next step")
    assert record.tags.potential_level == "low"


def test_unannotated_transcript_falls_back_to_persona_facts_and_spin_type(needs_rules):
    d = Dialogue(MAYA)
    d.rep("How is the team set up?", spin="situation", question="open")
    d.customer("We have 40 agents answering about 3,000 tickets a week in Zendesk, roughly.")
    d.rep("What slows the agents down?", spin="problem", question="open")
    d.customer("Mostly the search tool, it times out.")
    d.rep("Nice weather today.", small_talk=True)
    d.customer("Sure is.", act="small_talk")
    record = record_of(d, "discovery", needs_rules)
    assert [(i.text, i.turn_seq) for i in record.situation] == [
        ("We have 40 agents answering about 3,000 tickets a week in Zendesk", 2)
    ]
    # No persona fact matches, so the problem question's SPIN type places the answer.
    assert [(i.text, i.turn_seq) for i in record.problems] == [
        ("Mostly the search tool, it times out.", 4)
    ]
    assert record.implications == [] and record.need_payoffs == []


@pytest.mark.parametrize("with_acts", [True, False])
def test_evasions_and_deflections_never_become_items(needs_rules, with_acts):
    # A transcript that carries no revealed facts (imported, or a customer who said nothing):
    # the SPIN type of the question would place any answer, so hedges must be kept out.
    from app.playbook.loader import load_playbook
    from tests.needs.conftest import PLAYBOOK

    rules = load_playbook(PLAYBOOK).needs  # with the customer's own lines as evasions
    d = Dialogue(CHEN)
    answers = [
        ("你们现在排线最头疼的是什么?", "problem", "看情况吧。", "short_answer"),
        ("这对客户那边有什么影响?", "implication", "嗯,算是吧。", "short_answer"),
        ("车辆现在怎么跟踪?", "situation", "这个我手头没有数,得查一下。", "deflect"),
        ("对账那块有什么麻烦?", "problem", "这个对我们来说不是什么问题。", "deflect"),
        ("那司机那边呢?", "problem", "司机经常打电话问路线,调度员接电话接不过来。", "reveal"),
    ]
    for question, spin, answer, act in answers:
        d.rep(question, spin=spin, question="open")
        d.customer(answer, act=act if with_acts else None)
    record = record_of(d, "discovery", rules)
    items = [i for f in ITEM_FIELDS for i in record.items(f)]
    assert [(i.text, i.turn_seq) for i in items] == [
        ("司机经常打电话问路线,调度员接电话接不过来。", 10)
    ]
    # The playbook's hedge list alone keeps the hedges out, whoever phrased them.
    d = Dialogue(MAYA)
    d.rep("What slows the agents down?", spin="problem", question="open")
    d.customer("It depends.")
    d.rep("And what does that cost you?", spin="implication", question="open")
    d.customer("Maybe. Hard to say.")
    record = record_of(d, "discovery", needs_rules)
    assert [i for f in ITEM_FIELDS for i in record.items(f)] == []
