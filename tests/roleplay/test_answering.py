"""The customer answers the question asked: follow-ups that point back, or that ask a new kind of
question about something already described, are not mistaken for a topic the persona lacks."""

from __future__ import annotations

from tests.roleplay.test_state import PERSONAS, Talk, coaching


def test_a_problem_question_pointing_back_at_the_setup_reveals_a_problem() -> None:
    t = Talk("mark-packaging")
    setup = t.say(
        "Could you walk me through how you schedule the lines today?",
        coaching("situation", language="en"),
    )
    assert setup.act == "reveal" and setup.facts[0].kind == "situation"
    d = t.say("What tends to go wrong with that approach?", coaching("problem", language="en"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"


def test_a_problem_question_on_a_topic_the_persona_lacks_is_still_honest() -> None:
    t = Talk("mark-packaging")
    t.say("How do you schedule the lines today?", coaching("situation", language="en"))
    d = t.say(
        "What tends to go wrong with the coffee machines in the canteen?",
        coaching("problem", language="en"),
    )
    assert d.act == "deflect" and d.reason == "not_an_issue" and d.facts == []


def test_a_problem_question_about_the_described_setup_reveals_a_problem_not_a_recall() -> None:
    t = Talk("wang-manufacturing")
    setup = t.say("咱们现在设备的点检和保养是怎么安排的?", coaching("situation"))
    assert setup.act == "reveal"
    said = setup.facts[0]
    # The next question reuses the words of what was said, but asks where it hurts.
    asked = f"在{said.text[:8]}这块,您觉得哪个环节最让人头疼?"
    d = t.say(asked, coaching("problem"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"
    assert d.facts[0].id in {p.id for p in PERSONAS["wang-manufacturing"].problems}


def test_pointing_back_reveals_nothing_unearned() -> None:
    t = Talk("wang-manufacturing")
    # No problem known yet: an implication question pointing back gets the gate, not a fact.
    d = t.say("这种情况对交付有什么影响?", coaching("implication"))
    assert d.facts == [] and d.act in {"deflect", "short_answer"}


def test_a_question_naming_no_problem_never_gets_not_an_issue() -> None:
    # "What would you like to see first?" asks what a solution should do: there is no
    # problem in it for the customer to deny.
    for persona_id, text, language in (
        ("chen-logistics", "您希望先看到哪些内容?", "zh"),
        ("morgan-saas", "What would you like to see first?", "en"),
    ):
        t = Talk(persona_id)
        t.say(
            "咱们现在的排线是怎么安排的?" if language == "zh" else "How do you track health today?",
            coaching("situation", language=language),
        )
        d = t.say(text, coaching("need_payoff", language=language))
        assert d.reason != "not_an_issue", text
        assert d.facts == [] and d.reason == "no_implication_known", text


def test_a_problem_question_on_a_lacking_topic_still_gets_not_an_issue_in_chinese() -> None:
    t = Talk("chen-logistics")
    t.say("咱们现在的排线是怎么安排的?", coaching("situation"))
    d = t.say("食堂的咖啡机经常出什么问题?", coaching("problem"))
    assert d.act == "deflect" and d.reason == "not_an_issue"
