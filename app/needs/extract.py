"""The needs record (manual Appendix 4, with Appendix 3 for cold calls) from a transcript.

Offline and deterministic: every item quotes the customer turn it cites, so the record never
holds a fact the customer did not say. Needs are the disclosed need-payoffs, sorted by the
priority the customer's words give them (cue words in playbook/needs.yaml), falling back to
the persona's priority. The next step's `text` is the customer's answer to the proposal;
its time and form come from the rep's proposal (`proposed_turn_seq`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from app.coach.schemas import Scenario
from app.needs.conversation import (
    Disclosure,
    NextStepEvent,
    coaching_of,
    disclosures,
    final_next_step,
    in_order,
    next_step_events,
)
from app.needs.schemas import (
    ITEM_FIELDS,
    PRIORITY_ORDER,
    ContextItem,
    FirstContact,
    Interest,
    Item,
    ItemField,
    Need,
    NeedsRecord,
    NextStep,
    Tags,
)
from app.needs.support import quote, sentences, support
from app.playbook.needs import Cues, NeedsRules, NextStepState
from app.playbook.persona import FactKind, Language, Persona, Priority
from app.roleplay.transcript import TranscriptTurn

FIELD_OF: dict[FactKind, ItemField] = {
    "situation": "situation",
    "problem": "problems",
    "implication": "implications",
    "need_payoff": "need_payoffs",
}


def has_cue(text: str, cues: Iterable[str]) -> bool:
    lower = text.lower().replace("\u2019", "'")
    for cue in cues:
        cue = cue.lower()
        if cue.isascii():
            # English cues match whole words so "key" does not fire inside "keyboard".
            if re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", lower):
                return True
        elif cue in lower:
            return True
    return False


def cue_priority(text: str, rules: NeedsRules) -> Priority | None:
    """The first priority group (in YAML order) with a cue in the text."""
    for group in rules.priority_cues:
        if has_cue(text, group.all()):
            return group.priority
    return None


def persona_priority(persona: Persona, fact_id: str | None, said: str) -> Priority | None:
    payoffs = [n for p in persona.problems for n in p.need_payoffs]
    if fact_id is not None:
        return next((n.priority for n in payoffs if n.id == fact_id), None)
    # Unannotated transcript: the persona's need-payoff the customer's words match best.
    best = max(payoffs, key=lambda n: support(n.text, said), default=None)
    if best is not None and support(best.text, said) > 0.3:
        return best.priority
    return None


def need_types(items: Iterable[Item], rules: NeedsRules) -> list[str]:
    said = " ".join(i.text for i in items)
    return [t.id for t in rules.need_types if has_cue(said, Cues.all(t))]


def need_type_labels(type_ids: Iterable[str], rules: NeedsRules, language: Language) -> list[str]:
    found = (rules.need_type(i) for i in type_ids)
    return [t.label.in_(language) for t in found if t is not None]


def context_items(turns: Iterable[TranscriptTurn]) -> list[ContextItem]:
    """The public facts the customer told (decision process, budget, ...), each once."""
    items: list[ContextItem] = []
    seen: set[str] = set()
    for turn in in_order(turns):
        if turn.speaker != "customer":
            continue
        for fact in turn.revealed:
            if fact.kind != "public" or fact.id in seen:
                continue
            seen.add(fact.id)
            items.append(
                ContextItem(
                    topic=fact.topic or "other",
                    text=quote(fact.text, turn.text),
                    turn_seq=turn.seq,
                )
            )
    return items


def _next_step(event: NextStepEvent | None) -> NextStep | None:
    if event is None:
        return None
    return NextStep(
        agreed=event.agreed,
        text=event.reply.text.strip(),
        turn_seq=event.reply.seq,
        time=event.time,
        form=event.form,
        proposed_turn_seq=event.proposed_seq,
    )


def _proposal_text(event: NextStepEvent) -> str:
    """The sentence of the rep's proposal that names the time, else the whole proposal."""
    signal = coaching_of(event.proposal).signals.next_step
    said = sentences(event.proposal.text)
    for hint in (signal.time_text, signal.form):
        if hint:
            hit = next((s for s in said if hint in s), None)
            if hit:
                return hit
    return event.proposal.text.strip()


def _next_step_state(step: NextStep | None) -> NextStepState:
    if step is None:
        return "none"
    return "agreed" if step.agreed else "deferred"


