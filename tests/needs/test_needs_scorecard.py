from __future__ import annotations

import pytest

from app.coach.schemas import NextStepSignal
from app.needs.schemas import Scorecard
from app.needs.scorecard import score_session
from app.playbook.persona import Persona
from tests.needs.needs_dialogues import (
    CHEN,
    MAYA,
    OPENER_POOR,
    Dialogue,
    chen_discovery_good,
    chen_pitch_first,
    liu_cold_call_good,
    maya_discovery_good,
    maya_pitch_first,
)


def card_of(d: Dialogue, scenario: str, rubric) -> Scorecard:
    return score_session(d.persona, scenario, d.turns, rubric, d.language)


def by_id(card: Scorecard):
    return {c.id: c for c in card.criteria}


@pytest.mark.parametrize(
    ("good", "pitch", "scenario"),
    [
        (chen_discovery_good, chen_pitch_first, "discovery"),
        (maya_discovery_good, maya_pitch_first, "discovery"),
        (maya_discovery_good, maya_pitch_first, "cold_call"),
    ],
)
def test_discovery_beats_pitch_first_by_25_points_and_criteria_say_why(
    good, pitch, scenario, rubric
):
    good_d, pitch_d = good(), pitch()
    good_card, pitch_card = card_of(good_d, scenario, rubric), card_of(pitch_d, scenario, rubric)
    assert good_card.total - pitch_card.total >= 25
    pitch_criteria = by_id(pitch_card)
    pitches = [t.seq for t in pitch_d.turns if t.coaching and t.coaching.signals.pitch]
    if scenario == "cold_call":
        pitches = [seq for seq in pitches if seq != 1]  # the opener's purpose line is no pitch
    # The pitch-first call loses premature_pitch points on exactly its pitch turns ...
    premature = pitch_criteria["premature_pitch"]
    assert premature.points <= premature.max_points / 2
    assert premature.evidence_turns == pitches
    # ... its closed questions explain the open-question ratio ...
    closed = [t.seq for t in pitch_d.turns if t.coaching and t.coaching.question == "closed"]
    assert pitch_criteria["open_questions"].evidence_turns == closed
    # ... and the good call's needs are credited to the customer turns that revealed them.
    good_criteria = by_id(good_card)
    revealed = [t.seq for t in good_d.turns for f in t.revealed if f.kind == "need_payoff"]
    assert good_criteria["discovery_coverage"].evidence_turns == revealed
    assert (
        good_criteria["discovery_coverage"].points == good_criteria["discovery_coverage"].max_points
    )
    for cid in ("spin_coverage", "implication_depth", "discovery_coverage", "premature_pitch"):
        assert good_criteria[cid].points > pitch_criteria[cid].points, cid


@pytest.mark.parametrize("make", [chen_discovery_good, chen_pitch_first, liu_cold_call_good])
@pytest.mark.parametrize("scenario", ["cold_call", "discovery"])
def test_total_is_the_rescaled_sum_and_within_bounds(make, scenario, rubric):
    card = card_of(make(), scenario, rubric)
    assert sum(c.max_points for c in card.criteria) == pytest.approx(100, abs=0.6)
    assert card.total == pytest.approx(sum(c.points for c in card.criteria), abs=1)
    assert 0 <= card.total <= 100
    assert all(0 <= c.points <= c.max_points for c in card.criteria)
    assert card.band == rubric.band_for(card.total).id


def test_criteria_follow_the_scenario(rubric):
    cold = {c.id for c in card_of(liu_cold_call_good(), "cold_call", rubric).criteria}
    disc = {c.id for c in card_of(chen_discovery_good(), "discovery", rubric).criteria}
    assert {"opener", "value_points"} <= cold and "rapport" not in cold
    assert {"rapport", "value_points"} <= disc and "opener" not in disc
    assert {"conduct", "listening"} <= cold & disc


def test_opener_checklist_names_what_was_missing(rubric):
    d = Dialogue(MAYA)
    d.rep("Hi, this is Sam from Deskly, we do software, anyway.", opener=OPENER_POOR)
    d.customer("Okay?")
    crit = by_id(card_of(d, "cold_call", rubric))["opener"]
    assert crit.points == pytest.approx(crit.max_points / 5, abs=0.1)
    assert crit.evidence_turns == [1]
    assert "say why you call" in crit.comment and "finish within 30 seconds" in crit.comment
    assert "say who you are" not in crit.comment


def test_comments_are_in_the_sessions_language(rubric):
    zh = card_of(chen_discovery_good(), "discovery", rubric)
    en = card_of(maya_discovery_good(), "discovery", rubric)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.comment + c.label) for c in zh.criteria)
    assert all(c.comment.isascii() and c.label.isascii() for c in en.criteria)
    assert zh.band_label == "优秀" and en.band_label == "Excellent"


def test_rapport_counts_only_before_business(rubric):
    d = Dialogue(CHEN)
    d.rep("你们现在怎么排线?", spin="situation", question="open")
    d.customer(reveal=["s1"])
    d.rep("最近天气不错啊。", small_talk=True)
    d.customer("是啊。", act="small_talk")
    crit = by_id(card_of(d, "discovery", rubric))["rapport"]
    assert 0 < crit.points < crit.max_points
    assert crit.evidence_turns == [1, 3]
    assert "第1轮" in crit.comment


