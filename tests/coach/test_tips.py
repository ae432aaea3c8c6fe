"""The next best move: tips built from the reading and the conversation so far."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import pytest
import yaml

from app.coach import tips
from app.coach.analyzer import analyze
from app.coach.schemas import Coaching, NextStepSignal, OpenerCheck, Signals
from app.playbook import moves
from app.playbook.errors import PlaybookError
from app.playbook.loader import Playbook, load_playbook
from app.roleplay.transcript import RevealedFact, TranscriptTurn

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK: Playbook = load_playbook(ROOT / "playbook")


def rep(seq: int, text: str = "...", **reading: object) -> TranscriptTurn:
    return TranscriptTurn(seq=seq, speaker="rep", text=text, coaching=reading_of(**reading))


def customer(seq: int, text: str, *facts: RevealedFact, act: str = "reveal") -> TranscriptTurn:
    return TranscriptTurn(seq=seq, speaker="customer", text=text, revealed=list(facts), act=act)


def reading_of(language: str = "zh", **fields: object) -> Coaching:
    signals = fields.pop("signals", Signals())
    return Coaching.model_validate({"language": language, "signals": signals, **fields})


def fact(persona_id: str, fact_id: str) -> RevealedFact:
    persona = PLAYBOOK.personas[persona_id]
    for p in persona.problems:
        for f in [p, *p.implications, *p.need_payoffs]:
            if f.id == fact_id:
                kind = persona.fact_kind(f.id)
                assert kind is not None
                return RevealedFact(kind=kind, id=f.id, text=f.text, problem_id=p.id)
    s = next(f for f in persona.situation if f.id == fact_id)
    return RevealedFact(kind="situation", id=s.id, text=s.text)


def chen_after_problem() -> list[TranscriptTurn]:
    p1 = fact("chen-logistics", "p1")
    return [
        rep(1, "咱们现在排线是怎么做的?", spin="situation", question="open"),
        customer(2, "这个嘛," + fact("chen-logistics", "s1").text, fact("chen-logistics", "s1")),
        rep(3, "排线这块最头疼的是什么?", spin="problem", question="open"),
        customer(4, "说实话," + p1.text, p1),
    ]


def move(reading: Coaching, history: list[TranscriptTurn], persona: str = "chen-logistics",
         scenario: str = "discovery") -> tips.Tip:  # fmt: skip
    return tips.next_best_move(
        reading,
        history,
        PLAYBOOK.personas[persona],
        scenario,
        PLAYBOOK,  # type: ignore[arg-type]
    )


def test_open_problem_is_quoted_with_its_turn_and_an_implication_question_follows() -> None:
    tip = move(reading_of(signals=Signals(acknowledgement=True)), chen_after_problem())
    assert tip.kind == "explore_open_problem"
    assert "“高峰期排一次线要3个小时" in tip.text and "(#4)" in tip.text
    assert tip.cites == (4,)
    # The model question is an implication question about an area of the logistics industry.
    assert any(area in tip.text for area in ("客户投诉", "准时交付", "司机加班成本"))


QUOTED = re.compile(r'[“"]([^“”"]+)[”"] ?\(#(\d+)\)')


def quotes(text: str) -> list[tuple[str, int]]:
    return [(q.rstrip("…"), int(seq)) for q, seq in QUOTED.findall(text)]


def test_quotes_only_words_the_customer_said_in_the_turn_it_cites() -> None:
    history = chen_after_problem()
    said = {t.seq: t.text for t in history if t.speaker == "customer"}
    for reading in (
        reading_of(spin="implication", question="open"),
        reading_of(spin="problem", question="closed", flags=["closed_question"]),
        reading_of(flags=["no_question"]),
        reading_of(flags=["premature_pitch"], signals=Signals(pitch=True)),
    ):
        tip = move(reading, history)
        found = quotes(tip.text)
        assert found, tip.text
        for quote, seq in found:
            assert seq in tip.cites
            assert quote in said[seq], (quote, said[seq])


def test_english_tip_names_the_customer_and_quotes_in_english() -> None:
    p1 = fact("morgan-saas", "p1")
    history = [
        rep(1, "What's hardest about renewals?", language="en", spin="problem", question="open"),
        customer(2, "Honestly? " + p1.text, p1),
    ]
    tip = move(reading_of("en", spin="implication", question="open"), history, "morgan-saas")
    assert tip.text.startswith("Right move to ask about impact. Morgan's problem \"We usually find")
    assert "(#2)" in tip.text and "陈" not in tip.text


def test_opener_pain_comes_from_the_personas_industry() -> None:
    opener = OpenerCheck(
        introduced_self=True,
        stated_purpose=True,
        named_pain=False,
        asked_for_time=True,
        within_30_seconds=True,
        estimated_seconds=9.0,
    )
    plant = move(reading_of(opener=opener), [], "wang-manufacturing", "cold_call")
    assert plant.kind == "opener_named_pain"
    assert "汽车零部件制造" in plant.text and "设备突然停机" in plant.text
    assert "排线" not in plant.text  # not the logistics example
    # Of the retail pains, the one closest to what the rep sells (fresh-food ordering, waste).
    shop = move(reading_of(opener=opener), [], "liu-retail", "cold_call")
    assert "零售" in shop.text and "生鲜损耗" in shop.text
    # A hospital selling an integration platform: an interface pain, not a waiting-room one.
    hospital = move(reading_of(opener=opener), [], "zhao-hospital", "cold_call")
    assert (
        "接口" in hospital.text and "排队" not in hospital.text and "医疗企业" not in hospital.text
    )
    en = move(reading_of("en", opener=opener), [], "mark-packaging", "cold_call")
    assert "packaging manufacturing" in en.text and "downtime" in en.text


def test_goodbye_asks_nothing_and_says_whether_a_step_was_agreed() -> None:
    history = [
        *chen_after_problem(),
        rep(
            5,
            "周二上午10点演示可以吗?",
            signals=Signals(
                next_step=NextStepSignal(
                    proposed=True, has_concrete_time=True, time_text="周二上午10点"
                )
            ),
        ),  # fmt: skip
        customer(6, "可以。", act="accept_next_step"),
    ]
    bye = reading_of(signals=Signals(goodbye=True))
    agreed = move(bye, history)
    assert agreed.kind in ("wrap_up", "wrap_up_agreed") and "(#6)" in agreed.text
    assert "ask_question" not in agreed.says
    missing = move(bye, chen_after_problem())
    assert missing.kind == "wrap_up_no_step" and "ask_question" not in missing.says


def test_next_step_before_interest_is_earned_first_and_a_timed_one_is_not_reproposed() -> None:
    step = Signals(
        next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="明天")
    )
    early = move(reading_of(signals=step), chen_after_problem())
    assert early.kind == "earn_next_step" and "propose_next_step" not in early.says
    need = fact("chen-logistics", "n1")
    imp = fact("chen-logistics", "i1")
    history = [*chen_after_problem(), rep(5), customer(6, imp.text, imp), rep(7),
               customer(8, need.text, need)]  # fmt: skip
    timed = move(reading_of(signals=step), history)
    assert timed.kind == "next_step_set" and "明天" in timed.text
    # A summary after the time was proposed and not put off does not ask for another step.
    history += [rep(9, signals=step), customer(10, "好的。", act="accept_next_step")]
    after = move(reading_of(signals=Signals(summary=True)), history)
    assert "propose_next_step" not in after.says


def test_reopen_only_for_closed_questions_and_hold_pitch_only_for_pitches() -> None:
    closed = move(
        reading_of(spin="problem", question="closed", flags=["closed_question"]),
        chen_after_problem()[:2],
    )
    assert closed.kind == "reopen"
    opened = move(reading_of(spin="problem", question="open"), chen_after_problem()[:2])
    assert "ask_openly" not in opened.says
    pitch = move(
        reading_of(flags=["premature_pitch"], signals=Signals(pitch=True)),
        chen_after_problem()[:2],
    )
    assert pitch.kind == "hold_pitch" and "(#2)" in pitch.text


def test_a_tip_missing_from_the_playbook_is_reported_with_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "coach"
    folder.mkdir()
    data = yaml.safe_load((ROOT / "playbook" / moves.FILE).read_text(encoding="utf-8"))
    del data["tips"]["reopen"]
    (folder / "moves.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(PlaybookError) as err:
        moves.load(tmp_path)
    assert "moves.yaml" in str(err.value) and "tips.reopen" in str(err.value)
    data = yaml.safe_load((ROOT / "playbook" / moves.FILE).read_text(encoding="utf-8"))
    data["tips"]["reopen"]["zh"] = "比如“{questoin}”"
    (folder / "moves.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(PlaybookError, match="questoin"):
        moves.load(tmp_path)


# What each model-question list must be read as by the coach itself (None: not checked).
MODEL_QUESTIONS: dict[str, tuple[str | None, str | None]] = {
    "situation": ("situation", "open"),
    "problem": ("problem", "open"),
    "problem_on_fact": ("problem", "open"),
    "implication": ("implication", "open"),
    "need_payoff": ("need_payoff", "open"),
    "priority": (None, "open"),
    "value_check": (None, "open"),
    "value_check_on_fact": (None, "open"),
}


def test_model_questions_are_read_by_the_coach_as_what_they_model() -> None:
    rules = PLAYBOOK.moves
    wrong: list[str] = []
    for kind, phrases in rules.questions.items():
        expected = MODEL_QUESTIONS.get(kind)
        if expected is None:
            continue
        for language in ("zh", "en"):
            for template in getattr(phrases, language):
                for terms in [*rules.industries, rules.default]:
                    processes = getattr(terms.processes, language)
                    for area, process in product(getattr(terms.areas, language), processes):
                        subject = "排线" if language == "zh" else "downtime"
                        text = template.format(
                            area=area, process=process, quote="...", subject=subject, topic=""
                        )
                        reading = analyze(text, PLAYBOOK.coach, language=language)
                        got = (reading.spin, reading.question)
                        if got != expected and (expected[0] or got[1] != expected[1]):
                            wrong.append(f"{kind}: {text} -> {got}")
    assert not wrong, wrong


# A closed question of each reopen form, and what its open version must be read as.
REOPENED = [
    ("zh", "problem", "你们库存有问题吗?", "库存这块,现在最让您头疼的是什么?"),
    ("zh", "problem", "高峰期排线是不是经常出问题?", "高峰期排线这块,现在最让您头疼的是什么?"),
    ("zh", "problem", "对接这块有没有什么难处?", "对接这块,现在最让您头疼的是什么?"),
    ("zh", "problem", "损耗高是不是因为店长订货不准?", "您觉得损耗高主要是什么原因造成的?"),
    ("zh", "implication", "那排错线有没有让您赔过钱?", "排错线给你们带来过哪些损失?"),
    # What it caused is asked about as a consequence, whatever the reading's SPIN type.
    ("zh", "situation", "那排错线有没有让您赔过钱?", "排错线给你们带来过哪些损失?"),
    ("en", "problem", "Is downtime an issue?", "Where does downtime cause you the most trouble?"),
    ("en", "implication", "Is churn a problem for you?", "What has churn cost you so far?"),
    (
        "en",
        "problem",
        "Are you happy with how you track account health?",
        "What would you change about how you track account health?",
    ),
]


@pytest.mark.parametrize(("language", "spin", "closed", "opened"), REOPENED)
def test_a_closed_question_is_shown_asked_openly_about_the_same_subject(
    language: str, spin: str, closed: str, opened: str
) -> None:
    persona = "chen-logistics" if language == "zh" else "morgan-saas"
    problem, setup = fact(persona, "p1"), fact(persona, "s2")
    # An implication question comes once a problem is on the table; the customer's last turn
    # is not that problem (asked right after it, "是不是经常出问题?" asks it again).
    history = [
        rep(1, spin="problem", question="open"),
        customer(2, problem.text, problem),
        rep(3, spin="situation", question="open"),
        customer(4, setup.text, setup),
    ]
    reading = reading_of(language, spin=spin, question="closed", flags=["closed_question"])
    tip = tips.next_best_move(
        reading, history, PLAYBOOK.personas[persona], "discovery", PLAYBOOK, rep_text=closed
    )
    assert tip.kind == "reopen_this" and "ask_openly" in tip.says
    assert opened in tip.text
    # The coach itself reads the open version as an open question.
    assert analyze(opened, PLAYBOOK.coach, language=language).question == "open"  # type: ignore[arg-type]


def test_a_closed_question_no_form_fits_gets_a_model_question_instead() -> None:
    reading = reading_of(spin="situation", question="closed", flags=["closed_question"])
    assert tips.open_version("您现在用的是Excel排线吗?", "situation", PLAYBOOK.moves, "zh") is None
    tip = tips.next_best_move(
        reading,
        [],
        PLAYBOOK.personas["chen-logistics"],
        "discovery",
        PLAYBOOK,
        rep_text="您现在用的是Excel排线吗?",
    )
    assert tip.kind == "reopen"


def test_every_tip_that_asks_for_a_question_shows_one() -> None:
    # A template cut short (a YAML comment after " #") loses its model question.
    cut: list[str] = []
    for kind, m in PLAYBOOK.moves.tips.items():
        if not {"ask_question", "ask_openly"} & set(m.says):
            continue
        for form in [m, *([m.quoted] if m.quoted else [])]:
            cut += [f"{kind}.{lang}" for lang in ("zh", "en") if "{question}" not in form[lang]]
    assert not cut


def test_several_questions_keep_the_reps_own_question_the_conversation_needs() -> None:
    reading = reading_of(
        spin="situation", question="open", flags=["multiple_questions"],
        signals=Signals(question_count=3),
    )  # fmt: skip
    tip = tips.next_best_move(
        reading,
        [],
        PLAYBOOK.personas["liu-retail"],
        "cold_call",
        PLAYBOOK,
        rep_text="你们现在是怎么订货的?有没有遇到断货的问题?会员复购怎么样?",
    )
    assert tip.kind == "one_question_kept"
    # Nothing is known yet: keep the open situation question, in the rep's own words.
    assert "“你们现在是怎么订货的?”" in tip.text


def test_a_recap_of_problems_the_customer_never_named_is_not_praised() -> None:
    history = chen_after_problem()[:2]  # a situation fact, no problem yet
    tip = move(reading_of(question="closed", signals=Signals(summary=True)), history)
    assert tip.kind == "unfounded_summary"
    assert "还没说过" in tip.text and "(#2)" in tip.text


def test_a_pitch_while_a_problem_is_open_names_that_problem_to_ask_about_first() -> None:
    tip = move(reading_of(signals=Signals(pitch=True)), chen_after_problem())
    assert tip.kind == "tie_to_pain" and "hold_pitch" in tip.says
    assert "“高峰期排一次线要3个小时" in tip.text and "(#4)" in tip.text


def test_the_next_step_question_names_what_the_customer_called_the_problem() -> None:
    problem = fact("mark-packaging", "p1")
    history = [
        rep(1, spin="problem", question="open", language="en"),
        customer(2, "What eats my time: " + problem.text, problem),
    ]
    step = Signals(next_step=NextStepSignal(proposed=True, has_concrete_time=False))
    tip = move(reading_of("en", signals=step), history, "mark-packaging")
    assert tip.kind in {"concrete_time", "earn_next_step"}
    if tip.kind == "concrete_time":
        assert "the downtime" in tip.text or "the unplanned downtime" in tip.text
    # Whatever the kind, the model question is not the stock one.
    assert "tackle that?" not in tip.text


def test_a_customer_who_did_not_catch_who_called_hears_it_before_small_talk() -> None:
    weak = OpenerCheck(
        introduced_self=False,
        stated_purpose=False,
        named_pain=False,
        asked_for_time=True,
        within_30_seconds=True,
        estimated_seconds=4.0,
    )
    history = [
        rep(1, "刘总好!您爱喝奶茶吗?给我两分钟?", opener=weak, question="closed"),
        customer(2, "你是做什么的?我没太听明白。", act="greet"),
    ]
    small_talk = reading_of(question="open", signals=Signals(small_talk=True))
    tip = move(small_talk, history, "liu-retail", "cold_call")
    assert tip.kind == "clear_up_purpose" and tip.cites == (2,)
    assert "“你是做什么的?我没太听明白”(#2)" in tip.text and "连锁零售企业" in tip.text
    # Saying what you do, or asking about a problem, moves on: the usual tips follow.
    asked = reading_of(spin="problem", question="open")
    assert move(asked, history, "liu-retail", "cold_call").kind != "clear_up_purpose"
    explained = reading_of(signals=Signals(value_point=True))
    assert move(explained, history, "liu-retail", "cold_call").kind != "clear_up_purpose"


def test_a_recap_once_there_is_interest_names_the_customers_words_to_play_back() -> None:
    p1, i1 = fact("chen-logistics", "p1"), fact("chen-logistics", "i1")
    history = [
        *chen_after_problem(),
        rep(5, "排错线对客户有什么影响?", spin="implication", question="open"),
        customer(6, i1.text, i1),
    ]
    tip = move(reading_of(question="closed", signals=Signals(summary=True)), history)
    if tip.kind == "after_summary":
        assert "(#6)" in tip.text and "上个季度因为送错货" in tip.text
    else:  # the discovery meeting wants more than an implication before the next step
        assert tip.kind == "after_summary_early"
    assert p1.text[:6] in "".join(t.text for t in history)


def test_a_good_question_on_a_cold_call_is_answered_before_the_follow_up_is_booked() -> None:
    p1, i1 = fact("chen-logistics", "p1"), fact("chen-logistics", "i1")
    history = [
        *chen_after_problem(),
        rep(5, "排错线对客户有什么影响?", spin="implication", question="open"),
        customer(6, i1.text, i1),
    ]
    asked = move(reading_of(spin="need_payoff", question="open"), history, scenario="cold_call")
    said = move(reading_of(signals=Signals(acknowledgement=True)), history, scenario="cold_call")
    assert asked.kind == "cold_call_next_step_after_answer" and "回答完" in asked.text
    # No value asked or stated yet: the round-7 reviewer wanted the need-payoff before any
    # booking (需求试探 -> 价值传递 -> 后续邀约), so the cost is developed first.
    assert said.kind == "develop_implication" and "价值" in said.text
    assert "(#4)" in asked.text and p1.text[:8] in asked.text


def test_a_countered_time_is_not_a_settled_step_the_tip_says_take_or_answer_the_slot() -> None:
    from app.roleplay.transcript import StepOffer

    step = Signals(
        next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="周四上午10点")
    )
    history = [
        *chen_after_problem(),
        rep(5, "周四上午10点演示可以吗?", signals=step),
        TranscriptTurn(
            seq=6,
            speaker="customer",
            text="那天排满了,下周一上午十点吧。",
            act="counter_next_step",
            next_step=StepOffer(time="下周一上午十点", form="演示", proposed_seq=5),
        ),
    ]
    # Another question leaves the slot hanging: take it or answer it.
    asked = move(reading_of(spin="situation", question="open"), history)
    assert asked.kind == "take_counter" and "下周一上午十点" in asked.text and "#6" in asked.text
    # A yes takes it: the step is set at the customer's time.
    yes = move(reading_of(signals=Signals(acknowledgement=True)), history)
    assert yes.kind == "next_step_set" and "下周一上午十点" in yes.text
    # A goodbye takes it too: the call closes with the step agreed at the counter.
    bye = move(reading_of(signals=Signals(goodbye=True)), history)
    assert bye.kind in ("wrap_up", "wrap_up_agreed") and "(#6)" in bye.text


def test_a_question_the_customer_just_asked_is_answered_before_the_next_one() -> None:
    history = [
        rep(1, "Do you track health scores?", spin="situation", question="closed", language="en"),
        customer(2, "Sure. Which problem? I don't think I mentioned one.", act="deflect"),
    ]
    dodged = reading_of("en", spin="situation", question="open")
    tip = move(dodged, history, "morgan-saas", "cold_call")
    assert tip.kind == "answer_question" and tip.cites == (2,)
    assert tip.text.startswith(
        'Morgan said "Sure. Which problem? I don\'t think I mentioned one" (#2)'
    )
    assert "Answer in one line first, then ask:" in tip.text
    # A reply that explains (a value, a pitch) answers it: the usual tips follow.
    explained = reading_of("en", signals=Signals(value_point=True))
    assert move(explained, history, "morgan-saas", "cold_call").kind != "answer_question"
    # A reveal's "Honestly?" asks the rep nothing.
    s1 = fact("morgan-saas", "s1")
    revealed = [history[0], customer(2, "Honestly? " + s1.text, s1)]
    assert move(dodged, revealed, "morgan-saas", "cold_call").kind != "answer_question"


def test_who_is_calling_is_said_first_in_chinese_whatever_the_act() -> None:
    history = [
        rep(1, "王总,你们设备多吗?", spin="situation", question="closed"),
        customer(2, "你到底想说什么?我很忙。", act="puzzled"),
    ]
    tip = move(reading_of(spin="problem", question="open"), history, "wang-manufacturing")
    assert tip.kind == "answer_who" and tip.cites == (2,)
    assert tip.text.startswith("王建国刚说“你到底想说什么”(#2),这轮没有回答。先一句话说清你是谁")


def test_an_objection_is_acknowledged_and_probed_in_its_own_words() -> None:
    history = [
        rep(1, "您现在设备维护怎么做?", spin="situation", question="open"),
        customer(2, "我们厂的情况特殊,外面的软件都是通用的,用不上。", act="object"),
    ]
    asked = reading_of(spin="problem", question="open")
    tip = move(asked, history, "wang-manufacturing")
    assert tip.kind == "answer_objection" and tip.cites == (2,)
    said = "我们厂的情况特殊,外面的软件都是通用的"
    assert f"“{said}”(#2)" in tip.text and f"‘{said}’" in tip.text
    # Acknowledging it is the answer an objection needs.
    heard = reading_of(spin="problem", question="open", signals=Signals(acknowledgement=True))
    assert move(heard, history, "wang-manufacturing").kind != "answer_objection"
    en = [
        rep(
            1, "How do you schedule maintenance?", spin="situation", question="open", language="en"
        ),
        customer(2, "We've already got a maintenance system that nobody uses.", act="reveal"),
    ]
    tip = move(reading_of("en", spin="situation", question="open"), en, "mark-packaging")
    assert tip.kind == "answer_objection"
    said = "We've already got a maintenance system that nobody uses"
    assert tip.text.startswith(f'Mark said "{said}" (#2)') and f"'we{said[2:]}'," in tip.text


# --- issue #11, third pass: every model question builds on the customer's own words ----------


def test_the_implication_question_says_the_customers_problem_back_in_their_words() -> None:
    tip = move(reading_of(signals=Signals(acknowledgement=True)), chen_after_problem())
    model = tip.text.split("比如“", 1)[1]
    # One clean clause of what they said (no lead-in, no cut-off), then the consequence.
    assert model.startswith("您刚才说‘高峰期排一次线要3个小时")
    assert "…" not in model and "说实话" not in model
    p1 = fact("mark-packaging", "p1")
    history = [
        rep(1, "What breaks down most?", language="en", spin="problem", question="open"),
        customer(2, "Honestly? " + p1.text, p1),
    ]
    en = move(reading_of("en", signals=Signals(acknowledgement=True)), history, "mark-packaging")
    assert en.kind == "explore_open_problem"
    assert "'unplanned downtime on the converting lines is eating us alive'" in en.text


def test_a_fragment_is_whole_clauses_that_fit_or_nothing() -> None:
    said = "按我们的营业额算,损耗每高一个点,一年就少赚一千多万"
    assert tips.fragment(said, "zh", limit=26) == said
    # Said back in a question, a clause or two: not the whole sentence.
    assert tips.fragment(said, "zh") == "按我们的营业额算,损耗每高一个点"
    assert tips.fragment("Broken and lost laptops pile up, and nobody knows where", "en") == (
        "broken and lost laptops pile up, and nobody knows where"
    )
    long = "We usually find out an account is unhappy only when they tell us they are leaving"
    assert tips.fragment(long, "en") is None
    # A quote cut short ("…") is not said back.
    assert (
        tips.fragment("We usually find out an account is unhappy only when they tell…", "en")
        is None
    )
    assert tips.fragment("I run it", "en") == "I run it"


def test_who_is_calling_stays_first_until_answered() -> None:
    history = [
        rep(1, "刘总好!您爱喝奶茶吗?", language="zh"),
        customer(2, "你是做什么的?我没太听明白。", act="puzzled"),
        rep(3, "您周末去哪儿逛街?", signals=Signals(small_talk=True)),
        customer(4, "也就那样。", act="small_talk"),
    ]
    meta = reading_of(question="closed", signals=Signals(meta=True))
    tip = move(meta, history, "liu-retail")
    assert tip.kind == "answer_who_still" and tip.cites == (2,)
    assert tip.text.startswith("刘芳在#2问过“你是做什么的”,到现在还没得到回答")
    # Once the rep has said what they do, it is answered.
    pitched = [*history, rep(5, "我们做门店补货系统。", signals=Signals(pitch=True))]
    pitched.append(customer(6, "嗯。", act="short_answer"))
    assert move(meta, pitched, "liu-retail").kind != "answer_who_still"
    # A fact the customer told since does not answer it (both round-5 blind reviewers still
    # wanted "who are you?" answered, turns after the customer had answered a question).
    s1 = fact("liu-retail", "s1")
    told = [*history, rep(5, "门店怎么订货?", spin="situation", question="open")]
    told.append(customer(6, s1.text, s1))
    assert move(meta, told, "liu-retail").kind == "answer_who_still"
    # After an opener that said who calls and the pain it is about, the busy customer's "what is
    # this about?" is closed once they tell the rep something of their business.
    full = OpenerCheck(
        introduced_self=True,
        stated_purpose=False,
        named_pain=True,
        asked_for_time=False,
        within_30_seconds=True,
        estimated_seconds=8.0,
    )
    opened = [rep(1, "刘总您好,我是云帆的小李,帮社区店降生鲜损耗。", opener=full), *history[1:]]
    assert move(meta, opened, "liu-retail").kind == "answer_who_still"
    opened_told = [*opened, *told[4:]]
    assert move(meta, opened_told, "liu-retail").kind != "answer_who_still"


def test_a_discovery_meeting_opens_on_the_customer_not_the_product() -> None:
    first = move(reading_of(), [], "liu-retail")
    assert first.kind == "open_meeting" and "ask_question" in first.says
    assert "确认时间" in first.text
    en = move(reading_of("en", signals=Signals(small_talk=True)), [], "priya-finance")
    assert en.kind == "open_meeting" and "a time check" in en.text
    # A friendly first line with a time check is not praised as rapport, nor faulted.
    asked = move(reading_of("en", question="closed", signals=Signals(small_talk=True)), [],
                 "priya-finance")  # fmt: skip
    assert asked.kind == "meeting_start" and not asked.text.startswith("Good rapport")


def test_the_goodbye_after_a_yes_quotes_the_yes_and_names_the_pain_for_the_agenda() -> None:
    history = [
        *chen_after_problem(),
        rep(
            5,
            "周二上午10点可以吗?",
            signals=Signals(
                next_step=NextStepSignal(
                    proposed=True, has_concrete_time=True, time_text="周二上午10点"
                )
            ),
        ),  # fmt: skip
        customer(6, "可以,那个时间我有空,你发个会议邀请吧。", act="accept_next_step"),
    ]
    tip = move(reading_of(signals=Signals(goodbye=True)), history)
    assert tip.kind == "wrap_up_agreed" and tip.cites == (6,)
    assert "“可以,那个时间我有空,你发个会议邀请吧”(#6)" in tip.text
    assert "议程写明围绕" in tip.text and "ask_question" not in tip.says


def test_a_repeat_of_a_question_that_got_nothing_says_what_came_back_and_asks_another_way() -> None:
    history = [
        rep(
            1,
            "Do you have problems with devices?",
            language="en",
            spin="problem",
            question="closed",
        ),  # fmt: skip
        customer(2, "Hard to tell.", act="short_answer"),
    ]
    again = reading_of("en", spin="problem", question="closed", signals=Signals(repeat_of=1))
    tip = tips.next_best_move(again, history, PLAYBOOK.personas["karen-education"], "discovery",
                              PLAYBOOK, rep_text="Do you have problems with devices?")  # fmt: skip
    assert tip.kind == "no_repeat_unanswered" and tip.cites == (2,)
    assert 'Karen only said "Hard to tell" (#2)' in tip.text
    assert '"What gets in the way with devices?"' in tip.text


def test_a_kept_question_that_steps_back_from_the_open_thread_gives_way_to_the_thread() -> None:
    text = "那另一头积压下来的库存,最后一般怎么处理?对毛利和现金流影响有多大?"
    p1 = fact("liu-retail", "p1")
    history = [
        rep(1, "补货哪里最不满意?", spin="problem", question="open"),
        customer(2, p1.text, p1),
    ]
    reading = reading_of(spin="implication", question="open", flags=["multiple_questions"],
                         signals=Signals(question_count=2))  # fmt: skip
    tip = tips.next_best_move(reading, history, PLAYBOOK.personas["liu-retail"], "cold_call",
                              PLAYBOOK, rep_text=text)  # fmt: skip
    assert tip.kind == "one_question"
    model = tip.text.split("最该问的是", 1)[1]
    assert "积压" not in model and "‘生鲜损耗太高" in model


def test_an_objection_the_rep_went_past_is_still_answered_a_turn_later() -> None:
    s1 = fact("liu-retail", "s1")
    history = [
        rep(1, "我们平台功能很全。", signals=Signals(pitch=True)),
        customer(2, "慢着,我们的店长年纪普遍偏大,新东西推起来很慢。", act="object"),
        rep(3, "你们门店多吗?", spin="situation", question="closed"),
        customer(4, s1.text, s1),
    ]
    tip = move(reading_of(spin="situation", question="closed"), history, "liu-retail")
    assert tip.kind == "answer_objection_earlier" and tip.cites == (2,)
    assert "“新东西推起来很慢”" in tip.text and "‘新东西推起来很慢’" in tip.text
    # Acknowledged in between: answered.
    history[2] = rep(3, "理解。你们门店多吗?", spin="situation", question="closed",
                     signals=Signals(acknowledgement=True))  # fmt: skip
    assert move(reading_of(spin="situation", question="closed"), history, "liu-retail").kind != (
        "answer_objection_earlier"
    )


def test_a_pitch_or_an_empty_turn_with_nothing_known_answers_the_customers_last_words() -> None:
    history = [
        rep(
            1, "Hi Priya, thanks for the meeting.", language="en", signals=Signals(small_talk=True)
        ),
        customer(2, "Priya Shah. I get a lot of these calls. Go on, then.", act="greet"),
    ]
    pitch = reading_of("en", flags=["premature_pitch", "no_question"], signals=Signals(pitch=True))
    tip = move(pitch, history, "priya-finance")
    assert tip.kind == "hold_pitch_heard" and tip.cites == (2,)
    # Without her own name: the words that tell the rep something.
    assert 'Priya just said "I get a lot of these calls' in tip.text
    # Nothing asked after her doubt: the doubt is what to answer.
    empty = move(reading_of("en", flags=["no_question"]), history, "priya-finance")
    # In a meeting she doubts vendors, not why the rep called: no cold-call "say why you called".
    assert empty.kind == "answer_doubt_meeting" and '"I get a lot of these calls' in empty.text
    assert "why you called" not in empty.text and "no claims" in empty.text
    cold = move(reading_of("en", flags=["no_question"]), history, "priya-finance", "cold_call")
    assert cold.kind == "answer_doubt" and "why you called" in cold.text
    history[1] = customer(2, "Priya Shah. Busy quarter here. Go on, then.", act="greet")
    empty = move(reading_of("en", flags=["no_question"]), history, "priya-finance")
    assert empty.kind == "hand_back_heard" and '"Busy quarter here' in empty.text


def test_a_fragment_does_not_end_on_a_clause_that_leads_into_the_next() -> None:
    said = "电子病历评级要求数据一致,照现在的状况,五级评审很可能过不了,肯定要整改"
    assert tips.fragment(said, "zh") == "电子病历评级要求数据一致"


def test_who_is_calling_answered_in_one_line_is_right_and_the_next_move_is_a_question() -> None:
    history = [
        rep(1, "Hey Mark, got a sec?", language="en", question="closed"),
        customer(2, "I'm busy. What is this about?", act="greet"),
    ]
    pitch = reading_of("en", flags=["premature_pitch", "no_question"], signals=Signals(pitch=True))
    said = "I'm Sam from LineSight; we help packaging plants cut unplanned downtime."
    tip = tips.next_best_move(pitch, history, PLAYBOOK.personas["mark-packaging"], "cold_call",
                              PLAYBOOK, rep_text=said)  # fmt: skip
    assert tip.kind == "answered_who" and tip.cites == (2,) and "ask_question" in tip.says
    # A feature dump in answer to the same question is still a pitch to hold.
    dump = (
        said
        + " We also do dashboards, alerts, spare parts, work orders, mobile apps, reports and much more."
    )
    held = tips.next_best_move(pitch, history, PLAYBOOK.personas["mark-packaging"], "cold_call",
                               PLAYBOOK, rep_text=dump)  # fmt: skip
    assert held.kind == "hold_pitch_heard"


def wang_downtime_then_traceability() -> list[TranscriptTurn]:
    """The downtime thread went on to its cost; traceability was named in passing after it."""
    f = {i: fact("wang-manufacturing", i) for i in ("p1", "i2", "p2")}
    return [
        rep(1, "有没有计划外停机?", spin="problem", question="closed"),
        customer(2, f["p1"].text, f["p1"]),
        rep(3, "停机对交付有什么影响?", spin="implication", question="open"),
        customer(4, f["i2"].text, f["i2"]),
        rep(5, "一般是什么原因?", spin="problem", question="open"),
        customer(6, f["p2"].text, f["p2"]),
    ]


def test_a_recap_confirms_the_thread_that_was_developed_not_the_side_pain_named_since() -> None:
    tip = move(
        reading_of(spin="need_payoff", question="open"),
        wang_downtime_then_traceability(),
        "wang-manufacturing",
    )
    assert tip.kind == "after_payoff_question"
    # The tip credits the question on the developed thread (its cost), not the side pain; the
    # value is not said yet, so there is no playback to model and no bracket to fill in.
    assert "交付预警" in tip.text and "质量追溯" not in tip.text
    assert "比如" not in tip.text and "[" not in tip.text


def test_a_wrap_up_names_the_developed_thread_for_the_agenda() -> None:
    history = [
        *wang_downtime_then_traceability(),
        rep(
            7,
            "下周二上午十点来现场看看?",
            signals=Signals(
                next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="下周二")
            ),
        ),  # fmt: skip
        customer(8, "可以,你发个会议邀请吧。", act="accept_next_step"),
    ]
    tip = move(reading_of(signals=Signals(goodbye=True)), history, "wang-manufacturing")
    assert tip.kind == "wrap_up_agreed"
    assert "围绕停机" in tip.text


def full_opener(language: str = "zh", *, purpose: bool = True) -> Coaching:
    check = OpenerCheck(
        introduced_self=True,
        stated_purpose=purpose,
        named_pain=True,
        asked_for_time=True,
        within_30_seconds=True,
        estimated_seconds=20,
    )
    return reading_of(language, opener=check)


def test_get_to_the_point_after_a_full_opener_asks_the_question_not_the_intro_again() -> None:
    history = [
        TranscriptTurn(seq=1, speaker="rep", text="...", coaching=full_opener()),
        customer(2, "你好。行,请讲重点。", act="greet"),
    ]
    chat = reading_of(signals=Signals(small_talk=True, acknowledgement=True))
    tip = move(chat, history, "zhao-hospital", "cold_call")
    assert tip.kind == "get_to_point" and tip.cites == (2,)
    assert "请讲重点" in tip.text and "说清你是谁" not in tip.text
    # A question straight away was the point: no reminder.
    asked = reading_of(spin="situation", question="open")
    assert move(asked, history, "zhao-hospital", "cold_call").kind != "get_to_point"
    # An opener that left out why you called still owes the who-and-why.
    history[0] = TranscriptTurn(
        seq=1, speaker="rep", text="...", coaching=full_opener(purpose=False)
    )
    owed = move(chat, history, "zhao-hospital", "cold_call").kind
    assert owed in ("answer_who", "clear_up_purpose")


def priya_brushing_off() -> list[TranscriptTurn]:
    p1 = fact("priya-finance", "p1")
    return [
        rep(1, "Where do breaks show up?", language="en", spin="problem", question="open"),
        customer(2, p1.text, p1),
        rep(
            3, "What does that do to reporting?", language="en", spin="implication", question="open"
        ),
        customer(4, "Possibly.", act="short_answer"),
        rep(5, "And to overtime?", language="en", spin="implication", question="open"),
        customer(6, "Maybe. Hard to say.", act="short_answer"),
    ]


def test_costs_brushed_off_twice_get_no_third_cost_question() -> None:
    payoff = reading_of("en", spin="need_payoff", question="open")
    tip = move(payoff, priya_brushing_off(), "priya-finance")
    # The rep's need-payoff question stands; no "ask what it costs first".
    assert tip.kind != "ground_implication_first"
    assert "what does that do to" not in tip.text.lower() and "cost you" not in tip.text
    # One brush-off is not resistance yet.
    assert (
        move(payoff, priya_brushing_off()[:4], "priya-finance").kind == "ground_implication_first"
    )


def test_a_doubted_call_is_answered_first_with_no_cost_probe() -> None:
    history = [*priya_brushing_off(), rep(7, "Any audit exposure?", language="en", signals=Signals(off_topic=True)),
               customer(8, "Is that really why you called?", act="deflect")]  # fmt: skip
    payoff = reading_of("en", spin="need_payoff", question="open")
    tip = move(payoff, history, "priya-finance")
    assert tip.kind == "answer_doubt_meeting" and tip.cites == (8,)
    assert '"Is that really why you called"' in tip.text
    # The model question plays her pain back and asks its value, not another cost.
    question = tip.text.rsplit('"', 2)[-2]
    assert "month-end close" in question and "cost" not in question
    # Still unanswered a turn later ("I mentioned that already"), it stays first.
    later = [*history, rep(9, "What would that mean for your close?", language="en",
                           spin="need_payoff", question="open"),
             customer(10, "I mentioned that already.", act="short_answer")]  # fmt: skip
    assert move(payoff, later, "priya-finance").kind == "answer_doubt_meeting"
    # Two turns on she has said other things ("Let's not jump to solutions"): answer those.
    moved = [*later, rep(11, "...", language="en", spin="need_payoff", question="open"),
             customer(12, "Let's not jump to solutions; I haven't sized the problem.", act="object")]  # fmt: skip
    tip = move(payoff, moved, "priya-finance")
    assert tip.kind == "answer_objection" and tip.cites == (12,)
    # And a doubt two turns back has had its moment: the tip moves on.
    moved[-1] = customer(12, "Fine.", act="short_answer")
    assert not move(payoff, moved, "priya-finance").kind.startswith("answer_doubt")
    # Once she tells something new, she is engaged again.
    s1 = fact("priya-finance", "s1")
    told = [*later, rep(11, "How is the close run?", language="en", spin="situation",
                        question="open"), customer(12, s1.text, s1)]  # fmt: skip
    assert move(payoff, told, "priya-finance").kind.startswith("answer_doubt") is False


def test_a_must_have_against_nice_to_have_question_is_not_split() -> None:
    history = wang_downtime_then_traceability()
    n1 = fact("wang-manufacturing", "n1")
    history += [rep(7, "...", spin="need_payoff", question="open"), customer(8, n1.text, n1)]
    text = "那对您来说,这样一套系统,必须做到哪几点才值得上?哪些是加分项?"
    two = reading_of(spin="need_payoff", question="open", flags=["multiple_questions"])
    tip = tips.next_best_move(
        two, history, PLAYBOOK.personas["wang-manufacturing"], "discovery", PLAYBOOK, rep_text=text
    )
    assert tip.kind == "priority_asked" and tip.cites == (8,)
    assert "不用拆开" in tip.text
    # Before any value is stated, ranking features is early: the usual one-question advice.
    early = tips.next_best_move(
        two, history[:6], PLAYBOOK.personas["wang-manufacturing"], "discovery", PLAYBOOK,
        rep_text=text,
    )  # fmt: skip
    assert early.kind != "priority_asked"
    # Two questions that rank nothing are still one too many.
    other = "停机多久一次?一般是什么原因?"
    tip = tips.next_best_move(
        two, history, PLAYBOOK.personas["wang-manufacturing"], "discovery", PLAYBOOK, rep_text=other
    )
    assert tip.kind in ("one_question", "one_question_kept")


def test_rapport_before_the_customer_has_spoken_says_listen_first() -> None:
    first = reading_of("en", question="open", signals=Signals(small_talk=True))
    tip = move(first, [], "priya-finance")
    assert tip.kind == "rapport_listen" and "listen" in tip.text
    assert not tip.text.startswith("Good rapport. Now move to business")


def test_the_meeting_opens_with_a_line_on_the_customers_news_not_a_thank_you_script() -> None:
    tip = move(reading_of("en", signals=Signals(small_talk=True)), [], "mark-packaging")
    assert tip.kind == "open_meeting"
    assert "just won a large e-commerce contract" in tip.text and "thank them" not in tip.text


def test_a_cost_question_skips_an_area_the_rep_already_asked_about() -> None:
    # The areas rotate by the cost questions asked (two: the third area, overtime); #5 asked it.
    conv = tips.Conversation.of(priya_brushing_off(), "en")
    area = tips.Renderer(PLAYBOOK.personas["priya-finance"], PLAYBOOK.moves, conv).area()
    assert area in PLAYBOOK.moves.industry("Financial services").areas.en
    assert "overtime" not in area


def test_the_proposed_time_varies_by_turn_and_takes_a_day_the_customer_named() -> None:
    persona = PLAYBOOK.personas["chen-logistics"]
    conv = tips.Conversation.of(chen_after_problem(), "zh")
    slots = {tips.Renderer(persona, PLAYBOOK.moves, tips.Conversation.of(chen_after_problem()[:n], "zh")).slot()
             for n in range(4)}  # fmt: skip
    assert len(slots) > 1
    named = [*chen_after_problem(), customer(5, "这周四下午我有空。", act="reveal")]
    slot = tips.Renderer(persona, PLAYBOOK.moves, tips.Conversation.of(named, "zh")).slot()
    assert "周四" in slot
    assert tips.Renderer(persona, PLAYBOOK.moves, conv).slot() in PLAYBOOK.moves.slots.zh


def test_a_red_line_is_an_objection_to_acknowledge() -> None:
    history = [customer(2, "先说一个顾虑,数据安全是红线,患者数据不能出院内网络。", act="object")]
    closed = reading_of(spin="situation", question="closed", flags=["closed_question"])
    tip = move(closed, history, "zhao-hospital")
    assert tip.kind == "answer_objection"
    assert "“数据安全是红线" in tip.text


def test_an_opener_tip_names_every_missing_piece_and_the_feature_list() -> None:
    check = OpenerCheck(
        introduced_self=True,
        stated_purpose=True,
        named_pain=False,
        asked_for_time=False,
        within_30_seconds=True,
        estimated_seconds=12,
    )
    pitched = reading_of(opener=check, signals=Signals(pitch=True))
    tip = move(pitched, [], "wang-manufacturing", "cold_call")
    assert tip.kind == "opener_named_pain"
    assert "去掉功能清单" in tip.text and "请求两分钟" in tip.text
    # One miss and no feature list: the one fix.
    check = check.model_copy(update={"asked_for_time": True})
    alone = move(reading_of(opener=check), [], "wang-manufacturing", "cold_call")
    assert alone.kind == "opener_named_pain" and "另外" not in alone.text


def test_a_cost_is_said_back_by_the_clauses_that_make_its_point() -> None:
    p1, i1 = fact("zhao-hospital", "p1"), fact("zhao-hospital", "i1")
    history = [
        rep(1, "接口这块最头疼的是什么?", spin="problem", question="open"),
        customer(2, p1.text, p1),
        rep(3, "这对临床有什么影响?", spin="implication", question="open"),
        customer(4, i1.text, i1),
    ]
    tip = move(reading_of(signals=Signals(acknowledgement=True)), history, "zhao-hospital")
    assert tip.kind == "develop_implication"
    # Not "上次LIS升级" alone: the clause that says what went wrong comes with it.
    assert "‘上次LIS升级,检验结果有两个小时传不到医生站’" in tip.text


def test_a_background_question_after_the_value_is_stated_does_not_send_the_rep_back() -> None:
    # "这样的决定一般还有谁会参与?" late in a call once the value is out had been told to "turn to
    # problems"; with a cost known it goes to the value, with the value out to the next step.
    i1, n1 = fact("chen-logistics", "i1"), fact("chen-logistics", "n1")
    with_cost = [
        *chen_after_problem(),
        rep(5, "这对客户那边有什么影响?", spin="implication", question="open"),
        customer(6, i1.text, i1),
    ]
    with_value = [
        *with_cost,
        rep(7, "如果半小时能排完线,意味着什么?", spin="need_payoff", question="open"),
        customer(8, n1.text, n1),
    ]
    late = reading_of(spin="situation", question="open")
    tip = move(late, with_value)
    assert tip.kind == "late_background" and "(#8)" in tip.text and "难点" in tip.text
    assert "别再回到难点" in tip.text
    assert move(late, with_cost).kind == "develop_implication"
    assert move(late, chen_after_problem()[:2]).kind == "to_problem"


def test_a_problem_question_on_the_setup_names_it_by_the_customers_word_not_a_quote() -> None:
    # "您说‘我们有两个厂区’,这方面现在最让您头疼的是什么?" sounded robotic: the setup is named by
    # the customer's own word for it (a keyword of the fact they said).
    tip = move(reading_of(spin="situation", question="open"), chen_after_problem()[:2])
    assert tip.kind == "to_problem"
    model = tip.text.rsplit("“", 1)[-1]
    assert "您说‘" not in model and "您提到‘" not in model
    assert any(word in model for word in ("Excel", "排线", "调度", "车辆"))


# --- the main fault of the turn comes first (issue #11) ----------------------------------


def test_an_invitation_to_talk_about_their_problem_is_taken_up_not_passed_over() -> None:
    p1 = fact("liu-retail", "p1")
    history = [
        rep(1, "损耗高不高?", spin="problem", question="closed"),
        customer(2, "嗯。" + p1.text, p1),
        rep(3, "我们系统还能接电子价签。", signals=Signals(pitch=True)),
        customer(4, "嗯,如果能解决我刚才说的那个问题,可以聊聊。", act="short_answer"),
    ]
    new_subject = reading_of(spin="situation", question="closed", flags=["closed_question"])
    tip = tips.next_best_move(new_subject, history, PLAYBOOK.personas["liu-retail"], "cold_call",
                              PLAYBOOK, rep_text="你们今年要开新店吧?开多少家?")  # fmt: skip
    assert tip.kind == "take_invitation" and tip.cites == (4,)
    assert "“如果能解决我刚才说的那个问题,可以聊聊”(#4)" in tip.text
    # The model question takes up her problem, not the new stores.
    assert "生鲜损耗太高" in tip.text.split("比如")[-1]
    # Taken up (a question on what the problem costs): no such tip.
    taken = reading_of(spin="implication", question="open")
    assert move(taken, history, "liu-retail", "cold_call").kind != "take_invitation"
    # In English: "I'd want to hear more".
    m1 = fact("morgan-saas", "p1")
    en = [
        rep(1, "How do you spot unhappy accounts?", language="en", spin="problem", question="open"),
        customer(2, "Yes. " + m1.text, m1),
        rep(3, "We also have AI summaries.", language="en", signals=Signals(pitch=True)),
        customer(4, "Hm, if that really works, I'd want to hear more.", act="short_answer"),
    ]
    budget = reading_of("en", spin="situation", question="closed", flags=["closed_question"])
    tip = move(budget, en, "morgan-saas")
    assert tip.kind == "take_invitation" and '"I\'d want to hear more" (#4)' in tip.text


def test_a_pushed_back_close_is_withdrawn_before_anything_else() -> None:
    history = [
        rep(1, "Sign today and I'll give you 40% off.", language="en",
            signals=Signals(hard_close=True)),
        customer(2, "Sign? We're nowhere near that.", act="object"),
    ]  # fmt: skip
    pressing = reading_of("en", flags=["no_question"])
    tip = move(pressing, history, "karen-education")
    assert tip.kind == "withdraw_close" and tip.cites == (2,)
    assert "Withdraw it now" in tip.text and "nowhere near that" in tip.text
    # Acknowledged and back to discovery: the close is dropped, no such tip.
    back = reading_of("en", spin="situation", question="open",
                      signals=Signals(acknowledgement=True))  # fmt: skip
    assert move(back, history, "karen-education").kind != "withdraw_close"
    # A side remark after the push-back has its own fault (off topic), not "still pushes".
    aside = reading_of("en", spin=None, question="closed",
                       signals=Signals(off_topic=True))  # fmt: skip
    assert move(aside, history, "karen-education").kind != "withdraw_close"
    # The customer took the step: nothing to withdraw.
    history[1] = customer(2, "OK, let's do it.", act="accept_next_step")
    assert move(pressing, history, "karen-education").kind != "withdraw_close"


def wang_costs() -> list[TranscriptTurn]:
    p1, i1 = fact("wang-manufacturing", "p1"), fact("wang-manufacturing", "i1")
    n1 = fact("wang-manufacturing", "n1")
    return [
        rep(1, "哪些地方最让人不放心?", spin="problem", question="open"),
        customer(2, "不瞒你说," + p1.text, p1),
        rep(3, "一次停线影响多大?", spin="implication", question="open"),
        customer(4, "是的," + i1.text, i1),
        rep(5, "提前知道意味着什么?", spin="need_payoff", question="open"),
        customer(6, n1.text, n1),
    ]


def test_a_recap_that_drops_the_customers_figures_says_which_and_puts_them_back() -> None:
    recap = reading_of(question="closed", signals=Signals(summary=True))
    weak = "我总结一下:关键设备偶尔突发故障,会影响交付,您最看重的是提前预警,对吗?"
    tip = tips.next_best_move(recap, wang_costs(), PLAYBOOK.personas["wang-manufacturing"],
                              "discovery", PLAYBOOK, rep_text=weak)  # fmt: skip
    assert tip.kind == "summary_dropped_figures" and tip.cites == (2, 4)
    assert "三四次" in tip.text and "18万" in tip.text and "(#2)" in tip.text
    # A recap that keeps their figures is not faulted for them.
    full = "我总结一下:一个月三四次突发停机,上个月空运多花了18万,您最看重提前预警,对吗?"
    kept = tips.next_best_move(recap, wang_costs(), PLAYBOOK.personas["wang-manufacturing"],
                               "discovery", PLAYBOOK, rep_text=full)  # fmt: skip
    assert kept.kind != "summary_dropped_figures"


def test_figures_are_read_in_digits_and_chinese_numerals() -> None:
    assert tips.figures_in("一个月总有三四次关键设备坏在半路") == ["三四"]
    assert tips.figures_in("最后空运发货多花了18万") == ["18"]
    assert tips.figures_in("叶菜的损耗率经常到8%以上") == ["8%"]
    assert tips.figures_in("Last year we lost about $4M in ARR") == ["4"]
    assert tips.figures_in("上个月一台加工中心停了两天") == ["两"]
    assert tips.figures_in("设备综合效率偏低") == []


def test_a_buying_process_is_acknowledged_and_set_aside_not_probed() -> None:
    history = [
        rep(1, "我先给您介绍下我们的集成平台。", signals=Signals(pitch=True)),
        customer(2, "从数据角度讲,医院采购要走招标流程,周期至少半年。", act="object"),
    ]
    asked = reading_of(spin="situation", question="closed", flags=["closed_question"])
    tip = move(asked, history, "zhao-hospital")
    assert tip.kind == "acknowledge_process" and tip.cites == (2,)
    assert "不是难点" in tip.text and "遇到过什么情况" not in tip.text
    # An objection that is a pain (a system they gave up on) is still probed.
    history[1] = customer(2, "我们之前试过一个系统,上线半年就放弃了。", act="object")
    assert move(asked, history, "zhao-hospital").kind == "answer_objection"


def test_a_barrage_right_after_a_brush_off_is_the_fault_named() -> None:
    history = [
        rep(1, "我先给您介绍下我们的集成平台。", signals=Signals(pitch=True)),
        customer(2, "医院采购要走招标流程,周期至少半年。", act="object"),
        rep(3, "你们现在有集成平台吗?", spin="situation", question="closed"),
        customer(4, "不好说。", act="short_answer"),
    ]
    four = reading_of(spin="situation", question="closed",
                      flags=["closed_question", "multiple_questions"],
                      signals=Signals(question_count=4))  # fmt: skip
    text = "你们有多少个系统?都是哪些厂商?接口多少个?信息科几个人?"
    tip = tips.next_best_move(four, history, PLAYBOOK.personas["zhao-hospital"], "discovery",
                              PLAYBOOK, rep_text=text)  # fmt: skip
    assert tip.kind == "one_question_after_brush_off" and tip.cites == (4,)
    assert "“不好说”(#4)" in tip.text and "4个问题" in tip.text
    # "嗯,你接着说。" invites more: no brush-off, whatever is asked next.
    history[3] = customer(4, "嗯,你接着说。", act="acknowledge")
    go_on = tips.next_best_move(four, history, PLAYBOOK.personas["zhao-hospital"], "discovery",
                                PLAYBOOK, rep_text=text)  # fmt: skip
    assert go_on.kind != "one_question_after_brush_off"
    # After a real answer, four questions are the plain multiple-question fault.
    s1 = fact("zhao-hospital", "s1")
    history[3] = customer(4, s1.text, s1)
    again = tips.next_best_move(four, history, PLAYBOOK.personas["zhao-hospital"], "discovery",
                                PLAYBOOK, rep_text=text)  # fmt: skip
    assert again.kind != "one_question_after_brush_off"


def test_a_question_asking_what_the_customer_just_said_is_named_a_repeat() -> None:
    s1, p1 = fact("wang-manufacturing", "s1"), fact("wang-manufacturing", "p1")
    wang = PLAYBOOK.personas["wang-manufacturing"]
    history = [
        rep(1, "现在车间设备的维护保养主要是怎么安排的?", spin="situation", question="open"),
        customer(2, "我们的情况是," + s1.text, s1),
    ]
    count = reading_of(spin="situation", question="closed", flags=["closed_question"],
                       signals=Signals(asks_value=True))  # fmt: skip
    tip = tips.next_best_move(count, history, wang, "discovery", PLAYBOOK,
                              rep_text="像加工中心、压铸机这些关键设备,大概有多少台?")  # fmt: skip
    assert tip.kind == "asked_already" and tip.cites == (2,)
    assert "40多台加工中心" in tip.text
    # A closed question that goes further on the same machines is no repeat.
    further = reading_of(spin="situation", question="closed", flags=["closed_question"])
    tip = tips.next_best_move(further, history, wang, "discovery", PLAYBOOK,
                              rep_text="这些加工中心都是进口的吗?")  # fmt: skip
    assert tip.kind != "asked_already"
    # Whether the problem happens, right after they named it: asked again.
    history += [rep(3, "哪些地方最让人不放心?", spin="problem", question="open"),
                customer(4, "不瞒你说," + p1.text, p1)]  # fmt: skip
    whether = reading_of(spin="problem", question="closed", flags=["closed_question"])
    tip = tips.next_best_move(whether, history, wang, "discovery", PLAYBOOK,
                              rep_text="去年有没有因为设备突发故障停过线?")  # fmt: skip
    assert tip.kind == "asked_already" and tip.cites == (4,)
    # The model question goes on to what it costs.
    assert "影响" in tip.text.split("比如")[-1] or "后果" in tip.text.split("比如")[-1]
    # A closed question that narrows it down goes further: no repeat.
    tip = tips.next_best_move(whether, history, wang, "discovery", PLAYBOOK,
                              rep_text="故障是不是主要集中在老设备上?")  # fmt: skip
    assert tip.kind != "asked_already"


def test_one_question_without_a_kept_one_does_not_say_keep_one_of_yours() -> None:
    for language in ("zh", "en"):
        text = PLAYBOOK.moves.tips["one_question"][language]  # type: ignore[index]
        assert "只留最重要" not in text and "Keep the one" not in text


def test_a_goodbye_naming_another_day_than_the_one_agreed_is_corrected() -> None:
    history = [
        *chen_after_problem(),
        rep(5, "Could we do next Tuesday at 1pm?", language="en",
            signals=Signals(next_step=NextStepSignal(proposed=True, has_concrete_time=True,
                                                     time_text="next Tuesday at 1pm"))),
        customer(6, "That's packed for me. Could we do Monday at 10am?", act="counter_next_step"),
        rep(7, "Great, I'll send the invite this afternoon.", language="en"),
        customer(8, "Good, Monday at 10am. Talk then.", act="accept_next_step"),
    ]  # fmt: skip
    bye = reading_of("en", signals=Signals(goodbye=True, small_talk=True))
    mark = PLAYBOOK.personas["mark-packaging"]
    tip = tips.next_best_move(bye, history, mark, "discovery", PLAYBOOK,
                              rep_text="Appreciate your time, Mark. Talk Tuesday - take care.")  # fmt: skip
    assert tip.kind == "wrap_up_wrong_day" and tip.cites == (8,)
    assert '"Good, Monday at 10am' in tip.text and "Tuesday" in tip.text
    # The agreed day said back: the usual wrap-up.
    right = tips.next_best_move(bye, history, mark, "discovery", PLAYBOOK,
                                rep_text="Thanks Mark, talk Monday at 10.")  # fmt: skip
    assert right.kind != "wrap_up_wrong_day"


def test_a_meeting_opened_on_the_customers_news_is_credited_and_rapport_given_time() -> None:
    hook = "王总您好,感谢您今天抽空。先恭喜一下,去年IATF 16949复审顺利通过,那段时间肯定挺辛苦的吧?"
    first = reading_of(question="closed", signals=Signals(small_talk=True))
    wang = PLAYBOOK.personas["wang-manufacturing"]
    tip = tips.next_best_move(first, [], wang, "discovery", PLAYBOOK, rep_text=hook)
    assert tip.kind == "rapport_listen_news" and "去年刚通过IATF 16949复审" in tip.text
    assert "不急着谈业务" in tip.text
    # A first line that names nothing of theirs: no credit for a hook, and no rush either.
    plain = tips.next_best_move(first, [], wang, "discovery", PLAYBOOK,
                                rep_text="王总您好,今天主要想了解一下情况,您看可以吗?")  # fmt: skip
    assert plain.kind == "meeting_start" and "别急着切入" in plain.text


def test_the_news_for_a_meeting_opener_is_the_dated_clause_of_the_background() -> None:
    def news(persona: str) -> str:
        conv = tips.Conversation.of([], PLAYBOOK.personas[persona].language)
        return tips.Renderer(PLAYBOOK.personas[persona], PLAYBOOK.moves, conv).news()

    # "...eighteen months ago and still runs two core banking systems": the merger is news.
    assert news("priya-finance").startswith("Harbor Point merged with a smaller credit union")
    assert news("mark-packaging") == "just won a large e-commerce contract"
    assert news("zhao-hospital") == "正在准备电子病历系统应用水平五级评审"


def test_a_problem_question_tip_quotes_a_setup_only_when_it_is_the_live_thread() -> None:
    s1, s2 = fact("wang-manufacturing", "s1"), fact("wang-manufacturing", "s2")
    history = [
        rep(1, "维护保养主要是怎么安排的?", spin="situation", question="open"),
        customer(2, s1.text, s1),
        rep(3, "排产是怎么做的?", spin="situation", question="open"),
        customer(4, s2.text, s2),
    ]
    asked = reading_of(spin="problem", question="open")
    live = move(asked, history, "wang-manufacturing")
    assert live.kind == "after_problem_question" and live.cites == (4,)
    # The last answer told nothing new: the older setup is not quoted as if it were the thread.
    history += [rep(5, "明白。", signals=Signals(acknowledgement=True)),
                customer(6, "嗯。", act="short_answer")]  # fmt: skip
    older = move(asked, history, "wang-manufacturing")
    assert older.kind.startswith("after_problem_question") and older.cites == ()
    assert "生产计划是计划科" not in older.text


def test_a_problem_question_after_an_impatient_repeat_complaint_names_it() -> None:
    s1 = fact("wang-manufacturing", "s1")
    history = [
        rep(1, "维护保养主要是怎么安排的?", spin="situation", question="open"),
        customer(2, s1.text, s1),
        rep(3, "大概有多少台?", spin="situation", question="closed"),
        customer(4, "我刚才说过了," + s1.text, act="recall"),
    ]
    asked = reading_of(spin="problem", question="open")
    tip = move(asked, history, "wang-manufacturing")
    assert tip.kind == "after_problem_question_recall" and tip.cites == (4,)
    assert "“我刚才说过了" in tip.text and "不耐烦" in tip.text
    # Without the complaint: the move from the setup to problems, in the customer's words.
    history[3] = customer(4, "这个嘛,说来话长。", act="short_answer")
    setup = move(asked, history, "wang-manufacturing")
    assert setup.kind == "after_problem_question_setup" and "加工中心" in setup.text
    # After a problem question they denied, no "good timing".
    history[2] = rep(3, "设备有问题吗?", spin="problem", question="closed")
    history[3] = customer(4, "没觉得有什么问题。", act="deflect")
    assert move(asked, history, "wang-manufacturing").kind == "after_problem_question"


def test_a_ranked_list_of_the_reps_own_items_is_sent_back_to_the_customers_words() -> None:
    history = wang_costs()
    rank = reading_of(question="closed")
    wang = PLAYBOOK.personas["wang-manufacturing"]
    invented = ("那我按优先级分一下:必须满足的是关键设备的故障预警;期望满足的是和MES打通,"
                "顺便给审核留记录;可有可无的是手机App推送这些。您看需要调整吗?")  # fmt: skip
    tip = tips.next_best_move(rank, history, wang, "discovery", PLAYBOOK, rep_text=invented)
    assert tip.kind == "priority_from_their_words" and tip.cites == (6,)
    assert "手机App推送" in tip.text and "故障预警" not in tip.text
    # A list built from what he said (the warning a week ahead, the airfreight cost) stands.
    theirs = ("那我按优先级分一下:必须满足的是提前预警;期望满足的是少花空运的钱;"
              "可有可无的是周末检修排程。您看需要调整吗?")  # fmt: skip
    kept = tips.next_best_move(rank, history, wang, "discovery", PLAYBOOK, rep_text=theirs)
    assert kept.kind == "priority_asked"


def test_a_denied_problem_sends_the_rep_back_to_the_pain_they_did_name() -> None:
    p1 = fact("morgan-saas", "p1")
    history = [
        rep(1, "Is churn a problem?", language="en", spin="problem", question="closed"),
        customer(2, "Yes. " + p1.text, p1),
        rep(3, "Are you happy with your current tools?", language="en", spin="problem",
            question="closed"),
        customer(4, "Not a problem we have, to be honest.", act="object"),
    ]  # fmt: skip
    aside = reading_of("en", spin="situation", question="closed", flags=["closed_question"])
    tip = move(aside, history, "morgan-saas")
    assert tip.kind == "back_to_named_pain" and tip.cites == (4, 2)
    assert "don't dig there" in tip.text and '"We usually find out' in tip.text
    assert "what's behind that" not in tip.text.lower()
    # The rep already went back to that pain with a cost question: the denial needs nothing.
    history += [rep(5, "Do your retailers churn around the holidays?", language="en",
                    spin="situation", question="closed"),
                customer(6, "That's outside the scope of this call.", act="redirect")]  # fmt: skip
    back = reading_of("en", spin="need_payoff", question="open")
    assert move(back, history, "morgan-saas").kind != "back_to_named_pain"


def test_off_topic_while_a_push_back_is_open_goes_back_to_the_push_back() -> None:
    history = [
        rep(1, "I've put a contract meeting on your calendar.", language="en",
            signals=Signals(next_step=NextStepSignal(proposed=True, has_concrete_time=True))),
        customer(2, "It's a bit early for that. I'm not sure we need anything.",
                 act="defer_next_step"),
        rep(3, "Rate this call 10/10.", language="en", signals=Signals(meta=True)),
        customer(4, "Right, got it.", act="acknowledge"),
    ]  # fmt: skip
    aside = reading_of("en", question="open", signals=Signals(off_topic=True))
    tip = move(aside, history, "karen-education")
    assert tip.kind == "back_on_topic_pending" and tip.cites == (2,)
    assert "\"It's a bit early for that" in tip.text and "take it back" in tip.text
    # Acknowledged since: no longer hanging, the plain way back.
    history[2] = rep(3, "Fair enough, it's early.", language="en",
                     signals=Signals(acknowledgement=True))  # fmt: skip
    assert move(aside, history, "karen-education").kind == "back_on_topic"


def test_a_closed_question_spending_the_floor_the_customer_gave_says_so() -> None:
    history = [
        rep(1, "我们是做设备预测性维护的……", signals=Signals(pitch=True)),
        customer(2, "嗯。那你问吧,我听听看。", act="greet"),
    ]
    closed = reading_of(spin="problem", question="closed", flags=["closed_question"])
    tip = tips.next_best_move(closed, history, PLAYBOOK.personas["wang-manufacturing"],
                              "cold_call", PLAYBOOK, rep_text="你们有设备维护的问题吗?")  # fmt: skip
    assert tip.kind == "reopen_heard" and tip.cites == (2,)
    assert "那你问吧,我听听看”(#2)" in tip.text and "ask_openly" in tip.says
    # Later in the call (they have told something), the plain reopen.
    s1 = fact("wang-manufacturing", "s1")
    history += [
        rep(3, "现在怎么维护?", spin="situation", question="open"),
        customer(4, s1.text, s1),
    ]
    later = tips.next_best_move(closed, history, PLAYBOOK.personas["wang-manufacturing"],
                                "cold_call", PLAYBOOK, rep_text="你们有设备维护的问题吗?")  # fmt: skip
    assert later.kind != "reopen_heard"


def test_a_demand_for_proof_is_met_with_proof_not_probed() -> None:
    # Round-5 blind review: "Show me numbers from a customer our size" got "what happened there?".
    history = [
        rep(1, "Hey Morgan, thanks for the time.", language="en"),
        customer(2, "Go ahead, specifics please.", act="greet"),
        rep(
            3, "We cut churn by 30% for our customers.", language="en", signals=Signals(pitch=True)
        ),
        customer(
            4, "Show me numbers from a customer our size before we go any further.", act="object"
        ),
    ]
    asked = reading_of("en", spin="situation", question="closed")
    tip = move(asked, history, "morgan-saas")
    assert tip.kind == "answer_evidence" and tip.cites == (4,)
    assert "similar customer" in tip.text and "what happened there" not in tip.text
    zh = [
        rep(1, "陈总好。", language="zh"),
        customer(2, "你说。", act="greet"),
        rep(3, "我们的系统很好用。", signals=Signals(pitch=True)),
        customer(4, "别光说,拿数据说话。", act="object"),
    ]
    tip = move(reading_of(spin="situation", question="open"), zh, "chen-logistics")
    assert tip.kind == "answer_evidence" and "同类客户" in tip.text


def test_get_to_the_point_in_a_meeting_is_answered_by_a_business_question() -> None:
    # Round-5 blind review: in an agreed meeting, "请讲重点" then a question on the business got
    # "introduce yourself first".
    history = [
        rep(1, "王总好,谢谢您抽时间。", language="zh"),
        customer(2, "请讲重点。", act="greet"),
    ]
    asked = reading_of(spin="situation", question="open")
    tip = move(asked, history, "wang-manufacturing", scenario="discovery")
    assert tip.kind not in ("answer_who", "answer_who_still", "get_to_point")
