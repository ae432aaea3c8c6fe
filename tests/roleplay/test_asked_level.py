"""The customer answers the question asked at the level a buyer would (state.py rule 4): a
situation question whose honest answer is a problem, an implication question pointing at the
open pain, a closed question naming an earned consequence, what any buyer tells whatever the
reading; unearned facts stay hidden."""

from __future__ import annotations

from app.coach.schemas import Coaching
from tests.roleplay.test_state import Talk, coaching


def en(spin: str | None, **kw: object) -> Coaching:
    return coaching(spin, language="en", **kw)  # type: ignore[arg-type]


def priya_with_breaks_out() -> Talk:
    t = Talk("priya-finance")
    t.say("Could you walk me through your month-end close?", en("situation"))
    d = t.say("Which parts of the reconciliation take the most manual effort?", en("problem"))
    assert [f.id for f in d.facts] == ["p2"]
    return t


def test_a_situation_question_whose_honest_answer_is_a_problem_reveals_it_once_warm() -> None:
    cold = Talk("priya-finance")
    q = "How many business days does the close take right now?"
    d = cold.say(q, en("situation", question="closed", asks_value=True))
    # Skeptical: the first question gets no problem (the warm-up), only a hint.
    assert d.facts == [] and d.reason == "not_earned"
    t = Talk("priya-finance")
    t.say("Could you walk me through your month-end close?", en("situation"))
    d = t.say(q, en("situation", question="closed", asks_value=True))
    assert [f.id for f in d.facts] == ["p1"] and d.terse


def test_a_situation_question_reaching_an_unsaid_need_gets_the_setup_not_the_need() -> None:
    t = Talk("priya-finance")
    t.say("Could you walk me through your month-end close?", en("situation"))
    d = t.say("How do you bring the numbers from both together at month-end?", en("situation"))
    assert [f.id for f in d.facts] == ["s1"]


def test_an_implication_question_naming_the_open_pain_gets_its_next_implication() -> None:
    t = priya_with_breaks_out()
    d = t.say(
        "When a break isn't caught until late, what does that do to your regulatory reporting?",
        en("implication"),
    )
    assert d.act == "reveal" and [f.id for f in d.facts] == ["i2"]


def test_an_implication_question_on_the_setup_gets_the_open_pains_consequence() -> None:
    t = priya_with_breaks_out()
    d = t.say("What does it mean for your quarterly reporting to the regulator?", en("implication"))
    assert [f.id for f in d.facts] == ["i2"]


def test_an_implication_question_naming_an_unsaid_pain_still_gets_that_pain_first() -> None:
    t = priya_with_breaks_out()
    d = t.say("How much are the rebuilt by hand board packs costing you?", en("implication"))
    assert [f.id for f in d.facts] == ["p3"]


def test_a_closed_question_naming_an_earned_consequence_is_confirmed_tersely() -> None:
    t = priya_with_breaks_out()
    d = t.say(
        "And does running two systems this way create any audit or exam exposure?",
        en("implication", question="closed"),
    )
    assert d.act == "reveal" and d.terse and [f.id for f in d.facts] == ["i2"]
    # Terse, so it earns no open question's reward.
    fresh = priya_with_breaks_out()
    o = fresh.say("What does running two systems mean for your audits?", en("implication"))
    assert [f.id for f in o.facts] == ["i2"] and o.state.patience > d.state.patience


def test_a_closed_question_fishing_for_a_consequence_gets_nothing() -> None:
    t = priya_with_breaks_out()
    # Nothing specific named: the terse non-answer, as before.
    d = t.say("Does that affect things much?", en("implication", question="closed"))
    assert d.facts == [] and d.reason == "closed_question"
    # A consequence of a pain not said yet stays hidden.
    d = t.say(
        "Has a capital ratio error ever reached the board?", en("implication", question="closed")
    )
    assert all(f.kind != "implication" for f in d.facts)


def test_a_problem_question_on_the_described_setup_reveals_the_first_problem() -> None:
    t = Talk("chen-logistics")
    t.greet()
    t.say("咱们现在的车辆调度和线路规划是怎么做的?车队和网点大概是什么规模?", coaching("situation"))
    d = t.say("在现在的调度方式下,哪些地方让您觉得不太顺?", coaching("problem"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"


def test_what_any_buyer_tells_is_told_whatever_the_reading() -> None:
    t = priya_with_breaks_out()
    d = t.say(
        "Who else would weigh in on a decision like this, and which stakeholders are involved?",
        en("need_payoff"),
    )
    assert d.act == "reveal" and [f.kind for f in d.facts] == ["public"]


def test_a_yes_no_question_fishing_for_a_problem_still_gets_a_hedge() -> None:
    t = Talk("mark-packaging")
    t.say("How is the plant set up today?", en("situation"))
    d = t.say("Do you ever have breakdowns?", en("situation", question="closed"))
    assert d.facts == [] and d.reason == "not_earned" and d.terse


def test_a_problem_question_on_an_undescribed_setup_or_closed_reveals_nothing_new() -> None:
    t = Talk("chen-logistics")
    t.greet()
    # Closed: a yes/no question about the setup is not "where does it hurt?".
    t.say("咱们现在的车辆调度和线路规划是怎么做的?车队和网点大概是什么规模?", coaching("situation"))
    d = t.say("那有没有考虑过换一套调度系统?", coaching("problem", question="closed"))
    assert all(f.kind != "problem" for f in d.facts)


def test_a_closed_question_on_a_public_topic_keeps_its_reading() -> None:
    t = Talk("morgan-saas")
    t.say("Tell me a bit about the company.", en("situation"))
    d = t.say("Are you happy with your current tools?", en("problem", question="closed"))
    assert all(f.kind != "public" for f in d.facts)


def test_a_problem_question_reaching_the_need_behind_an_unsaid_pain_gets_the_pain() -> None:
    # Blind calls 6 (Morgan, an excellent cold call): the question named the need ("spot an
    # at-risk retailer") and got "a story, but not for today"; the call never recovered.
    t = Talk("morgan-saas")
    t.say("How does your team get a read on account health today?", en("situation"))
    d = t.say(
        "What's the hardest part about spotting an at-risk retailer before it's too late",
        en("problem"),
    )
    assert [f.id for f in d.facts] == ["p1"]
    # The need itself stays unsaid until its pain has a consequence.
    assert "n1" not in t.state.revealed