def _tags(
    persona: Persona,
    found: list[Disclosure],
    needs: list[Need],
    step: NextStep | None,
    hung_up: bool,
    record_items: list[Item],
    rules: NeedsRules,
    language: Language,
) -> Tags:
    weights = rules.potential.points
    points = sum(
        {
            "situation": 0.0,
            "problem": weights.problem,
            "implication": weights.implication,
            "need_payoff": weights.need_payoff,
        }[d.kind]
        for d in found
    )
    points += weights.must_need * sum(1 for n in needs if n.priority == "must")
    state = _next_step_state(step)
    if state == "agreed":
        points += weights.next_step_agreed
    elif state == "deferred":
        points += weights.next_step_deferred
    if persona.decision_role == "decision_maker":
        points += weights.decision_maker
    if hung_up:
        points += weights.hung_up
    level = rules.potential.level(points)
    types = need_types(record_items, rules)
    return Tags(
        potential_level=level,
        need_types=types,
        follow_up_priority=rules.follow_up[level][state],
        need_type_labels=need_type_labels(types, rules, language),
    )


def _first_contact(
    ordered: list[TranscriptTurn],
    record: NeedsRecord,
    event: NextStepEvent | None,
    hung_up: bool,
    rules: NeedsRules,
    language: Language,
    contacted_at: datetime | None,
) -> FirstContact:
    customer = [t for t in ordered if t.speaker == "customer" and t.text.strip()]
    feedback: list[Item] = []
    if customer:
        # The reaction to the opener and the last word on the call (next step or hang-up).
        feedback.append(Item(text=customer[0].text.strip(), turn_seq=customer[0].seq))
        closing = event.reply if event is not None else customer[-1]
        if closing.seq != customer[0].seq:
            feedback.append(Item(text=closing.text.strip(), turn_seq=closing.seq))
    step = record.next_step
    state = _next_step_state(step)
    interest: Interest
    if state == "agreed":
        interest = "interested"
    elif hung_up or (not record.problems and not record.need_payoffs):
        interest = "not_interested"
    else:
        interest = "neutral"
    template = rules.next_action.for_state(state).in_(language)
    next_action = template.format(
        time=(step.time if step else None) or "",
        form=(step.form if step else None) or "",
        proposal=_proposal_text(event) if event is not None else "",
    )
    return FirstContact(
        time=contacted_at.isoformat() if contacted_at else None,
        interest=interest,
        customer_feedback=feedback,
        need_points=[*record.problems, *record.need_payoffs],
        next_action=" ".join(next_action.split()),
    )


def build_needs_record(
    session_id: str,
    persona: Persona,
    scenario: Scenario,
    turns: list[TranscriptTurn],
    rules: NeedsRules,
    language: Language,
    *,
    contacted_at: datetime | None = None,
) -> NeedsRecord:
    """The needs record of one session; `contacted_at` fills Appendix 3's time (cold calls)."""
    ordered = in_order(turns)
    found = disclosures(
        persona,
        ordered,
        non_answer_acts=rules.non_answer_acts,
        evasions=rules.evasions.all(),
        fact_support=rules.match.fact_support,
    )
    fields: dict[ItemField, list[Item]] = {f: [] for f in ITEM_FIELDS}
    needs: list[Need] = []
    said_in = {t.seq: t.text for t in ordered}
    for d in found:
        fields[FIELD_OF[d.kind]].append(Item(text=d.text, turn_seq=d.turn_seq))
        if d.kind == "need_payoff":
            # The whole turn: "那必须的," before the quoted fact still sets its priority.
            priority = (
                cue_priority(said_in[d.turn_seq], rules)
                or persona_priority(persona, d.fact_id, d.text)
                or "expected"
            )
            needs.append(Need(text=d.text, priority=priority, turn_seq=d.turn_seq))
    needs.sort(key=lambda n: (PRIORITY_ORDER[n.priority], n.turn_seq))

    event = final_next_step(
        next_step_events(
            ordered,
            accepted_acts=rules.next_step_acts.accepted,
            deferred_acts=rules.next_step_acts.deferred,
        )
    )
    step = _next_step(event)
    hung_up = any(t.act == "hang_up" for t in ordered if t.speaker == "customer")
    pain_items = [*fields["problems"], *fields["implications"], *fields["need_payoffs"]]
    record = NeedsRecord(
        session_id=session_id,
        situation=fields["situation"],
        problems=fields["problems"],
        implications=fields["implications"],
        need_payoffs=fields["need_payoffs"],
        needs=needs,
        context=context_items(ordered),
        next_step=step,
        tags=_tags(persona, found, needs, step, hung_up, pain_items, rules, language),
    )
    if scenario == "cold_call":
        record.first_contact = _first_contact(
            ordered, record, event, hung_up, rules, language, contacted_at
        )
    return record
