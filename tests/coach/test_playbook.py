"""playbook/coach/ and playbook/prep.yaml: validation errors name file and field; content drives behaviour."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from app.coach.analyzer import analyze
from app.playbook import coaching, prep
from app.playbook.errors import PlaybookError
from tests.coach.conftest import PLAYBOOK


@pytest.fixture
def playbook_copy(tmp_path: Path) -> Path:
    shutil.copytree(PLAYBOOK / "coach", tmp_path / "coach")
    shutil.copy(PLAYBOOK / "prep.yaml", tmp_path / "prep.yaml")
    return tmp_path


def edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_real_playbook_loads() -> None:
    rules = coaching.load(PLAYBOOK)
    assert set(rules.scenarios) == {"cold_call", "discovery"}
    assert [s.id for s in rules.scenarios["discovery"].stages][2:6] == [
        "situation",
        "problem",
        "implication",
        "need_payoff",
    ]
    assert rules.opener.limit_seconds == 30
    for flag in rules.flags.enabled:
        assert rules.tips.flags[flag].zh and rules.tips.flags[flag].en


def test_changing_a_tip_changes_the_coach(playbook_copy: Path) -> None:
    text = "Is your billing done in SAP?"
    before = analyze(text, coaching.load(playbook_copy))
    assert "closed_question" in before.flags

    def new_tip(d: dict) -> None:  # type: ignore[type-arg]
        d["flags"]["closed_question"]["en"] = "Turn it into a how-question."

    edit(playbook_copy / "coach" / "tips.yaml", new_tip)
    after = analyze(text, coaching.load(playbook_copy))
    assert after.tip == "Turn it into a how-question." != before.tip


def test_changing_a_threshold_changes_the_coach(playbook_copy: Path) -> None:
    text = "How many sites do you run, and who looks after the stock at each of them today?"
    assert "too_long" not in analyze(text, coaching.load(playbook_copy)).flags

    def lower(d: dict) -> None:  # type: ignore[type-arg]
        d["too_long"]["max_words"] = 10

    edit(playbook_copy / "coach" / "flags.yaml", lower)
    after = analyze(text, coaching.load(playbook_copy))
    assert "too_long" in after.flags
    assert "10 words" in after.tip


def test_changing_a_speech_rate_changes_the_opener_timing(playbook_copy: Path) -> None:
    text = "Hi, this is Dana from Routewise. Have you got two minutes?"
    before = analyze(text, coaching.load(playbook_copy), opener=True)
    assert before.opener is not None and before.opener.within_30_seconds

    def slow(d: dict) -> None:  # type: ignore[type-arg]
        d["speech_rates"]["en_words_per_second"] = 0.25

    edit(playbook_copy / "coach" / "opener.yaml", slow)
    after = analyze(text, coaching.load(playbook_copy), opener=True)
    assert after.opener is not None and not after.opener.within_30_seconds
    assert after.opener.estimated_seconds == 10 * before.opener.estimated_seconds


def test_a_new_cue_changes_the_spin_label(playbook_copy: Path) -> None:
    text = "Quel est votre plus grand défi?"
    assert analyze(text, coaching.load(playbook_copy), language="en").spin == "situation"

    def add_cue(d: dict) -> None:  # type: ignore[type-arg]
        d["types"]["problem"]["cues"][0]["en"].append(r"\bdéfi\b")

    edit(playbook_copy / "coach" / "spin.yaml", add_cue)
    assert analyze(text, coaching.load(playbook_copy), language="en").spin == "problem"


def test_pattern_that_does_not_compile_names_file_and_field(playbook_copy: Path) -> None:
    def broken(d: dict) -> None:  # type: ignore[type-arg]
        d["types"]["problem"]["cues"][0]["zh"][0] = "问题(("

    edit(playbook_copy / "coach" / "spin.yaml", broken)
    with pytest.raises(PlaybookError) as err:
        coaching.load(playbook_copy)
    assert err.value.file.endswith("spin.yaml")
    assert err.value.field == "types.problem.cues.0.zh.0"
    assert "does not compile" in err.value.problem


def test_missing_tip_for_an_enabled_flag_is_reported(playbook_copy: Path) -> None:
    def drop(d: dict) -> None:  # type: ignore[type-arg]
        del d["flags"]["too_long"]

    edit(playbook_copy / "coach" / "tips.yaml", drop)
    with pytest.raises(PlaybookError) as err:
        coaching.load(playbook_copy)
    assert err.value.file.endswith("tips.yaml") and err.value.field == "flags"


def test_unknown_tip_placeholder_is_reported(playbook_copy: Path) -> None:
    def typo(d: dict) -> None:  # type: ignore[type-arg]
        d["flags"]["too_long"]["en"] = "Keep it under {max_word} words."

    edit(playbook_copy / "coach" / "tips.yaml", typo)
    with pytest.raises(PlaybookError) as err:
        coaching.load(playbook_copy)
    assert err.value.field == "flags.too_long.en" and "max_word" in err.value.problem


def test_missing_coach_file_is_reported(playbook_copy: Path) -> None:
    (playbook_copy / "coach" / "scenarios.yaml").unlink()
    with pytest.raises(PlaybookError) as err:
        coaching.load(playbook_copy)
    assert err.value.file.endswith("scenarios.yaml") and err.value.problem == "missing"


def test_prep_dimensions_and_bands() -> None:
    rules = prep.load(PLAYBOOK)
    assert [d.id for d in rules.dimensions] == [
        "industry",
        "company_size",
        "annual_revenue",
        "decision_chain",
        "pain_urgency",
    ]
    assert sum(d.max_points for d in rules.dimensions) == 100
    assert all(d.label["zh"] and d.guide["en"] for d in rules.dimensions)
    assert [rules.band(s) for s in (100, 80, 79, 60, 59, 0)] == [
        "high",
        "high",
        "medium",
        "medium",
        "low",
        "low",
    ]


def test_prep_points_must_sum_to_100(playbook_copy: Path) -> None:
    def inflate(d: dict) -> None:  # type: ignore[type-arg]
        d["dimensions"][0]["max_points"] += 5

    edit(playbook_copy / "prep.yaml", inflate)
    with pytest.raises(PlaybookError) as err:
        prep.load(playbook_copy)
    assert err.value.file.endswith("prep.yaml") and "sum to 100" in err.value.problem


def test_prep_dimension_needs_both_languages(playbook_copy: Path) -> None:
    def drop_en(d: dict) -> None:  # type: ignore[type-arg]
        del d["dimensions"][2]["guide"]["en"]

    edit(playbook_copy / "prep.yaml", drop_en)
    with pytest.raises(PlaybookError) as err:
        prep.load(playbook_copy)
    assert err.value.field == "dimensions.2.guide"
