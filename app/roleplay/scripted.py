"""The offline, deterministic customer: phrases the state machine's decision with playbook lines.

A revealed fact is said verbatim after a lead-in that fits the persona's personality and
language; every other act draws its line from playbook/customer.yaml (objections from the
persona first). Line choice is seeded by the session id and steps with the turn number, so a
session replays identically. The reply streams clause by clause so SSE clients see several deltas.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator

from app.playbook.customer import LineKind
from app.roleplay.engine import ReplyContext

# A clause ends at CJK punctuation, or at Latin punctuation not inside a number (1,200; 3.5).
_CLAUSE = re.compile(
    r".+?(?:[\uff0c\u3002\uff01\uff1f\uff1b\uff1a\u2026]+|[,.!?;:]+(?!\d)|$)\s*", re.DOTALL
)


def _line_kind(ctx: ReplyContext) -> LineKind | None:
    """The kind of playbook line that opens the reply (None: the reply is a bare fact)."""
    d = ctx.decision
    match d.act:
        case "greet":
            return "greet_weak" if d.reason == "weak_opener" else "greet"
        case "reveal":
            if d.terse:
                return "terse_lead_in"
            kind = d.facts[0].kind if d.facts else "situation"
            lead_ins: dict[str, LineKind] = {
                "situation": "lead_in_situation",
                "problem": "lead_in_problem",
                "implication": "lead_in_implication",
                "need_payoff": "lead_in_need_payoff",
            }
            return lead_ins[kind]
        case "small_talk":
            return "small_talk_excess" if d.reason == "excess_small_talk" else "small_talk"
        case "acknowledge":
            return "value_reply" if d.reason == "value_point" else "acknowledge"
        case "deflect":
            deflections: dict[str | None, LineKind] = {
                "needs_warmup": "needs_warmup",
                "no_problem_known": "deflect_no_problem",
                "no_implication_known": "deflect_no_implication",
                "closed_question": "terse_no_reveal",
            }
            return deflections.get(d.reason, "deflect_nothing_left")
        case "short_answer":
            return "terse_no_reveal" if d.reason == "closed_question" else "short_answer"
        case "object":
            return "objection_lead_in"
        case "accept_next_step":
            return "accept_next_step"
        case "defer_next_step":
            return "ask_concrete_time" if d.reason == "no_concrete_time" else "defer_next_step"
        case "hang_up":
            return "hang_up"
    return None


def _pick(lines: list[str], seed: str, turn: int) -> str:
    # Seeded start, then one step per turn: replays are identical, neighbours rarely repeat.
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return lines[(int.from_bytes(digest[:4], "big") + turn) % len(lines)]


def _join(parts: list[str], language: str) -> str:
    parts = [p.strip() for p in parts if p.strip()]
    return ("" if language == "zh" else " ").join(parts)


def compose_reply(ctx: ReplyContext) -> str:
    """The whole reply for this turn; the same context always gives the same text."""
    d = ctx.decision
    persona = ctx.persona
    parts: list[str] = []
    kind = _line_kind(ctx)
    if kind is not None:
        lines = ctx.rules.lines_for(ctx.language, persona.personality, kind)
        line = _pick(lines, f"{ctx.session_id}:{kind}", d.state.turns)
        parts.append(line.format(name=persona.name, title=persona.title, company=persona.company))
    if d.act == "reveal":
        parts.extend(f.text for f in d.facts)
    if d.act == "object" and d.objection:
        parts.append(d.objection)
    return _join(parts, ctx.language)


def clauses(text: str) -> list[str]:
    """The reply cut after each clause; joined, the pieces are the text again."""
    return [m.group(0) for m in _CLAUSE.finditer(text) if m.group(0)]


class ScriptedEngine:
    """The default customer engine: offline, deterministic, no prompt."""

    name = "scripted"
    prompt_version: str | None = None

    def reply(self, ctx: ReplyContext) -> str:
        return compose_reply(ctx)

    async def stream(self, ctx: ReplyContext) -> AsyncIterator[str]:
        for piece in clauses(compose_reply(ctx)):
            yield piece
            # Let the event loop flush each delta as its own SSE event.
            await asyncio.sleep(0)
