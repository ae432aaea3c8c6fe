"""The catalogue, the SPIN tracker, the opener checklist and the chart geometry."""

from __future__ import annotations

import re

from app.coach.schemas import Coaching
from app.web import charts, progress
from app.web.catalogue import LANGUAGES, Translator, catalogue, from_accept_language
from app.web.templating import TEMPLATES_DIR


def test_both_languages_hold_the_same_keys() -> None:
    assert set(catalogue("zh")) == set(catalogue("en"))


def test_every_literal_key_in_the_templates_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]+)'\s*[,)]", template.read_text("utf-8")))
    assert used
    for language in LANGUAGES:
        assert used - set(catalogue(language)) == set(), language


def test_placeholders_agree_between_languages() -> None:
    for key, en in catalogue("en").items():
        assert set(re.findall(r"{(\w+)}", en)) == set(
            re.findall(r"{(\w+)}", catalogue("zh")[key])
        ), key


def test_translator_fills_placeholders_and_shows_missing_keys() -> None:
    assert Translator("zh")("chat.title", name="陈静") == "与陈静对练"
    assert Translator("en")("no.such.key") == "no.such.key"


def test_browser_language_picks_the_first_we_have() -> None:
    assert from_accept_language("fr-FR,zh-CN;q=0.8,en;q=0.5") == "zh"
    assert from_accept_language(None) == "en"


def coaching(spin: str | None, question: str | None = "open", **extra: object) -> Coaching:
    return Coaching.model_validate(
        {"language": "en", "spin": spin, "question": question, "flags": [], "tip": "", **extra}
    )


def test_tracker_counts_types_and_reaches_the_furthest_stage_asked() -> None:
    tracker = progress.spin_tracker(
        [
            coaching("situation"),
            None,
            coaching(None),
            coaching("implication"),
            coaching("situation"),
        ]
    )
    assert tracker.counts == {"situation": 2, "problem": 0, "implication": 1, "need_payoff": 0}
    assert tracker.stage == "implication"
    assert progress.spin_tracker([coaching(None)]).stage is None


def opener(**checks: bool) -> dict[str, object]:
    base = dict.fromkeys(progress.OPENER_CHECKS, False)
    return {**base, **checks, "estimated_seconds": 12.5}


def test_opener_checklist_ticks_what_any_opener_met() -> None:
    checklist = progress.opener_checklist(
        [
            coaching(None, opener=opener(introduced_self=True)),
            coaching(None, opener=opener(named_pain=True)),
        ]
    )
    assert checklist.checks["introduced_self"] and checklist.checks["named_pain"]
    assert not checklist.checks["asked_for_time"]
    assert checklist.seconds == 12.5


def test_timeline_puts_each_rep_turn_on_its_spin_lane_in_order() -> None:
    timeline = charts.spin_timeline(
        [
            (1, "hi", coaching(None, None)),
            (3, "how many sites?", coaching("situation")),
            (5, "x", None),
        ]
    )
    assert [d.seq for d in timeline.dots] == [1, 3, 5]
    assert [d.spin for d in timeline.dots] == ["none", "situation", "none"]
    assert timeline.dots[1].y == timeline.lane_y["situation"] < timeline.lane_y["none"]
    assert timeline.dots[0].x < timeline.dots[1].x < timeline.dots[2].x < timeline.width
    assert timeline.dots[1].open and not timeline.dots[0].open


def test_sparkline_maps_higher_scores_higher_up() -> None:
    points = [tuple(map(float, p.split(","))) for p in charts.sparkline([20, 80]).split()]
    assert points[0][1] > points[1][1]
    assert charts.sparkline([]) == ""
    assert len(charts.sparkline([50]).split()) == 2


def test_spin_mix_segments_fill_the_bar_in_proportion() -> None:
    segments = charts.spin_mix({"situation": 3, "none": 1}, width=100)
    assert [(s.spin, s.width) for s in segments] == [("situation", 75.0), ("none", 25.0)]
    assert segments[1].x == 75.0


def test_pasted_persona_parsing_refuses_alias_bombs_and_deep_nesting() -> None:
    from app.web.personas import parse_persona_source

    t = Translator("en")
    levels = ["a: &a ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']"]
    for i, name in enumerate("bcdefg"):
        prev = "a" if i == 0 else "bcdefg"[i - 1]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    data, errors = parse_persona_source("\n".join(levels) + "\nid: x\n", t)
    assert data is None and "too large" in errors[0]
    data, errors = parse_persona_source("[" * 50_000, t)
    assert data is None and errors
    data, errors = parse_persona_source("id: ok\nname: Sam\n", t)
    assert data == {"id": "ok", "name": "Sam"} and errors == []