def test_implication_before_any_pain_is_out_of_order(rubric):
    d = Dialogue(CHEN)
    d.rep("排线出错会给你们带来多大损失?", spin="implication", question="open")
    d.customer("我们没觉得排线有问题。")
    d.rep("你们有几个调度员?", spin="situation", question="open")
    d.customer(reveal=["s1"])
    d.rep("排线上有什么困难?", spin="problem", question="open")
    d.customer(reveal=["p1"])
    d.rep("排错了对客户有什么影响?", spin="implication", question="open")
    d.customer(reveal=["i1"])
    crit = by_id(card_of(d, "discovery", rubric))["spin_order"]
    assert crit.evidence_turns == [1]
    # 3 of 4 questions in order, and 3 answered of the 4 that make a call count in full.
    engaged = 3 / rubric.engagement.full_at
    assert crit.points == pytest.approx(crit.max_points * 3 / 4 * engaged, abs=0.1)


def test_value_point_must_answer_a_stated_pain(rubric):
    tied = by_id(card_of(liu_cold_call_good(), "cold_call", rubric))["value_points"]
    assert tied.points == tied.max_points and tied.evidence_turns == [11]
    d = Dialogue(MAYA)
    d.rep("Our platform has great dashboards and a mobile app.", value_point=True)
    d.customer("Okay.")
    untied = by_id(card_of(d, "discovery", rubric))["value_points"]
    assert untied.points == 0 and untied.evidence_turns == [1]


@pytest.mark.parametrize(
    ("signal", "act", "share"),
    [
        (
            NextStepSignal(proposed=True, has_concrete_time=True, time_text="Friday 2pm"),
            "accept_next_step",
            1.0,
        ),
        (NextStepSignal(proposed=True, has_concrete_time=False), "accept_next_step", 0.5),
        (
            NextStepSignal(proposed=True, has_concrete_time=True, time_text="Friday 2pm"),
            "defer_next_step",
            0.4,
        ),
        (None, None, 0.0),
    ],
)
def test_next_step_needs_a_concrete_time_and_a_yes(signal, act, share, rubric):
    d = Dialogue(MAYA)
    d.rep("How is the team set up?", spin="situation", question="open")
    d.customer(reveal=["s1"])
    if signal is not None:
        d.rep("Shall we talk again Friday 2pm?", next_step=signal, question="closed")
        d.customer("Sure." if act == "accept_next_step" else "Not now.", act=act)
    crit = by_id(card_of(d, "discovery", rubric))["next_step"]
    assert crit.points == pytest.approx(crit.max_points * share, abs=0.1)
    assert crit.evidence_turns == ([3, 4] if signal else [])


def test_figures_count_spin_questions_ratios_and_needs(rubric):
    card = card_of(chen_discovery_good(), "discovery", rubric)
    assert card.spin_counts == {"situation": 1, "problem": 2, "implication": 2, "need_payoff": 2}
    assert card.open_question_ratio == pytest.approx(7 / 9, abs=0.001)
    assert 0.3 < card.rep_talk_ratio < 0.6
    assert (card.needs_discovered, card.needs_total) == (2, 2)
    pitch = card_of(chen_pitch_first(), "discovery", rubric)
    assert pitch.rep_talk_ratio > card.rep_talk_ratio
    assert (pitch.needs_discovered, pitch.needs_total) == (0, 2)


def test_persona_without_hidden_needs_drops_discovery_coverage(rubric):
    bare = Persona.model_validate(
        {"id": "bare", "language": "en", "name": "B", "title": "T", "company": "C", "industry": "I"}
    )
    d = Dialogue(bare)
    d.rep("How do you work today?", spin="situation", question="open")
    d.customer("Fine.")
    card = card_of(d, "discovery", rubric)
    assert "discovery_coverage" not in {c.id for c in card.criteria}
    assert card.needs_total == 0


@pytest.mark.parametrize("make", [chen_discovery_good, chen_pitch_first, maya_discovery_good])
def test_english_comments_agree_in_number(make, rubric):
    """Counts take the plural that fits them ("1 implication question", "2 pitches"), not "(s)"."""
    import re

    from app.needs.scorecard import _fill

    assert _fill("{n} pitch{n_s}, {m} question{m_s}", {"n": 1, "m": 2}) == "1 pitch, 2 questions"
    d = make()
    card = score_session(d.persona, "discovery", d.turns, rubric, "en")
    comments = " ".join(c.comment for c in card.criteria)
    assert "(s)" not in comments and "(es)" not in comments
    assert not re.search(r"\b1 [\w-]+ (?:questions|consequences|pitches|turns|pains)\b", comments)


def test_a_plural_of_an_unknown_placeholder_is_refused(rubric):
    from app.playbook.scoring import Criterion

    raw = rubric.criteria[0].model_dump()
    raw["comments"]["good"]["en"] = "{bogus_s}"
    with pytest.raises(ValueError, match="bogus_s"):
        Criterion.model_validate(raw)
