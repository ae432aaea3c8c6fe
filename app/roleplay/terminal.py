"""`salescoach practice`: the same role-play in the terminal, coaching printed under each turn.

The conversation is kept in memory; `/finish` (or end of input) prints the scorecard and the
needs record. The engine is the one the server would use (scripted offline, else the LLM).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from app.coach import analyzer as coach
from app.coach.schemas import CoachContext, Coaching, EarlierTurn, Scenario
from app.config import Settings
from app.errors import AppError
from app.playbook.loader import Playbook
from app.roleplay.engine import CustomerEngine, ReplyContext
from app.roleplay.state import decide, initial_state
from app.roleplay.transcript import TranscriptTurn

LABELS = {
    "zh": {"you": "你", "coach": "教练", "ended": "客户结束了通话。", "score": "总分"},
    "en": {
        "you": "you",
        "coach": "coach",
        "ended": "The customer ended the call.",
        "score": "Total",
    },
}


def describe(coaching: Coaching) -> str:
    parts = [f"SPIN: {coaching.spin or '-'}", f"question: {coaching.question or '-'}"]
    if coaching.flags:
        parts.append("flags: " + ", ".join(coaching.flags))
    if coaching.opener is not None:
        checks = coaching.opener.model_dump()
        seconds = checks.pop("estimated_seconds")
        parts.append(
            "opener: "
            + " ".join(("✓" if ok else "✗") + name for name, ok in checks.items())
            + f" ({seconds:.0f}s)"
        )
    return " | ".join(parts) + (f"\n  → {coaching.tip}" if coaching.tip else "")


async def practice(
    playbook: Playbook,
    engine: CustomerEngine,
    persona_id: str,
    scenario: Scenario,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> list[TranscriptTurn]:
    from app.needs.extract import build_needs_record
    from app.needs.scorecard import score_session

    persona = playbook.personas[persona_id]
    labels = LABELS[persona.language]
    state = initial_state(persona, playbook.customer)
    turns: list[TranscriptTurn] = []
    print(f"{persona.name}, {persona.title} @ {persona.company} ({persona.industry})", file=out)
    print("/finish to end\n", file=out)
    while not state.ended:
        try:
            text = read(f"{labels['you']}> ").strip()
        except EOFError:
            break
        if text == "/finish":
            break
        if not text:
            continue
        coaching = coach.read(
            text,
            playbook.coach,
            CoachContext.of(
                scenario, [EarlierTurn.model_validate(t, from_attributes=True) for t in turns]
            ),
            language=persona.language,
        )
        print(f"  [{labels['coach']}] {describe(coaching)}", file=out)
        decision = decide(state, persona, coaching, scenario, playbook.customer, seq=len(turns) + 1)
        ctx = ReplyContext(
            persona=persona,
            scenario=scenario,
            language=persona.language,
            decision=decision,
            history=list(turns),
            rep_text=text,
            rules=playbook.customer,
            session_id="terminal",
        )
        turns.append(
            TranscriptTurn(seq=len(turns) + 1, speaker="rep", text=text, coaching=coaching)
        )
        print(f"{persona.name}> ", end="", file=out, flush=True)
        parts = []
        try:
            async for delta in engine.stream(ctx):
                parts.append(delta)
                print(delta, end="", file=out, flush=True)
        except AppError as exc:
            print(f"\n  ! {exc.detail}", file=out)
            turns.pop()
            continue
        print("\n", file=out)
        turns.append(
            TranscriptTurn(
                seq=len(turns) + 1,
                speaker="customer",
                text="".join(parts).strip(),
                revealed=decision.facts,
                act=decision.act,
            )
        )
        state = decision.state
    if state.ended:
        print(labels["ended"], file=out)
    card = score_session(
        persona, scenario, turns, playbook.scoring, persona.language, rules=playbook.needs
    )
    record = build_needs_record(
        "terminal", persona, scenario, turns, playbook.needs, persona.language
    )
    print(f"\n{labels['score']}: {card.total} ({card.band})", file=out)
    for c in card.criteria:
        print(f"  {c.label}: {c.points:g}/{c.max_points:g}  {c.comment}", file=out)
    for field in ("situation", "problems", "implications", "need_payoffs"):
        for item in getattr(record, field):
            print(f"  [{field}] {item.text} (#{item.turn_seq})", file=out)
    return turns


def run(settings: Settings, playbook: Playbook, persona_id: str, scenario: Scenario) -> int:
    import asyncio

    from app.llm.models import build_chat_model
    from app.main import customer_engine

    if persona_id not in playbook.personas:
        print(
            f"error: no persona {persona_id!r}; try: {', '.join(playbook.personas)}",
            file=sys.stderr,
        )
        return 1
    engine = customer_engine(settings, build_chat_model(settings))
    asyncio.run(practice(playbook, engine, persona_id, scenario))
    return 0
