"""Missed opportunities: the moments in a conversation where the rep could have built on what the
customer said, each with the better question the rep could have asked there.

Pure: the transcript (rep readings and the facts the customer revealed), the persona, the
scenario and the playbook in; a list out, in turn order. Kinds (CONTRACT.md):

- problem_not_explored: the customer named a problem and no implication question followed
  while it was the latest problem named (and none of its implications came out);
- implication_not_developed: the customer named a consequence and neither a need-payoff of
  that problem came out nor a need-payoff question followed while it was the latest
  problem (one per problem, at its last consequence);
- next_step_before_interest: the first next step proposed before the scenario's interest
  (customer.yaml: a problem in a cold call, a need-payoff in discovery);
- no_summary_before_next_step: the first next step proposed after the customer named a
  problem, with no summary by the rep between that problem and the proposal.

`turn_seq` is the customer turn to build on (for next steps, the last customer turn before
the proposal); comments and questions come from playbook/coach/moves.yaml in the session's
language and quote only what the customer said.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.coach import tips
from app.coach.schemas import Scenario, SpinType
from app.needs.schemas import MissedOpportunity
from app.playbook.loader import Playbook
from app.playbook.moves import MissedKind
from app.playbook.persona import Persona
from app.roleplay.transcript import TranscriptTurn


def _asked_between(
    turns: Sequence[TranscriptTurn], spin: SpinType, after: int, before: int | None
) -> bool:
    return any(
        t.speaker == "rep"
        and t.coaching is not None
        and t.coaching.spin == spin
        and t.seq > after
        and (before is None or t.seq < before)
        for t in turns
    )


class _Writer:
    def __init__(self, persona: Persona, turns: list[TranscriptTurn], playbook: Playbook) -> None:
        self.persona = persona
        self.turns = turns
        self.rules = playbook.moves

    def item(
        self, kind: MissedKind, at: int, quoted: tips.Said | None, step: int | None = None
    ) -> MissedOpportunity:
        """The opportunity at customer turn `at`, its question rendered as the conversation
        stood then."""
        language = self.persona.language
        before = [t for t in self.turns if t.seq <= at]
        conv = tips.Conversation.of(before, language)
        renderer = tips.Renderer(self.persona, self.rules, conv)
        entry = self.rules.missed[kind]
        if entry.question == "focus":
            _, follow = tips.focus(conv, self.rules)
            question = renderer.question(follow)
        else:
            question = renderer.question(entry.question, quoted)
        comment = entry[language].format(
            name=tips.customer_name(self.persona),
            quote=quoted.quote if quoted else "",
            seq=quoted.turn_seq if quoted else at,
            step=step if step is not None else "",
        )
        return MissedOpportunity(
            turn_seq=at,
            kind=kind,
            comment=comment,
            better_question=question,
            label=entry.label[language],
        )


def find(
    persona: Persona,
    scenario: Scenario,
    turns: Sequence[TranscriptTurn],
    playbook: Playbook,
) -> list[MissedOpportunity]:
    """Every missed opportunity of the conversation (rules in the module docstring)."""
    ordered = sorted(turns, key=lambda t: t.seq)
    said = tips.said_in(ordered, persona.language)
    writer = _Writer(persona, ordered, playbook)
    found: list[MissedOpportunity] = []
    problems = [s for s in said if s.kind == "problem"]

    def next_problem_after(seq: int) -> int | None:
        return next((p.turn_seq for p in problems if p.turn_seq > seq), None)

    for p in problems:
        opened = any(s.kind == "implication" and s.problem_id == p.fact_id for s in said)
        asked = _asked_between(ordered, "implication", p.turn_seq, next_problem_after(p.turn_seq))
        if not opened and not asked:
            found.append(writer.item("problem_not_explored", p.turn_seq, p))

    for problem_id in dict.fromkeys(s.problem_id for s in said if s.kind == "implication"):
        last = [s for s in said if s.kind == "implication" and s.problem_id == problem_id][-1]
        paid = any(s.kind == "need_payoff" and s.problem_id == problem_id for s in said)
        asked = _asked_between(
            ordered, "need_payoff", last.turn_seq, next_problem_after(last.turn_seq)
        )
        if not paid and not asked:
            found.append(writer.item("implication_not_developed", last.turn_seq, last))

    interest = playbook.customer.interest[scenario]
    proposals = [
        t
        for t in ordered
        if t.speaker == "rep" and t.coaching is not None and t.coaching.signals.next_step.proposed
    ]
    customer_before = {
        r.seq: max((t.seq for t in ordered if t.speaker == "customer" and t.seq < r.seq), default=0)
        for r in proposals
    }
    early = next(
        (
            r
            for r in proposals
            if customer_before[r.seq]
            and not any(s.kind == interest and s.turn_seq < r.seq for s in said)
        ),
        None,
    )
    if early is not None:
        at = customer_before[early.seq]
        thread = next((s for s in reversed(said) if s.turn_seq < early.seq), None)
        found.append(writer.item("next_step_before_interest", at, thread, step=early.seq))

    for r in proposals:
        pains = [s for s in said if s.kind != "situation" and s.turn_seq < r.seq]
        if not pains:
            continue
        first_pain = pains[0].turn_seq
        summarised = any(
            t.speaker == "rep"
            and t.coaching is not None
            and t.coaching.signals.summary
            and first_pain < t.seq <= r.seq
            for t in ordered
        )
        if not summarised:
            # The summary plays back the latest problem named (else the latest consequence).
            worth = next((s for s in reversed(pains) if s.kind == "problem"), pains[-1])
            found.append(
                writer.item(
                    "no_summary_before_next_step", customer_before[r.seq], worth, step=r.seq
                )
            )
        break
    return sorted(found, key=lambda m: (m.turn_seq, m.kind))
