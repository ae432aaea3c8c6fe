"""Asked to sort their needs (manual 三(二) step 3: must / expected / optional), the customer
ranks the needs said so far by the persona's priorities, and says nothing it has not said."""

from __future__ import annotations

import pytest

from tests.roleplay.test_customer_behaviours import Call
from tests.roleplay.test_llm_new_acts import prompt_of
from tests.roleplay.test_state import coaching

SORT = {
    "en": "If we scoped something, what would be a must-have for you, what would you expect "
    "but could live without at first, and what's just a nice-to-have?",
    "zh": "如果真要上一套系统,您帮我排个序:哪些是必须做到的,哪些是希望有的,哪些是有了更好的?",
}


def said(call: Call, *ids: str) -> Call:
    """The call as if these facts had been said, in this order."""
    call.state = call.state.model_copy(update={"revealed": list(ids), "turns": len(ids)})
    return call


def test_the_needs_said_are_ranked_must_first_in_the_customers_words() -> None:
    # Mark said the expected need (n2) before the must-have (n1): the ranking puts n1 first.
    call = said(Call("mark-packaging"), "s1", "p2", "i3", "n2", "p1", "i1", "n1")
    d, reply = call.turn(SORT["en"], coaching("need_payoff", language="en"))
    assert d.act == "rank" and d.facts == []
    assert [f.id for f in d.recalled] == ["n1", "n2"]
    must = reply.find("failure warnings as a must-have")
    expected = reply.find("faster changeovers as something I'd expect")
    assert 0 <= must < expected, reply
    # The needs not said yet (a live schedule, screens at each line) stay unsaid.
    assert "schedule" not in reply and "screen" not in reply
    assert d.state.revealed == call.state.revealed


def test_a_chinese_ranking_uses_the_priorities_words() -> None:
    call = said(Call("chen-logistics"), "s1", "p2", "i3", "n2", "p1", "i1", "n1")
    d, reply = call.turn(SORT["zh"], coaching("need_payoff"))
    assert d.act == "rank"
    assert reply.index("排线时间是必须的") < reply.index("在途查询是希望有的"), reply
    assert "数据汇总" not in reply


@pytest.mark.parametrize("language", ["en", "zh"])
def test_with_no_need_said_a_sorting_question_is_answered_as_any_need_payoff_question(
    language: str,
) -> None:
    persona = "mark-packaging" if language == "en" else "chen-logistics"
    call = said(Call(persona), "s1", "p1")
    d, _ = call.turn(SORT[language], coaching("need_payoff", language=language))
    assert d.act != "rank" and d.recalled == []


def test_a_value_question_without_sorting_words_is_no_ranking() -> None:
    call = said(Call("mark-packaging"), "s1", "p1", "i1", "n1")
    d, _ = call.turn(
        "What would a week's warning be worth to you?", coaching("need_payoff", language="en")
    )
    assert d.act != "rank"


def test_the_model_is_told_to_rank_and_sees_only_the_needs_said() -> None:
    call = said(Call("morgan-saas"), "s1", "p1", "i1", "n1")
    d, prompt = prompt_of(
        call, "Which of these is a must-have for you?", coaching("need_payoff", language="en")
    )
    assert d.act == "rank"
    assert "rank what you need" in prompt and "- (must-have) If we could spot" in prompt
    unsaid = [n.text for p in call.persona.problems for n in p.need_payoffs if n.id not in {"n1"}]
    assert unsaid and not any(text in prompt for text in unsaid)


def test_a_sorting_question_read_as_a_situation_question_is_still_ranked() -> None:
    # Blind calls 6: Priya's "what's a must-have, say audit trail...; what's optional" read as
    # a situation question had got "let's not go there yet".
    call = said(Call("priya-finance"), "s1", "p1", "i1", "n1")
    d, _ = call.turn(
        "For anything you'd consider, what's a must-have, say audit trail and controls; what "
        "do you expect; and what's optional, like dashboards",
        coaching("situation", language="en"),
    )
    assert d.act == "rank" and [f.id for f in d.recalled] == ["n1"]


def test_a_summary_touching_a_public_topic_is_confirmed_not_answered_with_it() -> None:
    # Karen's summary ended "...and the refresh isn't funded yet. Is that a fair summary" and
    # had got the budget calendar.
    call = said(Call("karen-education"), "s1", "p1", "i1")
    d, _ = call.turn(
        "Let me play that back: repairs are stretching your techs, tracking across schools is "
        "patchy, and the refresh isn't funded yet. Is that a fair summary",
        coaching(None, question="closed", language="en", summary=True),
    )
    assert d.act in ("acknowledge", "elaborate") and d.reason == "summary"
    assert all(f.kind != "public" for f in d.facts)
