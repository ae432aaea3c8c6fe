"""Extraction and scoring on the playbook's own personas (scripted-engine style turns)."""

from __future__ import annotations

import pytest

from app.coach.schemas import NextStepSignal
from app.needs.extract import build_needs_record, cue_priority
from app.needs.schemas import ITEM_FIELDS
from app.needs.scorecard import score_session
from app.playbook.loader import load_personas
from app.playbook.persona import Persona
from tests.needs.conftest import PLAYBOOK
from tests.needs.needs_dialogues import Dialogue

PERSONAS = load_personas(PLAYBOOK)
LEAD_IN = {"zh": "嗯,这么说吧,", "en": "Well, let me put it this way."}
FIELD_OF = {
    "situation": "situation",
    "problem": "problems",
    "implication": "implications",
    "need_payoff": "need_payoffs",
}


def good_call(p: Persona) -> Dialogue:
    d = Dialogue(p)
    zh = p.language == "zh"
    d.rep("最近忙吗?" if zh else "How has your week been?", small_talk=True, question="open")
    d.customer("还行。" if zh else "Busy, as always.", act="small_talk")
    for fact in p.situation:
        d.rep(
            "现在是怎么做的?" if zh else "How does that work today?",
            spin="situation",
            question="open",
        )
        d.customer(reveal=[fact.id], lead_in=LEAD_IN[p.language])
    for problem in p.problems:
        d.rep(
            "哪些地方最费劲?" if zh else "What is hardest there?", spin="problem", question="open"
        )
        d.customer(reveal=[problem.id], lead_in=LEAD_IN[p.language])
        for i in problem.implications:
            d.rep(
                "这会带来什么影响?" if zh else "What does that cost you?",
                spin="implication",
                question="open",
            )
            d.customer(reveal=[i.id], lead_in=LEAD_IN[p.language])
        for n in problem.need_payoffs:
            d.rep(
                "解决了对您意味着什么?" if zh else "What would fixing it mean?",
                spin="need_payoff",
                question="open",
            )
            d.customer(reveal=[n.id], lead_in=LEAD_IN[p.language])
    d.rep(
        "周四上午10点视频演示,可以吗?" if zh else "Could we do a video demo Thursday at 10am?",
        question="closed",
        next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="10"),
    )
    d.customer("可以。" if zh else "Fine.", act="accept_next_step")
    return d


def pitch_call(p: Persona) -> Dialogue:
    d = Dialogue(p)
    zh = p.language == "zh"
    d.rep(
        "我们的产品是行业第一,功能最全,价格最优,您一定要试试。"
        if zh
        else "Our product is number one, with every feature and the best price; you must try it.",
        pitch=True,
        flags=["premature_pitch"],
    )
    d.customer("没兴趣。" if zh else "Not interested.", act="object")
    d.rep("你们有用系统吗?" if zh else "Do you use a system?", spin="situation", question="closed")
    d.customer(reveal=[p.situation[0].id], lead_in=LEAD_IN[p.language])
    d.rep(
        "下次再聊?" if zh else "Talk again sometime?",
        question="closed",
        next_step=NextStepSignal(proposed=True),
    )
    d.customer("再说吧。" if zh else "Maybe later.", act="defer_next_step")
    return d


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
def test_real_persona_facts_land_in_their_fields(persona_id, needs_rules):
    p = PERSONAS[persona_id]
    d = good_call(p)
    record = build_needs_record("s", p, "discovery", d.turns, needs_rules, p.language)
    expected = sorted((FIELD_OF[f.kind], t.seq, f.text) for t in d.turns for f in t.revealed)
    got = sorted((f, i.turn_seq, i.text) for f in ITEM_FIELDS for i in record.items(f))
    assert got == expected
    assert len(record.needs) == p.need_payoff_count
    by_seq = {t.seq: t for t in d.turns}
    for need in record.needs:
        fact = by_seq[need.turn_seq].revealed[0]
        persona_priority = next(
            n.priority for q in p.problems for n in q.need_payoffs if n.id == fact.id
        )
        # The customer's own words decide; where they carry no cue the persona's priority stands.
        assert need.priority == (
            cue_priority(by_seq[need.turn_seq].text, needs_rules) or persona_priority
        )


@pytest.mark.parametrize("persona_id", sorted(PERSONAS))
@pytest.mark.parametrize("scenario", ["discovery", "cold_call"])
def test_real_persona_discovery_beats_pitching(persona_id, scenario, rubric):
    p = PERSONAS[persona_id]
    good = score_session(p, scenario, good_call(p).turns, rubric, p.language)
    pitch = score_session(p, scenario, pitch_call(p).turns, rubric, p.language)
    assert good.total - pitch.total >= 25
    assert good.needs_discovered == good.needs_total == p.need_payoff_count
