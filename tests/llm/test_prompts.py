"""The prompt library: strict rendering, plain text, versions that follow the template source."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from app.llm.prompts import PromptLibrary


@pytest.fixture
def prompts(tmp_path: Path) -> PromptLibrary:
    (tmp_path / "greeting.en.j2").write_text(
        "{% if formal %}\nGood day, {{ name }}.\n{% else %}\nHi {{ name }}!\n{% endif %}\n",
        encoding="utf-8",
    )
    (tmp_path / "greeting.zh.j2").write_text("你好,{{ name }}。\n", encoding="utf-8")
    (tmp_path / "letter.en.j2").write_text(
        '{% include "footer.txt" %}\nDear {{ name }}\n', encoding="utf-8"
    )
    (tmp_path / "footer.txt").write_text("-- the team\n", encoding="utf-8")
    return PromptLibrary(tmp_path)


def test_render_picks_the_language_file_and_trims_block_lines(prompts: PromptLibrary) -> None:
    assert prompts.render("greeting", "en", name="Ann", formal=True) == "Good day, Ann.\n"
    assert prompts.render("greeting", "en", name="Ann", formal=False) == "Hi Ann!\n"
    assert prompts.render("greeting", "zh", name="陈静") == "你好,陈静。"


def test_a_missing_variable_is_an_error_not_an_empty_string(prompts: PromptLibrary) -> None:
    with pytest.raises(UndefinedError):
        prompts.render("greeting", "en", formal=True)


def test_text_is_never_html_escaped(prompts: PromptLibrary) -> None:
    assert prompts.render("greeting", "zh", name="<A&B>") == "你好,<A&B>。"


def test_version_is_short_stable_and_follows_the_source(
    prompts: PromptLibrary, tmp_path: Path
) -> None:
    before = prompts.version("greeting", "en")
    assert len(before) == 12 and before == prompts.version("greeting", "en")
    assert before != prompts.version("greeting", "zh")
    (tmp_path / "greeting.en.j2").write_text("Hello {{ name }}.\n", encoding="utf-8")
    assert prompts.version("greeting", "en") != before


def test_version_covers_included_templates(prompts: PromptLibrary, tmp_path: Path) -> None:
    before = prompts.version("letter", "en")
    (tmp_path / "footer.txt").write_text("-- someone else\n", encoding="utf-8")
    assert prompts.version("letter", "en") != before


def test_combined_version_changes_with_any_member(prompts: PromptLibrary, tmp_path: Path) -> None:
    before = prompts.combined_version(("greeting",), ("en", "zh"))
    (tmp_path / "greeting.zh.j2").write_text("您好,{{ name }}。\n", encoding="utf-8")
    assert prompts.combined_version(("greeting",), ("en", "zh")) != before


def test_the_real_customer_prompts_render_in_both_languages() -> None:
    from app.config import ROOT
    from app.playbook.loader import load_personas

    library = PromptLibrary(ROOT / "prompts")
    for persona in load_personas(ROOT / "playbook").values():
        system = library.render(
            "customer_system", persona.language, persona=persona, scenario="cold_call"
        )
        assert persona.name in system and persona.title in system
        turn = library.render(
            "customer_turn",
            persona.language,
            rep_text="?",
            act="reveal",
            mood="neutral",
            reason=None,
            terse=False,
            objection=None,
            facts=[{"kind": "situation", "text": "F1"}],
            recalled=[{"kind": "problem", "text": "R1"}],
            ends=False,
            step_time=None,
        )
        assert "- F1" in turn
        assert "- R1" in turn
        counter = library.render(
            "customer_turn",
            persona.language,
            rep_text="?",
            act="counter_next_step",
            mood="neutral",
            reason="busy",
            terse=False,
            objection=None,
            facts=[],
            recalled=[],
            ends=False,
            step_time="Monday at 10am",
        )
        # The slot the customer offers reaches the model as the state machine chose it.
        assert "Monday at 10am" in counter
