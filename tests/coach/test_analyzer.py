"""Behaviour of the coach on single utterances: flags, signals, language, opener timing, tips."""

from __future__ import annotations

import pytest

from app.coach.analyzer import analyze, check_opener, detect_language, estimated_seconds
from app.coach.schemas import CoachContext, EarlierTurn, Revealed
from app.playbook.coaching import CoachRules


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("目前贵公司的流程是如何运作的?", "zh"),
        ("你们用的是SAP还是Oracle?", "zh"),
        ("How is your billing handled today?", "en"),
        ("Do you run 仓储 in-house or outsource the whole warehouse operation?", "en"),
        ("", "en"),
    ],
)
def test_language_is_detected_from_the_dominant_script(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_analyze_detects_language_when_not_given(rules: CoachRules) -> None:
    assert analyze("在现有流程中,哪些环节让您觉得效率较低?", rules).language == "zh"
    assert analyze("What's the toughest part of scheduling?", rules).language == "en"


def test_speaking_time_uses_the_playbook_rates(rules: CoachRules) -> None:
    # 20 Han characters at 4/s, 25 words at 2.5/s.
    assert estimated_seconds("一" * 20, rules) == 5.0
    assert estimated_seconds(" ".join(["word"] * 25), rules) == 10.0


def test_long_opener_fails_the_30_second_check(rules: CoachRules) -> None:
    short = "您好,我是云智科技的李明,很多物流企业高峰期排线慢,想和您交流2分钟,方便吗?"
    check = check_opener(short, rules, "zh")
    assert check.within_30_seconds and check.estimated_seconds < 30
    long = short + "我们公司成立于二零一五年,服务过很多客户," * 8
    check = check_opener(long, rules, "zh")
    assert not check.within_30_seconds and check.estimated_seconds > 30


def test_complete_english_opener_passes_all_checks(rules: CoachRules) -> None:
    text = (
        "Hi, this is Dana from Routewise. We help distributors cut missed delivery windows. "
        "Have you got two minutes?"
    )
    check = check_opener(text, rules, "en")
    assert check.model_dump(exclude={"estimated_seconds"}) == {
        "introduced_self": True,
        "stated_purpose": True,
        "named_pain": True,
        "asked_for_time": True,
        "within_30_seconds": True,
    }


def test_opener_is_filled_on_first_cold_call_turn_or_when_asked(rules: CoachRules) -> None:
    text = "Hi, this is Dana from Routewise. Have you got two minutes?"
    first = CoachContext(scenario="cold_call", rep_turn_index=0)
    later = CoachContext(scenario="cold_call", rep_turn_index=3)
    assert analyze(text, rules, context=first).opener is not None
    assert analyze(text, rules, context=later).opener is None
    assert analyze(text, rules, context=later, opener=True).opener is not None
    assert analyze(text, rules, context=CoachContext(scenario="discovery")).opener is None
    assert analyze(text, rules).opener is None


def test_weak_opener_gets_the_tip_for_its_first_missed_check(rules: CoachRules) -> None:
    coaching = analyze("Hi, do you have a minute?", rules, opener=True)
    assert coaching.opener is not None and not coaching.opener.introduced_self
    assert coaching.tip == rules.tips.opener["introduced_self"].en


def test_pitch_before_any_problem_is_premature(rules: CoachRules) -> None:
    text = "Our platform cuts reporting time by 60 percent and integrates with every ERP."
    early = analyze(text, rules, context=CoachContext(problem_known=False))
    assert "premature_pitch" in early.flags
    assert early.signals.pitch and not early.signals.value_point
    assert early.spin is None and early.question is None
    assert early.tip == rules.tips.flags["premature_pitch"].en
    # Once the customer has named a pain, a claim that answers it is a value point (SPIN.md).
    said = "Month-end reporting is a nightmare, two analysts lose a week on it every month."
    context = CoachContext.of(
        "discovery",
        [
            EarlierTurn(seq=1, speaker="rep", text="What slows your reporting down?"),
            EarlierTurn(seq=2, speaker="customer", text=said, revealed=[Revealed(kind="problem")]),
        ],
    )
    linked = "Our platform cuts month-end reporting time by 60 percent, so your two analysts get that week back."
    later = analyze(linked, rules, context=context)
    assert "premature_pitch" not in later.flags
    assert later.signals.value_point and not later.signals.pitch


def test_pitch_framed_as_need_payoff_is_not_a_pitch(rules: CoachRules) -> None:
    coaching = analyze("如果我们能帮您把发票处理时间缩短一半,这对财务团队意味着什么?", rules)
    assert coaching.spin == "need_payoff"
    assert not coaching.signals.pitch and "premature_pitch" not in coaching.flags


def test_closed_spin_question_is_flagged_but_a_time_request_is_not(rules: CoachRules) -> None:
    closed = analyze("Is your billing done in SAP?", rules)
    assert (closed.spin, closed.question) == ("situation", "closed")
    assert "closed_question" in closed.flags
    asking_time = analyze("您现在有三分钟时间吗?", rules)
    assert asking_time.spin is None and asking_time.question == "closed"
    assert "closed_question" not in asking_time.flags


def test_several_questions_in_one_turn_are_flagged(rules: CoachRules) -> None:
    coaching = analyze(
        "How many drivers do you have? And what's the hardest part of scheduling them?", rules
    )
    assert coaching.signals.question_count == 2
    assert "multiple_questions" in coaching.flags
    # The strongest SPIN type of the turn; the openness of its first question (SPIN.md).
    assert coaching.spin == "problem" and coaching.question == "closed"


def test_monologue_is_too_long_and_asks_nothing(rules: CoachRules) -> None:
    text = "We have worked with many companies in your space and we know the market well. " * 6
    coaching = analyze(text, rules)
    assert "too_long" in coaching.flags and "no_question" in coaching.flags
    zh = analyze("我们公司在这个行业做了很多年,积累了丰富的经验和大量的客户案例。" * 5, rules)
    assert "too_long" in zh.flags and "no_question" in zh.flags
    assert coaching.tip.isascii() and not zh.tip.isascii()


def test_thanks_and_acknowledgements_are_not_missing_a_question(rules: CoachRules) -> None:
    for text in ("Thanks so much for your time today.", "嗯,我理解,这确实挺麻烦的。"):
        coaching = analyze(text, rules)
        assert coaching.spin is None and "no_question" not in coaching.flags
    assert analyze("I see, that makes sense.", rules).signals.acknowledgement


def test_next_step_with_concrete_time_and_form(rules: CoachRules) -> None:
    coaching = analyze("您看明天下午3点,我给您打个10分钟电话,方便吗?", rules)
    step = coaching.signals.next_step
    assert step.proposed and step.has_concrete_time and step.form == "call"
    assert step.time_text == "明天下午3点"
    assert coaching.spin is None and "vague_next_step" not in coaching.flags


def test_vague_next_step_is_flagged(rules: CoachRules) -> None:
    coaching = analyze("Let's set up a meeting with your IT lead next week.", rules)
    step = coaching.signals.next_step
    assert step.proposed and not step.has_concrete_time and step.form == "meeting"
    assert "vague_next_step" in coaching.flags
    offer = analyze("Can I send you a case study from a hospital group like yours?", rules)
    assert offer.spin is None and offer.signals.next_step.form == "email_case_study"


def test_small_talk_question_is_not_spin(rules: CoachRules) -> None:
    for text in ("How was your holiday?", "周末去哪里玩了?"):
        coaching = analyze(text, rules)
        assert coaching.spin is None and coaching.signals.small_talk


def test_business_first_in_discovery_lacks_rapport(rules: CoachRules) -> None:
    context = CoachContext(scenario="discovery", rep_turn_index=0)
    blunt = analyze("What's the toughest part of scheduling your crews?", rules, context=context)
    assert "no_rapport" in blunt.flags
    warm = analyze("Good morning! How was the drive in?", rules, context=context)
    assert "no_rapport" not in warm.flags
    later = CoachContext(scenario="discovery", rep_turn_index=2)
    assert "no_rapport" not in analyze("What's hard about it?", rules, context=later).flags


def test_too_many_product_points_are_flagged(rules: CoachRules) -> None:
    text = (
        "Our platform cuts costs by 20 percent. Our dashboard updates in real time. "
        "We integrate with every ERP. Our app works offline."
    )
    assert "too_many_points" in analyze(text, rules, context=CoachContext(problem_known=True)).flags


def test_good_question_gets_the_next_move_tip_in_its_language(rules: CoachRules) -> None:
    coaching = analyze("这个问题持续存在的话,对您的成本控制有什么影响?", rules)
    assert coaching.spin == "implication" and coaching.flags == []
    assert coaching.tip == rules.tips.next_move["implication"].zh


def test_the_manuals_borderline_cases(rules: CoachRules) -> None:
    cases = {
        "那次停线一共损失了多少订单?": "implication",
        "是否遇到过问题导致的损失?": "problem",
        "If this stays unsolved, what happens to your margins?": "implication",
        "If you could cut that in half, what would it mean for your team?": "need_payoff",
        "Would a weekly forecast help you?": "need_payoff",
    }
    for text, spin in cases.items():
        assert analyze(text, rules).spin == spin, text
