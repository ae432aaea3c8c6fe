"""Missed opportunities: where the rep could have built on what the customer said."""

from __future__ import annotations

from pathlib import Path

from app.coach.analyzer import analyze
from app.coach.schemas import Coaching, NextStepSignal, Signals
from app.needs import export, missed
from app.needs.schemas import Scorecard, SessionExport
from app.playbook.loader import load_playbook
from app.roleplay.transcript import RevealedFact, TranscriptTurn

PLAYBOOK = load_playbook(Path(__file__).resolve().parents[2] / "playbook")
CHEN = PLAYBOOK.personas["chen-logistics"]
MORGAN = PLAYBOOK.personas["morgan-saas"]


def fact(persona_id: str, fact_id: str) -> RevealedFact:
    persona = PLAYBOOK.personas[persona_id]
    for p in persona.problems:
        for f in [p, *p.implications, *p.need_payoffs]:
            if f.id == fact_id:
                kind = persona.fact_kind(f.id)
                assert kind is not None
                return RevealedFact(kind=kind, id=f.id, text=f.text, problem_id=p.id)
    s = next(f for f in persona.situation if f.id == fact_id)
    return RevealedFact(kind="situation", id=s.id, text=s.text)


def rep(seq: int, language: str = "zh", **reading: object) -> TranscriptTurn:
    coaching = Coaching.model_validate({"language": language, **reading})
    return TranscriptTurn(seq=seq, speaker="rep", text="...", coaching=coaching)


def says(seq: int, *facts: RevealedFact, lead: str = "嗯,") -> TranscriptTurn:
    text = lead + "".join(f.text for f in facts) if facts else "好的。"
    return TranscriptTurn(seq=seq, speaker="customer", text=text, revealed=list(facts))


STEP = Signals(next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="周二"))


def test_a_problem_never_explored_points_at_the_turn_with_an_implication_question() -> None:
    p1 = fact("chen-logistics", "p1")
    turns = [
        rep(1, spin="problem", question="open"),
        says(2, p1),
        rep(3, spin="situation", question="open"),
        says(4, fact("chen-logistics", "s2")),
    ]
    found = missed.find(CHEN, "discovery", turns, PLAYBOOK)
    assert [(m.kind, m.turn_seq) for m in found] == [("problem_not_explored", 2)]
    only = found[0]
    assert "高峰期排一次线要3个小时" in only.comment and "#2" in only.comment
    # The better question is one the coach itself reads as an open implication question.
    reading = analyze(only.better_question, PLAYBOOK.coach, language="zh")
    assert (reading.spin, reading.question) == ("implication", "open")
    assert only.label == "难点没有展开"


def test_an_implication_question_after_the_problem_means_it_was_explored() -> None:
    turns = [
        rep(1, spin="problem", question="open"),
        says(2, fact("chen-logistics", "p1")),
        rep(3, spin="implication", question="open"),
        says(4),
    ]
    assert missed.find(CHEN, "discovery", turns, PLAYBOOK) == []


def test_an_implication_never_turned_into_a_need_payoff() -> None:
    i1 = fact("chen-logistics", "i1")
    turns = [
        rep(1, spin="problem", question="open"),
        says(2, fact("chen-logistics", "p1")),
        rep(3, spin="implication", question="open"),
        says(4, i1),
        rep(5, spin="situation", question="open"),
        says(6),
    ]
    found = missed.find(CHEN, "discovery", turns, PLAYBOOK)
    assert [(m.kind, m.turn_seq) for m in found] == [("implication_not_developed", 4)]
    assert "赔了客户40多万" in found[0].comment
    reading = analyze(found[0].better_question, PLAYBOOK.coach, language="zh")
    assert (reading.spin, reading.question) == ("need_payoff", "open")


def test_next_steps_before_interest_and_without_a_summary() -> None:
    p1 = fact("morgan-saas", "p1")
    turns = [
        rep(1, "en", spin="problem", question="open"),
        says(2, p1, lead="Well, "),
        rep(3, "en", signals=STEP),
        says(4),
    ]
    found = missed.find(MORGAN, "discovery", turns, PLAYBOOK)
    kinds = {m.kind: m for m in found}
    assert set(kinds) == {
        "problem_not_explored",
        "next_step_before_interest",
        "no_summary_before_next_step",
    }
    early = kinds["next_step_before_interest"]
    assert early.turn_seq == 2 and "#3" in early.comment and early.better_question.isascii()
    recap = kinds["no_summary_before_next_step"]
    # The better question plays back the customer's own words.
    assert "we usually find out an account is unhappy" in recap.better_question
    # A summary before the proposal clears it; in a cold call a problem is interest enough.
    summarised = [*turns[:2], rep(3, "en", signals=Signals(summary=True)), says(4),
                  rep(5, "en", signals=STEP), says(6)]  # fmt: skip
    again = {m.kind for m in missed.find(MORGAN, "cold_call", summarised, PLAYBOOK)}
    assert again == {"problem_not_explored"}


def test_exports_list_the_missed_opportunities() -> None:
    turns = [rep(1, spin="problem", question="open"), says(2, fact("chen-logistics", "p1"))]
    found = missed.find(CHEN, "discovery", turns, PLAYBOOK)
    card = Scorecard(
        total=10,
        band="needs_work",
        criteria=[],
        spin_counts={},
        open_question_ratio=1.0,
        rep_talk_ratio=0.5,
        needs_discovered=0,
        needs_total=3,
        missed_opportunities=found,
    )
    bundle = SessionExport.model_validate(
        {
            "session_id": "s",
            "persona_id": CHEN.id,
            "persona_name": CHEN.name,
            "scenario": "discovery",
            "language": "zh",
            "rep": "rep",
            "created_at": "2026-01-01T00:00:00Z",
            "turns": turns,
            "scorecard": card,
        }
    )
    markdown = export.export_markdown(bundle, "zh")
    assert "### 错过的机会" in markdown and found[0].better_question in markdown
    csv_rows = [r for r in export.export_csv(bundle).splitlines() if r.startswith("missed,")]
    assert len(csv_rows) == 1 and ",2,customer,problem_not_explored," in csv_rows[0]
    assert '"missed_opportunities"' in export.export_json(bundle)
