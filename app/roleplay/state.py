"""The customer state machine shared by both engines: what the customer may say on this turn.

Pure: `decide` reads the state, the persona, the coach's reading of the rep turn and the rules
in playbook/customer.yaml, and returns a new state with a `Decision`; it never mutates its
input and does no I/O. The engines only phrase the decision (the scripted engine with lines
from the playbook, the LLM engine with a model); they never choose what to reveal.

The rule set, applied to every rep turn in this order:

1. An ended conversation stays ended: act `hang_up`, nothing revealed, state unchanged.
2. Costs and gains (numbers per personality in customer.yaml). Patience is points, capped at
   its starting value; trust is 0-100; rapport counts small talk and acknowledgements.
   - pitching before any problem is revealed (`premature_pitch`, or a pitch signal with no
     problem known) costs; a pitch after a problem is known is a value point and costs nothing;
   - a closed question costs, unless it is small talk or a proposed next step;
   - `too_long` (a monologue) and `multiple_questions` cost;
   - an implication or need-payoff question with nothing to build on costs (`unearned_question`);
   - small talk earns trust and rapport up to the personality's `small_talk_limit`, after
     which it costs (`excess_small_talk`); an acknowledgement always earns trust and rapport;
   - an open SPIN question that reveals a fact earns `open_question` (patience and trust).
   The first turn of a cold call is the 30-second opener: it is judged only by its checks
   (introduced self, stated purpose, within 30 seconds; any missing costs `weak_opener` and
   earns a wary greeting); its pitch-like purpose statement and its "do you have two
   minutes?" are not charged as pitch or closed question.
3. When patience reaches zero the customer hangs up: act `hang_up`, `ended` True, nothing
   revealed on that turn.
4. What the customer does (first match wins):
   - a proposed next step: accepted (`accept_next_step`, `next_step_agreed` True) only with a
     concrete time and real interest (a need-payoff revealed in discovery, a problem revealed
     in a cold call; `interest` in customer.yaml); with interest but no concrete time the
     customer asks for one (`defer_next_step`, reason `no_concrete_time`); without interest it
     is deferred (reason `no_interest`);
   - the first rep turn of a cold call, or a first discovery turn that asks no SPIN question:
     `greet` (reason `weak_opener` when the opener fell short);
   - a SPIN question reveals at most one fact:
     - situation: the best-matching unrevealed situation fact;
     - problem: the best-matching unrevealed problem; busy and skeptical personas
       (`problem_needs_warmup`) first need rapport or an earlier situation question, else
       `deflect` reason `needs_warmup`;
     - implication: the best-matching unrevealed implication of a problem already revealed,
       else `deflect` reason `no_problem_known`;
     - need-payoff: the best-matching unrevealed need-payoff of a problem with at least one
       revealed implication, else `deflect` reason `no_implication_known`;
     - nothing of that kind left: `deflect` reason `nothing_left`.
     Best match: keyword hits (3 points each) plus shared words (en) or character bigrams
     (zh) between the rep's text and the fact; ties and a zero score fall back to the
     persona's order. A closed SPIN question reveals only the kinds in `closed_reveals`
     (situation and problem: the customer confirms and adds that one fact, tersely); a closed
     implication or need-payoff question gets a terse non-answer (`short_answer`, reason
     `closed_question`), because consequences and value come out only when asked openly,
     unless it asks for one value ("how much did that cost you?", coaching
     `signals.asks_value`): then the customer gives the figure, tersely.
   - a pitch: before any problem is known an objection (`object`, persona objections first,
     then the playbook's, in rotation); after, a guarded interest (`acknowledge`, reason
     `value_point`);
   - small talk: `small_talk` (reason `excess_small_talk` past the limit);
   - any other question: `short_answer`;
   - a monologue without a question: `short_answer` reason `monologue`;
   - anything else: `acknowledge`.
5. Mood, for the phrasing: `annoyed` when ended, `impatient` at a third of patience or less,
   `interested` once a need-payoff is revealed or a next step agreed, `warm` at trust 70+,
   `guarded` below trust 35, else `neutral`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from app.coach.schemas import Coaching, Scenario
from app.playbook.customer import CustomerRules, Effect, PersonalityRules
from app.playbook.persona import Fact, FactKind, Language, Persona
from app.roleplay.transcript import RevealedFact

Act = Literal[
    "greet",
    "reveal",
    "small_talk",
    "acknowledge",
    "deflect",
    "short_answer",
    "object",
    "accept_next_step",
    "defer_next_step",
    "hang_up",
]
Mood = Literal["warm", "interested", "neutral", "guarded", "impatient", "annoyed"]
Reason = Literal[
    "ended",
    "patience_exhausted",
    "weak_opener",
    "value_point",
    "premature_pitch",
    "excess_small_talk",
    "needs_warmup",
    "no_problem_known",
    "no_implication_known",
    "nothing_left",
    "closed_question",
    "monologue",
    "no_interest",
    "no_concrete_time",
]


class CustomerState(BaseModel):
    """What the customer knows and feels so far; stored on the session row as JSON."""

    revealed: list[str] = Field(default_factory=list)  # fact ids, in order of disclosure
    trust: int = 50
    patience: int = 8
    max_patience: int = 8
    rapport: int = 0
    small_talk_turns: int = 0
    situation_questions: int = 0
    objections_raised: int = 0
    turns: int = 0  # rep turns seen
    ended: bool = False
    next_step_agreed: bool = False
    last_act: Act | None = None


class Decision(BaseModel):
    """What the customer does on this turn; the engines phrase it, nothing more."""

    act: Act
    facts: list[RevealedFact] = Field(default_factory=list)
    mood: Mood
    state: CustomerState
    terse: bool = False
    reason: Reason | None = None
    objection: str | None = None


def initial_state(persona: Persona, rules: CustomerRules) -> CustomerState:
    start = rules.for_personality(persona.personality).start
    return CustomerState(trust=start.trust, patience=start.patience, max_patience=start.patience)


def problem_known(state: CustomerState, persona: Persona) -> bool:
    """True once the customer has revealed at least one problem (the coach's `problem_known`)."""
    return any(p.id in state.revealed for p in persona.problems)


def has_interest(
    state: CustomerState, persona: Persona, scenario: Scenario, rules: CustomerRules
) -> bool:
    """Real interest: the scenario's required kind of fact has been revealed."""
    needed = rules.interest[scenario]
    return any(persona.fact_kind(fid) == needed for fid in state.revealed)


def revealed_facts(state: CustomerState, persona: Persona) -> list[RevealedFact]:
    """Everything revealed so far, in order of disclosure."""
    facts: list[RevealedFact] = []
    for fid in state.revealed:
        found = _as_revealed(persona, fid)
        if found is not None:
            facts.append(found)
    return facts


def _as_revealed(persona: Persona, fact_id: str) -> RevealedFact | None:
    for s in persona.situation:
        if s.id == fact_id:
            return RevealedFact(kind="situation", id=s.id, text=s.text)
    for p in persona.problems:
        if p.id == fact_id:
            return RevealedFact(kind="problem", id=p.id, text=p.text, problem_id=p.id)
        for i in p.implications:
            if i.id == fact_id:
                return RevealedFact(kind="implication", id=i.id, text=i.text, problem_id=p.id)
        for n in p.need_payoffs:
            if n.id == fact_id:
                return RevealedFact(kind="need_payoff", id=n.id, text=n.text, problem_id=p.id)
    return None


# --- matching the rep's words to a hidden fact -------------------------------------------

_EN_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_STOP = frozenset(
    "the and you your our are was were what how why which who does did have has had that this "
    "with for from into about there their them they when where would could should will can "
    "any some more most much many tell me it its is of to in on at be do we us a an or if "
    "so as by not no yes today now currently right".split()
)
_ZH_STOP = frozenset(
    "我们 你们 他们 现在 目前 什么 怎么 这个 那个 一个 是不 不是 有没 没有 如果 的话 "
    "方面 关于 对您 对你 您觉 觉得 哪些 一下 可以 能不 会有 有什 么影 影响".split()
)


def _stem(word: str) -> str:
    # A crude prefix stem is enough to match "reconciliation" with "reconciling".
    return word[:6] if len(word) > 6 else word


def _terms(text: str, language: Language) -> set[str]:
    lowered = text.lower()
    if language == "zh":
        terms: set[str] = set()
        for run in _CJK_RUN.findall(lowered):
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
        terms.update(w for w in _EN_WORD.findall(lowered) if len(w) > 1)
        return terms - _ZH_STOP
    return {_stem(w) for w in _EN_WORD.findall(lowered) if w not in _EN_STOP and len(w) > 2}


def match_score(fact: Fact, text: str, language: Language) -> int:
    """How well the rep's words point at this fact: keyword hits weigh 3, shared terms 1."""
    lowered = text.lower()
    hits = sum(1 for kw in fact.keywords if kw and kw.lower() in lowered)
    fact_terms = _terms(" ".join([fact.text, *fact.keywords]), language)
    return 3 * hits + len(fact_terms & _terms(text, language))


def _best(candidates: list[Fact], text: str, language: Language) -> Fact | None:
    if not candidates:
        return None
    scored = [(match_score(f, text, language), -i, f) for i, f in enumerate(candidates)]
    best = max(scored, key=lambda t: (t[0], t[1]))
    # A zero score means the words point nowhere: take the next fact in the persona's order.
    return best[2] if best[0] > 0 else candidates[0]


def _candidates(
    kind: FactKind, state: CustomerState, persona: Persona
) -> tuple[list[Fact], Reason | None]:
    """Unrevealed facts of this kind that the customer may reveal now, or why there are none."""
    seen = set(state.revealed)
    if kind == "situation":
        pool: list[Fact] = [f for f in persona.situation if f.id not in seen]
        return pool, (None if pool else "nothing_left")
    if kind == "problem":
        pool = [p for p in persona.problems if p.id not in seen]
        return pool, (None if pool else "nothing_left")
    known = [p for p in persona.problems if p.id in seen]
    if kind == "implication":
        if not known:
            return [], "no_problem_known"
        # Implications of the problems in the order the customer revealed them.
        known.sort(key=lambda p: state.revealed.index(p.id))
        pool = [i for p in known for i in p.implications if i.id not in seen]
        return pool, (None if pool else "nothing_left")
    grounded = [p for p in known if any(i.id in seen for i in p.implications)]
    if not grounded:
        return [], "no_implication_known"
    grounded.sort(key=lambda p: state.revealed.index(p.id))
    pool = [n for p in grounded for n in p.need_payoffs if n.id not in seen]
    return pool, (None if pool else "nothing_left")


# --- the decision ------------------------------------------------------------------------


def _apply(state: CustomerState, effect: Effect, sign: int) -> None:
    state.patience = min(state.max_patience, state.patience + sign * effect.patience)
    state.trust = max(0, min(100, state.trust + sign * effect.trust))
    if sign > 0:
        state.rapport += effect.rapport


def _objection(state: CustomerState, persona: Persona, rules: CustomerRules) -> str:
    pool = [o.text for o in persona.objections]
    pool += rules.lines_for(persona.language, persona.personality, "objections")
    return pool[state.objections_raised % len(pool)]


def _mood(state: CustomerState, persona: Persona) -> Mood:
    if state.ended:
        return "annoyed"
    if state.patience * 3 <= state.max_patience:
        return "impatient"
    need_known = any(persona.fact_kind(fid) == "need_payoff" for fid in state.revealed)
    if need_known or state.next_step_agreed:
        return "interested"
    if state.trust >= 70:
        return "warm"
    if state.trust < 35:
        return "guarded"
    return "neutral"


def _weak_opener(coaching: Coaching) -> bool:
    o = coaching.opener
    if o is None:
        return False
    return not (o.introduced_self and o.stated_purpose and o.within_30_seconds)


def decide(
    state: CustomerState,
    persona: Persona,
    coaching: Coaching,
    text: str,
    scenario: Scenario,
    rules: CustomerRules,
) -> Decision:
    """The customer's move on one rep turn (rules in the module docstring); `state` is untouched."""
    if state.ended:
        return Decision(
            act="hang_up", mood="annoyed", state=state.model_copy(deep=True), reason="ended"
        )

    new = state.model_copy(deep=True)
    new.turns += 1
    first_turn = state.turns == 0
    pr: PersonalityRules = rules.for_personality(persona.personality)
    signals = coaching.signals
    flags = set(coaching.flags)
    costs: list[Effect] = []
    gains: list[Effect] = []

    opener_turn = first_turn and scenario == "cold_call"
    pitching = signals.pitch or "premature_pitch" in flags
    premature = pitching and not problem_known(state, persona) and not opener_turn
    closed = coaching.question == "closed" or "closed_question" in flags
    next_step = signals.next_step.proposed

    if opener_turn:
        if _weak_opener(coaching):
            costs.append(pr.costs.weak_opener)
    else:
        if premature:
            costs.append(pr.costs.premature_pitch)
        if closed and not signals.small_talk and not next_step:
            costs.append(pr.costs.closed_question)
        if "too_long" in flags:
            costs.append(pr.costs.too_long)
        if "multiple_questions" in flags:
            costs.append(pr.costs.multiple_questions)
    if signals.acknowledgement:
        gains.append(pr.gains.acknowledgement)

    act: Act
    reason: Reason | None = None
    facts: list[RevealedFact] = []
    terse = False
    objection: str | None = None

    if next_step and not opener_turn:
        if has_interest(state, persona, scenario, rules):
            if signals.next_step.has_concrete_time:
                act = "accept_next_step"
                new.next_step_agreed = True
            else:
                act, reason = "defer_next_step", "no_concrete_time"
        else:
            act, reason = "defer_next_step", "no_interest"
    elif opener_turn or (first_turn and coaching.spin is None and not pitching):
        act = "greet"
        reason = "weak_opener" if opener_turn and _weak_opener(coaching) else None
        if signals.small_talk:
            new.small_talk_turns += 1
            gains.append(pr.gains.small_talk)
    elif coaching.spin is not None:
        kind: FactKind = coaching.spin
        if kind == "situation":
            new.situation_questions += 1
        warm = state.rapport > 0 or state.situation_questions > 0 or signals.acknowledgement
        pool, why_not = _candidates(kind, state, persona)
        if kind == "problem" and pr.problem_needs_warmup and not warm and pool:
            act, reason = "deflect", "needs_warmup"
        elif not pool:
            act, reason = "deflect", why_not
            if why_not in ("no_problem_known", "no_implication_known"):
                costs.append(pr.costs.unearned_question)
        elif closed and kind not in rules.closed_reveals and not signals.asks_value:
            act, reason, terse = "short_answer", "closed_question", True
        else:
            chosen = _best(pool, text, persona.language)
            assert chosen is not None  # pool is non-empty here
            found = _as_revealed(persona, chosen.id)
            assert found is not None
            facts = [found]
            act, terse = "reveal", closed
            if not closed:
                gains.append(pr.gains.open_question)
    elif pitching:
        if premature:
            act, reason = "object", "premature_pitch"
            objection = _objection(state, persona, rules)
            new.objections_raised += 1
        else:
            act, reason = "acknowledge", "value_point"
    elif signals.small_talk:
        act = "small_talk"
        if state.small_talk_turns >= pr.small_talk_limit:
            reason = "excess_small_talk"
            costs.append(pr.costs.excess_small_talk)
        else:
            gains.append(pr.gains.small_talk)
        new.small_talk_turns += 1
    elif coaching.question is not None or signals.question_count > 0:
        act = "short_answer"
    elif "too_long" in flags:
        act, reason = "short_answer", "monologue"
    else:
        act = "acknowledge"

    for effect in costs:
        _apply(new, effect, -1)
    for effect in gains:
        _apply(new, effect, +1)

    if new.patience <= 0:
        new.patience = 0
        new.ended = True
        act, reason, facts, terse, objection = "hang_up", "patience_exhausted", [], False, None
        new.next_step_agreed = state.next_step_agreed
        new.objections_raised = state.objections_raised

    new.revealed.extend(f.id for f in facts)
    new.last_act = act
    return Decision(
        act=act,
        facts=facts,
        mood=_mood(new, persona),
        state=new,
        terse=terse,
        reason=reason,
        objection=objection,
    )
