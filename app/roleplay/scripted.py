"""The offline, deterministic customer: phrases the state machine's decision with playbook lines.

A revealed fact is said verbatim after a lead-in that fits the persona's personality and
language; a recalled one ("as I said...") likewise; every other act draws its line from
playbook/customer.yaml (objections from the persona first). The personality's own lines come
first, then the common ones; a line already said in this session is not said again while
another of its kind is left. Line choice is seeded by the session id and steps with the turn
number, so a session replays identically. The reply streams clause by clause so SSE clients
see several deltas.
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


_LEAD_INS: dict[str, LineKind] = {
    "situation": "lead_in_situation",
    "problem": "lead_in_problem",
    "implication": "lead_in_implication",
    "need_payoff": "lead_in_need_payoff",
    "public": "lead_in_public",
}
_DEFLECTIONS: dict[str | None, LineKind] = {
    "needs_warmup": "needs_warmup",
    "no_problem_known": "deflect_no_problem",
    "no_implication_known": "deflect_no_implication",
    "closed_question": "terse_no_reveal",
    "not_an_issue": "not_an_issue",
    "no_effect": "no_effect",
    "need_to_check": "need_to_check",
}


def _line_kinds(ctx: ReplyContext) -> list[LineKind]:
    """The kinds of playbook line that open the reply, in order (facts follow them)."""
    d = ctx.decision
    closing: list[LineKind] = ["goodbye"] if d.state.ended else []
    match d.act:
        case "greet":
            return ["greet_weak" if d.reason == "weak_opener" else "greet"]
        case "reveal":
            if d.terse:
                return ["terse_lead_in"]
            return [_LEAD_INS[d.facts[0].kind if d.facts else "situation"]]
        case "elaborate":
            return ["confirm_summary" if d.reason == "summary" else "elaborate"]
        case "recall":
            return ["recall"] if d.recalled else ["recall_nothing"]
        case "small_talk":
            return ["small_talk_excess" if d.reason == "excess_small_talk" else "small_talk"]
        case "acknowledge":
            if d.reason == "value_point":
                return ["value_reply"]
            if d.reason in ("already_agreed", "open_floor"):
                return [d.reason]
            return ["confirm_summary" if d.reason == "summary" else "acknowledge"]
        case "deflect":
            return [_DEFLECTIONS.get(d.reason, "deflect_nothing_left")]
        case "short_answer":
            if d.reason == "not_earned" and not d.terse:
                return ["not_yet"]
            if d.reason in ("closed_question", "not_earned"):
                return ["terse_no_reveal"]
            return ["short_answer"]
        case "object":
            return ["hard_close"] if d.reason == "hard_close" else ["objection_lead_in"]
        case "redirect":
            return ["redirect"]
        case "puzzled":
            return ["puzzled"]
        case "accept_next_step":
            taken: LineKind = (
                "accept_counter" if d.reason == "counter_taken" else "accept_next_step"
            )
            return [taken, *closing]
        case "counter_next_step":
            return ["counter_next_step", *closing]
        case "defer_next_step":
            kind: LineKind = "defer_next_step"
            if d.reason == "no_concrete_time":
                kind = "ask_concrete_time"
            elif d.reason == "hard_close":
                kind = "hard_close_later"
            return [kind, *closing]
        case "goodbye":
            return ["goodbye"]
        case "hang_up":
            return ["hang_up"]
        case "rank":
            return ["rank"]
    return []


def _pick(tiers: list[list[str]], seed: str, turn: int, used: set[str]) -> str:
    """A seeded line this session has not said yet, from the first tier that has one left."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    start = int.from_bytes(digest[:4], "big") + turn
    for tier in tiers:
        fresh = [line for line in tier if line not in used]
        if fresh:
            return fresh[start % len(fresh)]
    every = tiers[-1]
    return every[start % len(every)]


def _join(parts: list[str], language: str) -> str:
    parts = [p.strip() for p in parts if p.strip()]
    return ("" if language == "zh" else " ").join(parts)


def compose_reply(ctx: ReplyContext) -> str:
    """The whole reply for this turn; the same context always gives the same text."""
    d = ctx.decision
    persona = ctx.persona
    said = [t.text for t in ctx.history if t.speaker == "customer"]
    parts: list[str] = []
    time = d.next_step.time if d.next_step is not None else ""
    ranking = _ranking(ctx) if d.act == "rank" else ""
    for kind in _line_kinds(ctx):
        # The personality's own lines first, then every line of the kind.
        tiers = [
            [
                line.format(
                    name=persona.name,
                    title=persona.title,
                    company=persona.company,
                    time=time,
                    ranking=ranking,
                )
                for line in lines
            ]
            for lines in (
                ctx.rules.lines_for(ctx.language, persona.personality, kind),
                ctx.rules.variants(ctx.language, persona.personality, kind),
            )
        ]
        used = {line for line in tiers[-1] if any(line.strip() in text for text in said)}
        parts.append(_pick(tiers, f"{ctx.session_id}:{kind}", d.state.turns, used))
        if kind == "objection_lead_in" and d.objection:
            parts.append(d.objection)
    if d.act != "rank":
        parts.extend(f.text for f in (d.facts if d.act in ("reveal", "elaborate") else d.recalled))
    return _join(parts, ctx.language)


def _ranking(ctx: ReplyContext) -> str:
    """The needs said so far, in the decision's order, each named in its priority's words."""
    lines = ctx.rules.lines[ctx.language]
    needs = ctx.persona.needs
    items: list[str] = []
    for fact in ctx.decision.recalled:
        need = needs.get(fact.id)
        if need is None:
            continue
        topic = need.keywords[0] if need.keywords else need.text.rstrip("。.!！")
        template = lines.rank_items.get(need.priority, "{topic}")
        items.append(template.format(topic=topic))
    return lines.rank_separator.join(items)


def clauses(text: str) -> list[str]:
    """The reply cut after each clause; joined, the pieces are the text again."""
    return [m.group(0) for m in _CLAUSE.finditer(text) if m.group(0)]


class ScriptedEngine:
    """The default customer engine: offline, deterministic, no prompt."""

    name = "scripted"
    prompt_version: str | None = None

    def reply(self, ctx: ReplyContext) -> str:
        return compose_reply(ctx)

    def deltas(self, ctx: ReplyContext) -> list[str]:
        return clauses(compose_reply(ctx))

    async def stream(self, ctx: ReplyContext) -> AsyncIterator[str]:
        for piece in self.deltas(ctx):
            yield piece
            # Let the event loop flush each delta as its own SSE event.
            await asyncio.sleep(0)
