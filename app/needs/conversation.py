"""Reading a finished transcript: which rep turn each customer turn answers, what the customer
disclosed where, and what became of the rep's next-step proposals.

Disclosures come from the `revealed` facts the customer state machine set. A transcript with
no revealed facts at all (an imported or unannotated one) falls back to matching the persona's
facts against what the customer said, and then to the SPIN type of the rep question answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.coach.schemas import Coaching
from app.needs.support import quote, support, tokens
from app.playbook.persona import FactKind, Persona
from app.roleplay.transcript import TranscriptTurn

NO_COACHING_LANGUAGE = "en"


def coaching_of(turn: TranscriptTurn) -> Coaching:
    """The turn's coaching, or an empty one (unknown SPIN type, no signals)."""
    return turn.coaching or Coaching(language=NO_COACHING_LANGUAGE)


def in_order(turns: Iterable[TranscriptTurn]) -> list[TranscriptTurn]:
    return sorted(turns, key=lambda t: t.seq)


def answered_by(turns: Sequence[TranscriptTurn]) -> dict[int, TranscriptTurn]:
    """Customer turn seq -> the latest rep turn before it (the question it answers)."""
    answers: dict[int, TranscriptTurn] = {}
    last_rep: TranscriptTurn | None = None
    for turn in in_order(turns):
        if turn.speaker == "rep":
            last_rep = turn
        elif last_rep is not None:
            answers[turn.seq] = last_rep
    return answers


@dataclass(frozen=True)
class Disclosure:
    """One fact the customer disclosed: its kind, where, and the words they used."""

    kind: FactKind
    turn_seq: int
    text: str
    fact_id: str | None = None
    problem_id: str | None = None


def is_annotated(turns: Iterable[TranscriptTurn]) -> bool:
    return any(t.revealed for t in turns if t.speaker == "customer")


def disclosures(
    persona: Persona,
    turns: Sequence[TranscriptTurn],
    *,
    non_answer_acts: Iterable[str] = (),
    evasions: Iterable[str] = (),
    fact_support: float = 0.6,
) -> list[Disclosure]:
    """Every fact the customer disclosed, in transcript order, each fact once."""
    ordered = in_order(turns)
    found: list[Disclosure] = []
    seen: set[str] = set()
    if is_annotated(ordered):
        for turn in ordered:
            if turn.speaker != "customer":
                continue
            for fact in turn.revealed:
                # Public facts (decision process, budget...) are context, not discovery.
                if fact.kind == "public" or fact.id in seen:
                    continue
                seen.add(fact.id)
                found.append(
                    Disclosure(
                        kind=fact.kind,
                        turn_seq=turn.seq,
                        text=quote(fact.text, turn.text),
                        fact_id=fact.id,
                        problem_id=fact.problem_id,
                    )
                )
        return found

    skip = set(non_answer_acts)
    hedges = sorted({e.lower() for e in evasions}, key=len, reverse=True)
    questions = answered_by(ordered)
    problem_of = {f.id: p.id for p in persona.problems for f in [*p.implications, *p.need_payoffs]}
    for turn in ordered:
        if turn.speaker != "customer" or turn.act in skip or turn.seq not in questions:
            continue
        if is_evasion(turn.text, hedges):
            # "看情况吧。" / "It depends." answer the question without saying anything.
            continue
        matched = False
        for candidate in persona.all_facts():
            kind = persona.fact_kind(candidate.id)
            if candidate.id in seen or kind is None:
                continue
            if support(candidate.text, turn.text) >= fact_support:
                seen.add(candidate.id)
                matched = True
                found.append(
                    Disclosure(
                        kind=kind,
                        turn_seq=turn.seq,
                        text=quote(candidate.text, turn.text),
                        fact_id=candidate.id,
                        problem_id=problem_of.get(candidate.id),
                    )
                )
        spin = coaching_of(questions[turn.seq]).spin
        if not matched and spin is not None and turn.text.strip():
            found.append(Disclosure(kind=spin, turn_seq=turn.seq, text=turn.text.strip()))
    return found


def is_evasion(text: str, hedges: Sequence[str]) -> bool:
    """The turn is only hedges and fillers (`hedges`, longest first): nothing is left that
    could be a fact once they are taken out."""
    rest = text.lower().replace("\u2019", "'")
    for hedge in hedges:
        if hedge.isascii():
            rest = re.sub(rf"(?<![a-z']){re.escape(hedge)}(?![a-z'])", " ", rest)
        else:
            rest = rest.replace(hedge, " ")
    return not any(len(t) > 1 for t in tokens(rest))


@dataclass(frozen=True)
class NextStepEvent:
    """A next-step proposal and the customer's answer to it."""

    proposal: TranscriptTurn
    reply: TranscriptTurn
    agreed: bool

    @property
    def time(self) -> str | None:
        """The time of the step: the customer's own when it offered or agreed to one."""
        if self.reply.next_step is not None:
            return self.reply.next_step.time
        return coaching_of(self.proposal).signals.next_step.time_text

    @property
    def form(self) -> str | None:
        own = self.reply.next_step.form if self.reply.next_step is not None else None
        return own or coaching_of(self.proposal).signals.next_step.form

    @property
    def concrete(self) -> bool:
        return self.reply.next_step is not None or (
            coaching_of(self.proposal).signals.next_step.has_concrete_time
        )

    @property
    def proposed_seq(self) -> int:
        """The rep turn that proposed the step (before any slot the customer offered)."""
        step = self.reply.next_step
        if step is not None and step.proposed_seq is not None:
            return step.proposed_seq
        return self.proposal.seq


def next_step_events(
    turns: Sequence[TranscriptTurn],
    *,
    accepted_acts: Iterable[str] = ("accept_next_step",),
    deferred_acts: Iterable[str] = ("defer_next_step",),
) -> list[NextStepEvent]:
    """Proposals flagged by the coach, and any rep turn the customer accepted or put off
    as one (an engine may recognise a proposal the coach did not flag)."""
    accepted, deferred = set(accepted_acts), set(deferred_acts)
    events: list[NextStepEvent] = []
    for seq, question in answered_by(turns).items():
        reply = next(t for t in turns if t.seq == seq)
        proposed = coaching_of(question).signals.next_step.proposed
        if reply.act in accepted:
            events.append(NextStepEvent(question, reply, agreed=True))
        elif proposed or reply.act in deferred:
            events.append(NextStepEvent(question, reply, agreed=False))
    return sorted(events, key=lambda e: e.reply.seq)


def final_next_step(events: Sequence[NextStepEvent]) -> NextStepEvent | None:
    """The last agreed next step, else the last proposal."""
    agreed = [e for e in events if e.agreed]
    if agreed:
        return agreed[-1]
    return events[-1] if events else None
