"""Every persona in playbook/personas/ loads and has enough hidden facts to practise SPIN on."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from app.playbook.persona import Fact, Persona

PERSONA_DIR = Path(__file__).resolve().parents[2] / "playbook" / "personas"
FILES = sorted(PERSONA_DIR.glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def load(path: Path) -> Persona:
    return Persona.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


PERSONAS = [load(p) for p in FILES]


def test_at_least_four_personas_per_language() -> None:
    by_language = Counter(p.language for p in PERSONAS)
    assert by_language["zh"] >= 4
    assert by_language["en"] >= 4


def test_personas_cover_personalities_difficulties_and_industries() -> None:
    for language in ("zh", "en"):
        mine = [p for p in PERSONAS if p.language == language]
        assert {p.personality for p in mine} == {"busy", "friendly", "skeptical", "analytical"}
    assert {p.difficulty for p in PERSONAS} == {"easy", "medium", "hard"}
    assert len({p.industry for p in PERSONAS}) == len(PERSONAS)
    assert len({p.decision_role for p in PERSONAS}) >= 2


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_name_is_the_persona_id(path: Path) -> None:
    assert load(path).id == path.stem


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_persona_has_enough_hidden_facts(persona: Persona) -> None:
    assert len(persona.situation) >= 2
    assert len(persona.problems) >= 2
    for problem in persona.problems:
        assert len(problem.implications) >= 1, problem.id
        assert len(problem.need_payoffs) >= 1, problem.id
    assert len(persona.objections) >= 2
    assert persona.difficulty is not None
    assert persona.background


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_need_payoffs_mix_priorities(persona: Persona) -> None:
    priorities = {n.priority for p in persona.problems for n in p.need_payoffs}
    assert "must" in priorities
    assert len(priorities) >= 2


def test_all_priorities_appear_across_personas() -> None:
    seen = {n.priority for persona in PERSONAS for p in persona.problems for n in p.need_payoffs}
    assert seen == {"must", "expected", "optional"}


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_text_and_keywords_are_in_the_persona_language(persona: Persona) -> None:
    for fact in persona.all_facts():
        assert fact.keywords, fact.id
        if persona.language == "zh":
            assert CJK.search(fact.text), fact.id
            assert any(CJK.search(k) for k in fact.keywords), fact.id
        else:
            assert not CJK.search(fact.text), fact.id
            assert not any(CJK.search(k) for k in fact.keywords), fact.id
    objections = " ".join(o.text for o in persona.objections)
    assert bool(CJK.search(objections)) == (persona.language == "zh")


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_first_keyword_points_at_one_fact_of_its_kind(persona: Persona) -> None:
    # Practice scripts and the tests build questions from the first keyword of each fact.
    kinds: dict[str, list[Fact]] = {
        "situation": list(persona.situation),
        "problem": list(persona.problems),
        "implication": [i for p in persona.problems for i in p.implications],
        "need_payoff": [n for p in persona.problems for n in p.need_payoffs],
    }
    for kind, facts in kinds.items():
        firsts = [f.keywords[0] for f in facts]
        assert len(set(firsts)) == len(firsts), kind


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_card_hides_the_facts(persona: Persona) -> None:
    card = persona.card()
    dumped = str(card)
    assert "situation" not in card and "problems" not in card and "objections" not in card
    assert all(f.text not in dumped for f in persona.all_facts())
