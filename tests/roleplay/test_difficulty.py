"""The call's difficulty (customer.yaml `difficulty`): starting patience and warm-up before problems."""

from __future__ import annotations

from app.roleplay.state import decide, initial_state
from tests.roleplay.test_state import PERSONAS, RULES, coaching, read


def test_difficulty_scales_the_starting_patience() -> None:
    persona = PERSONAS["liu-retail"]
    normal = initial_state(persona, RULES, "normal").patience
    assert initial_state(persona, RULES, "easy").patience > normal
    assert initial_state(persona, RULES, "hard").patience < normal
    assert (
        initial_state(persona, RULES, "hard").max_patience
        == initial_state(persona, RULES, "hard").patience
    )


def _first_problem_question(persona_id: str, difficulty: str, text: str, language: str) -> str:
    persona = PERSONAS[persona_id]
    state = initial_state(persona, RULES, difficulty)  # type: ignore[arg-type]
    c = read(text, coaching("problem", language=language))
    return decide(state, persona, c, "discovery", RULES, seq=1).act


def test_hard_asks_even_a_friendly_customer_for_warm_up_before_problems() -> None:
    question = "生鲜损耗这块,哪些地方让您最头疼?"
    assert _first_problem_question("liu-retail", "normal", question, "zh") == "reveal"
    assert _first_problem_question("liu-retail", "hard", question, "zh") == "deflect"


def test_easy_lets_a_busy_customer_talk_problems_without_warm_up() -> None:
    question = "你们排线最大的难题是什么?"
    assert _first_problem_question("chen-logistics", "normal", question, "zh") == "deflect"
    assert _first_problem_question("chen-logistics", "easy", question, "zh") == "reveal"
