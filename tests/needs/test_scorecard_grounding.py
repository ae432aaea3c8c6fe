"""Implication depth counts only questions about a pain the customer has already named."""

from __future__ import annotations

from pathlib import Path

from app.coach.schemas import Coaching
from app.needs.scorecard import score_session
from app.playbook.loader import load_playbook
from app.roleplay.transcript import RevealedFact, TranscriptTurn

PLAYBOOK = load_playbook(Path(__file__).resolve().parents[2] / "playbook")
PERSONA = PLAYBOOK.personas["morgan-saas"]


def rep(seq: int, text: str, spin: str) -> TranscriptTurn:
    coaching = Coaching(language="en", spin=spin, question="open")  # type: ignore[arg-type]
    return TranscriptTurn(seq=seq, speaker="rep", text=text, coaching=coaching)


def customer(seq: int, text: str, *facts: RevealedFact) -> TranscriptTurn:
    return TranscriptTurn(
        seq=seq,
        speaker="customer",
        text=text,
        revealed=list(facts),
        act="reveal" if facts else "deflect",
    )


def depth(turns: list[TranscriptTurn]) -> float:
    card = score_session(PERSONA, "discovery", turns, PLAYBOOK.scoring, "en", rules=PLAYBOOK.needs)
    return next(c.points for c in card.criteria if c.id == "implication_depth")


def test_implication_questions_before_any_pain_earn_nothing() -> None:
    problem = PERSONA.problems[0]
    ungrounded = [
        rep(1, "What does churn cost you?", "implication"),
        customer(2, "Which problem? I haven't mentioned one."),
        rep(3, "How does that affect renewals?", "implication"),
        customer(4, "We're not seeing a big problem."),
    ]
    grounded = [
        rep(1, "What's hardest about renewals?", "problem"),
        customer(2, problem.text, RevealedFact(kind="problem", id=problem.id, text=problem.text)),
        rep(3, "What does that cost you?", "implication"),
        customer(4, "Quite a lot."),
        rep(5, "How does it affect the team?", "implication"),
        customer(6, "They are stretched."),
    ]
    assert depth(ungrounded) == 0
    assert depth(grounded) > 0
