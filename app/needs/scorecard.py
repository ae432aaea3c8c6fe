"""The practice scorecard: the rubric of playbook/scoring.yaml applied to a transcript.

Each rule below reads the coach's stored readings of the rep turns (never the rep's raw text)
and what the customer disclosed, and returns the share of the criterion's points earned, the
turns that earned or lost them and the placeholders for its comment. Criteria that do not
apply to the scenario (or to a persona without hidden need-payoffs) are left out and the rest
rescaled to 100.

What cannot be gamed:
- off-topic, meta and repeated turns are not discovery: they count for no SPIN criterion and
  cost points under `conduct`, as do hard closes, each with its turn as evidence;
- gaming costs more than carelessness: beyond the rubric's free turns, each of those turns
  (and each meta, gibberish or hard close before any need-payoff) takes points off the total,
  shown as the `deduction` line (negative points, max_points 0) citing each turn;
- a customer statement (a pain, a consequence, an objection) the rep talks past costs points
  under `listening`; a summary earns them only when it restates what the customer said (its
  reading's words overlap the customer turns that revealed a fact);
- criteria a rep could "pass" by asking nothing (no pitch, no misconduct, a low talk ratio,
  the open-question ratio, the order of questions) are marked `engagement` in the rubric and
  pay in proportion to the SPIN questions that got an answer, up to `engagement.full_at`;
- a comment is picked by the rule's own judgement, so it never praises what its evidence
  shows went wrong: a rule that found faults cannot say "good".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.coach.analyzer import HAN, WORD
from app.coach.schemas import Coaching, Scenario, SpinType
from app.needs.conversation import (
    Disclosure,
    coaching_of,
    disclosures,
    final_next_step,
    in_order,
    next_step_events,
)
from app.needs.schemas import Criterion, Scorecard
from app.needs.support import shared_tokens, support
from app.playbook.needs import NeedsRules
from app.playbook.persona import Language, Persona
from app.playbook.scoring import PLURAL, CommentLevel, ScoringRubric
from app.playbook.scoring import Criterion as RubricCriterion
from app.roleplay.transcript import TranscriptTurn

SPIN_ORDER: tuple[SpinType, ...] = ("situation", "problem", "implication", "need_payoff")
SPIN_NAMES: dict[Language, dict[SpinType, str]] = {
    "zh": {
        "situation": "背景问题",
        "problem": "难点问题",
        "implication": "暗示问题",
        "need_payoff": "需求-效益问题",
    },
    "en": {
        "situation": "situation",
        "problem": "problem",
        "implication": "implication",
        "need_payoff": "need-payoff",
    },
}
EVIDENCE_LIMIT = 8


@dataclass
class Session:
    """What the rules read, computed once per transcript."""

    persona: Persona
    scenario: Scenario
    language: Language
    turns: list[TranscriptTurn]
    found: list[Disclosure]
    rubric: ScoringRubric
    rules: NeedsRules | None
    rep: list[TranscriptTurn] = field(init=False)
    customer: list[TranscriptTurn] = field(init=False)
    reply_to: dict[int, TranscriptTurn] = field(init=False)

    def __post_init__(self) -> None:
        self.rep = [t for t in self.turns if t.speaker == "rep"]
        self.customer = [t for t in self.turns if t.speaker == "customer"]
        # Rep turn seq -> the customer turn that answered it.
        self.reply_to = {}
        last: TranscriptTurn | None = None
        for turn in self.turns:
            if turn.speaker == "rep":
                last = turn
            elif last is not None and last.seq not in self.reply_to:
                self.reply_to[last.seq] = turn

    def join(self, parts: list[str]) -> str:
        return ("、" if self.language == "zh" else ", ").join(parts)

    def revealed_before(self, seq: int, *kinds: str) -> bool:
        return any(d.turn_seq < seq and d.kind in kinds for d in self.found)

    def genuine(self) -> list[TranscriptTurn]:
        """Rep turns that are part of the conversation: not off-topic, meta or a repeat."""
        return [t for t in self.rep if not _misconduct(coaching_of(t))]

    def spin_questions(self) -> list[tuple[TranscriptTurn, SpinType]]:
        pairs = [(t, coaching_of(t).spin) for t in self.genuine()]
        return [(t, s) for t, s in pairs if s is not None]

    def answered(self) -> list[int]:
        """SPIN questions the customer answered with a hidden fact."""
        disclosed = {d.turn_seq for d in self.found}
        out = []
        for turn, _ in self.spin_questions():
            reply = self.reply_to.get(turn.seq)
            if reply is not None and reply.seq in disclosed:
                out.append(turn.seq)
        return out

    def engagement(self) -> float:
        return min(1.0, len(self.answered()) / self.rubric.engagement.full_at)


def _misconduct(c: Coaching) -> bool:
    s = c.signals
    return s.off_topic or s.meta or s.noise or s.repeat_of is not None


@dataclass
class Outcome:
    fraction: float
    evidence: list[int]
    values: dict[str, object] = field(default_factory=dict)
    # The rule found something wrong: its comment may not be the "good" one.
    faults: bool = False


Rule = Callable[[Session, RubricCriterion], Outcome]


def _linear(value: float, zero_at: float, full_at: float) -> float:
    """0 at `zero_at`, 1 at `full_at`, linear between (either direction)."""
    if full_at == zero_at:
        return 1.0 if value >= full_at else 0.0
    share = (value - zero_at) / (full_at - zero_at)
    return max(0.0, min(1.0, share))


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100)}%"


def _opener(s: Session, c: RubricCriterion) -> Outcome:
    first = s.rep[0] if s.rep else None
    check = coaching_of(first).opener if first is not None else None
    names = list(s.rubric.opener_checks)
    labels = [s.rubric.opener_checks[n].in_(s.language) for n in names]
    if first is None or check is None:
        return Outcome(0.0, [first.seq] if first else [], {"missing": s.join(labels)})
    passed = [bool(getattr(check, n)) for n in names]
    missing = [label for label, ok in zip(labels, passed, strict=True) if not ok]
    return Outcome(
        sum(passed) / len(passed),
        [first.seq],
        {
            "passed": sum(passed),
            "missing": s.join(missing),
            "seconds": f"{check.estimated_seconds:.0f}",
        },
    )


def _is_business(turn: TranscriptTurn) -> bool:
    coaching = coaching_of(turn)
    return coaching.spin is not None or coaching.signals.pitch or coaching.signals.value_point


def _rapport(s: Session, c: RubricCriterion) -> Outcome:
    business = next((t.seq for t in s.rep if _is_business(t)), None)
    small_talk = [t.seq for t in s.rep if coaching_of(t).signals.small_talk]
    values: dict[str, object] = {"first_business": business if business is not None else "-"}
    if small_talk and (business is None or small_talk[0] < business):
        return Outcome(1.0, small_talk[:EVIDENCE_LIMIT], values)
    evidence = [business] if business is not None else []
    if small_talk:
        return Outcome(c.params["late_fraction"], evidence + small_talk[:3], values)
    return Outcome(0.0, evidence, values)


def _spin_coverage(s: Session, c: RubricCriterion) -> Outcome:
    first_of: dict[SpinType, int] = {}
    for turn, spin in s.spin_questions():
        first_of.setdefault(spin, turn.seq)
    names = SPIN_NAMES[s.language]
    missing = [names[t] for t in SPIN_ORDER if t not in first_of]
    return Outcome(
        len(first_of) / len(SPIN_ORDER),
        sorted(first_of.values()),
        {
            "asked": s.join([names[t] for t in SPIN_ORDER if t in first_of]),
            "missing": s.join(missing),
        },
    )


def _spin_order(s: Session, c: RubricCriterion) -> Outcome:
    # An implication question needs a pain the customer has named; a need-payoff question
    # needs a consequence the customer has named (manual 三(二) step 2).
    needs_before: dict[SpinType, tuple[str, ...]] = {
        "implication": ("problem", "implication"),
        "need_payoff": ("implication", "need_payoff"),
    }
    questions = s.spin_questions()
    jumped = [
        t.seq
        for t, spin in questions
        if spin in needs_before and not s.revealed_before(t.seq, *needs_before[spin])
    ]
    total = len(questions)
    counted = max(total, c.params["min_questions"], 1)
    fraction = (total - len(jumped)) / counted
    evidence = jumped if jumped else [t.seq for t, _ in questions]
    return Outcome(
        fraction,
        evidence[:EVIDENCE_LIMIT],
        {"out_of_order": len(jumped), "total": total, "min_questions": c.params["min_questions"]},
    )


def _implication_depth(s: Session, c: RubricCriterion) -> Outcome:
    asked = [t.seq for t, spin in s.spin_questions() if spin == "implication"]
    # Only questions about a pain the customer has already named enlarge it.
    grounded = [seq for seq in asked if s.revealed_before(seq, "problem")]
    revealed = [d.turn_seq for d in s.found if d.kind == "implication"]
    target = c.params["target_questions"]
    return Outcome(
        min(1.0, len(grounded) / target) if target > 0 else 1.0,
        sorted(set(asked + revealed))[:EVIDENCE_LIMIT],
        {"count": len(grounded), "target": f"{target:g}", "revealed": len(revealed)},
    )


def _question_counts(s: Session) -> tuple[list[int], list[int]]:
    genuine = s.genuine()
    open_ = [t.seq for t in genuine if coaching_of(t).question == "open"]
    closed = [t.seq for t in genuine if coaching_of(t).question == "closed"]
    return open_, closed


def open_question_ratio(s: Session) -> float:
    open_, closed = _question_counts(s)
    asked = len(open_) + len(closed)
    return len(open_) / asked if asked else 0.0


def _open_questions(s: Session, c: RubricCriterion) -> Outcome:
    open_, closed = _question_counts(s)
    ratio = open_question_ratio(s)
    fraction = _linear(ratio, c.params["zero_at"], c.params["full_at"]) if open_ or closed else 0.0
    evidence = closed if fraction < 1 else open_
    return Outcome(
        fraction,
        evidence[:EVIDENCE_LIMIT],
        {"ratio": _percent(ratio), "open": len(open_), "closed": len(closed)},
    )


def speech_seconds(text: str, rubric: ScoringRubric) -> float:
    """A customer turn's speaking time, counted as the coach counts a rep turn's."""
    rate = rubric.speech_rate
    return (
        len(HAN.findall(text)) / rate.zh_chars_per_second
        + len(WORD.findall(text)) / rate.en_words_per_second
    )


def _seconds(turn: TranscriptTurn, rubric: ScoringRubric) -> float:
    # The rep's time is the coach's stored estimate; the customer's is counted the same way.
    if turn.speaker == "rep":
        return coaching_of(turn).signals.estimated_seconds
    return speech_seconds(turn.text, rubric)


def rep_talk_ratio(s: Session) -> float:
    rep = sum(_seconds(t, s.rubric) for t in s.rep)
    customer = sum(_seconds(t, s.rubric) for t in s.customer)
    return rep / (rep + customer) if rep + customer > 0 else 0.0


def _talk_ratio(s: Session, c: RubricCriterion) -> Outcome:
    ratio = rep_talk_ratio(s)
    fraction = _linear(ratio, c.params["zero_at"], c.params["full_at"]) if s.rep else 0.0
    # Losing points cites the rep's longest turns; earning them, the customer's.
    side = s.rep if fraction < 1 else s.customer
    longest = sorted(side, key=lambda t: _seconds(t, s.rubric), reverse=True)[:3]
    return Outcome(fraction, sorted(t.seq for t in longest), {"ratio": _percent(ratio)})


def _premature_pitch(s: Session, c: RubricCriterion) -> Outcome:
    # The cold-call opener's one-line purpose statement is not a pitch (SPIN.md).
    opener = s.rep[0].seq if s.scenario == "cold_call" and s.rep else None
    early = [
        t.seq
        for t in s.rep
        if t.seq != opener
        and (
            "premature_pitch" in coaching_of(t).flags
            or (
                coaching_of(t).signals.pitch
                and not s.revealed_before(t.seq, "problem", "implication")
            )
        )
    ]
    fraction = max(0.0, 1.0 - c.params["penalty_per_pitch"] * len(early))
    return Outcome(fraction, early[:EVIDENCE_LIMIT], {"count": len(early)}, faults=bool(early))


def _value_points(s: Session, c: RubricCriterion) -> Outcome:
    """Value tied to a pain the customer named: the coach's value point, or a pitch whose
    words (the reading's topic) share enough with a pain said before it."""
    said = {t.seq: t.text for t in s.customer}
    pains = [d for d in s.found if d.kind in ("problem", "implication")]
    opener = s.rep[0].seq if s.scenario == "cold_call" and s.rep else None
    tied: list[int] = []
    untied: list[int] = []
    for turn in s.genuine():
        signals = coaching_of(turn).signals
        if turn.seq == opener or not (signals.value_point or signals.pitch):
            continue
        stated = [said[d.turn_seq] for d in pains if d.turn_seq < turn.seq]
        words = " ".join(signals.topic)
        linked = bool(stated) and (
            signals.value_point
            or any(shared_tokens(words, pain) >= c.params["min_shared_tokens"] for pain in stated)
        )
        (tied if linked else untied).append(turn.seq)
    limit = c.params["limit"]
    if not tied:
        fraction = 0.0
    elif untied or len(tied) > limit:
        fraction = 0.5
    else:
        fraction = 1.0
    return Outcome(
        fraction,
        sorted(tied + untied)[:EVIDENCE_LIMIT],
        {
            "tied": len(tied),
            "untied": len(untied),
            "count": len(tied) + len(untied),
            "limit": f"{limit:g}",
        },
        faults=bool(untied),
    )


def _next_step(s: Session, c: RubricCriterion) -> Outcome:
    acts = s.rules.next_step_acts if s.rules is not None else None
    events = next_step_events(
        s.turns,
        accepted_acts=acts.accepted if acts else ("accept_next_step",),
        deferred_acts=acts.deferred if acts else ("defer_next_step",),
    )
    event = final_next_step(events)
    if event is None:
        return Outcome(0.0, [], {"time": "", "form": ""})
    concrete = event.concrete
    if event.agreed:
        fraction = 1.0 if concrete else c.params["vague_fraction"]
    else:
        fraction = c.params["deferred_fraction"] * (1.0 if concrete else 0.5)
    return Outcome(
        fraction,
        sorted({event.proposed_seq, event.proposal.seq, event.reply.seq}),
        {"time": event.time or "", "form": event.form or ""},
    )


def _discovery_coverage(s: Session, c: RubricCriterion) -> Outcome:
    revealed = [d for d in s.found if d.kind == "need_payoff" and d.fact_id is not None]
    total = s.persona.need_payoff_count
    found = len({d.fact_id for d in revealed})
    # Full points once this share of the persona's needs is uncovered (a call has limits).
    share = found / total if total else 0.0
    return Outcome(
        _linear(share, 0.0, c.params["full_at"]),
        [d.turn_seq for d in revealed][:EVIDENCE_LIMIT],
        {"found": found, "total": total},
    )


def _off_the_call(s: Session) -> dict[str, list[int]]:
    """The rep turns that leave or game the call, by kind (each turn counted once)."""
    kinds: dict[str, list[int]] = {"off_topic": [], "meta": [], "repeats": [], "hard_closes": []}
    for turn in s.rep:
        signals = coaching_of(turn).signals
        # Talk to the program is off the call's topic too (SPIN.md); it counts as meta.
        if signals.meta or signals.noise:
            kinds["meta"].append(turn.seq)
        elif signals.off_topic:
            kinds["off_topic"].append(turn.seq)
        elif signals.repeat_of is not None:
            kinds["repeats"].append(turn.seq)
        elif signals.hard_close:
            kinds["hard_closes"].append(turn.seq)
    return kinds


def _conduct(s: Session, c: RubricCriterion) -> Outcome:
    """Off-topic, meta, repeated and hard-close turns each cost points."""
    kinds = _off_the_call(s)
    bad = sorted(seq for seqs in kinds.values() for seq in seqs)
    fraction = max(0.0, 1.0 - c.params["penalty_per_turn"] * len(bad))
    values: dict[str, object] = {k: len(v) for k, v in kinds.items()}
    values["count"] = len(bad)
    return Outcome(fraction, bad[:EVIDENCE_LIMIT], values, faults=bool(bad))


def _responds(turn: TranscriptTurn) -> bool:
    """The rep's turn takes up what the customer just said."""
    c = coaching_of(turn)
    s = c.signals
    if _misconduct(c) or s.hard_close:
        return False
    if s.acknowledgement or s.summary or s.value_point:
        return True
    return c.spin in ("implication", "need_payoff") or (
        c.question is not None and c.spin is not None
    )


def _restates(s: Session, turn: TranscriptTurn, c: RubricCriterion) -> bool:
    """A summary restates what the customer said: its words (the reading's topic, which for a
    summary is the whole turn) share at least `summary_min_shared` with the customer turns
    that revealed a fact before it, and at least `summary_min_support` of them are there."""
    said = {t.seq: t.text for t in s.customer}
    revealed = sorted({d.turn_seq for d in s.found if d.turn_seq < turn.seq})
    if not s.revealed_before(turn.seq, "problem", "implication"):
        return False
    words = " ".join(coaching_of(turn).signals.topic)
    source = " ".join(said[seq] for seq in revealed if seq in said)
    return (
        shared_tokens(words, source) >= c.params["summary_min_shared"]
        and support(words, source) >= c.params["summary_min_support"]
    )


def _listening(s: Session, c: RubricCriterion) -> Outcome:
    """Summaries earn; a pain, a consequence or an objection the rep talks past costs."""
    statements: list[int] = []
    ignored: list[int] = []
    nxt = {a.seq: b for a, b in zip(s.turns, s.turns[1:], strict=False)}
    pains = {d.turn_seq for d in s.found if d.kind in ("problem", "implication")}
    for turn in s.customer:
        if not (turn.seq in pains or turn.act == "object"):
            continue
        statements.append(turn.seq)
        following = nxt.get(turn.seq)
        if following is not None and following.speaker == "rep" and not _responds(following):
            ignored.append(turn.seq)
    summaries = [
        t.seq for t in s.genuine() if coaching_of(t).signals.summary and _restates(s, t, c)
    ]
    share = c.params["summary_share"]
    heard = 1.0 - len(ignored) / len(statements) if statements else 0.0
    fraction = share * (1.0 if summaries else 0.0) + (1.0 - share) * heard
    return Outcome(
        fraction,
        sorted(summaries + ignored)[:EVIDENCE_LIMIT],
        {"summaries": len(summaries), "ignored": len(ignored), "statements": len(statements)},
        faults=bool(ignored),
    )


RULES: dict[str, Rule] = {
    "opener": _opener,
    "rapport": _rapport,
    "spin_coverage": _spin_coverage,
    "spin_order": _spin_order,
    "implication_depth": _implication_depth,
    "open_questions": _open_questions,
    "talk_ratio": _talk_ratio,
    "premature_pitch": _premature_pitch,
    "value_points": _value_points,
    "next_step": _next_step,
    "discovery_coverage": _discovery_coverage,
    "conduct": _conduct,
    "listening": _listening,
}


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, values: dict[str, object]) -> str:
    """The comment with its placeholders filled; `{name_s}` is "s" unless the count is 1."""
    plurals = {
        name + PLURAL: "" if value == 1 else "s"
        for name, value in values.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    return template.format_map(_Blank(values | plurals)).strip()


def _applies(c: RubricCriterion, s: Session) -> bool:
    if s.scenario not in c.scenarios:
        return False
    return not (c.id == "discovery_coverage" and s.persona.need_payoff_count == 0)


def _deduction(s: Session, language: Language) -> Criterion | None:
    """Gaming costs more than carelessness: each turn off the call beyond the free ones takes
    points off the total (a hard close only before any need-payoff was said)."""
    d = s.rubric.deduction
    if d is None:
        return None
    kinds = _off_the_call(s)
    kinds["hard_closes"] = [
        seq for seq in kinds["hard_closes"] if not s.revealed_before(seq, "need_payoff")
    ]
    turns = sorted(seq for seqs in kinds.values() for seq in seqs)
    charged = turns[d.free_turns :]
    points = d.points_per_turn * len(charged)
    level: CommentLevel = "good" if not turns else "partial" if not charged else "poor"
    values = {"count": len(turns), "charged": len(charged), "points": f"{points:g}"}
    values["free"] = str(d.free_turns)
    template = d.comments.pick(level)
    return Criterion(
        id=d.id,
        label=d.label.in_(language),
        points=-round(points, 1) if points else 0.0,
        max_points=0.0,
        evidence_turns=charged[:EVIDENCE_LIMIT],
        comment=_fill(template.in_(language), values),
    )


def score_session(
    persona: Persona,
    scenario: Scenario,
    turns: list[TranscriptTurn],
    rubric: ScoringRubric,
    language: Language,
    *,
    rules: NeedsRules | None = None,
) -> Scorecard:
    """Score one session; `rules` only matter for unannotated transcripts and custom acts."""
    ordered = in_order(turns)
    found = disclosures(
        persona,
        ordered,
        non_answer_acts=rules.non_answer_acts if rules else (),
        evasions=rules.evasions.all() if rules else (),
        fact_support=rules.match.fact_support if rules else 0.6,
    )
    s = Session(persona, scenario, language, ordered, found, rubric, rules)
    applicable = [c for c in rubric.criteria if _applies(c, s)]
    scale = 100.0 / sum(c.max_points for c in applicable) if applicable else 0.0
    engagement = s.engagement()
    shared = {"answered": len(s.answered()), "engaged_at": rubric.engagement.full_at}
    criteria: list[Criterion] = []
    earned = 0.0
    for c in applicable:
        outcome = RULES[c.id](s, c)
        fraction = max(0.0, min(1.0, outcome.fraction))
        level = rubric.comment_level(fraction)
        if outcome.faults and level == "good":
            level = "partial"
        template = c.comments.pick(level)
        if c.engagement:
            fraction *= engagement
            if engagement < 1 and level == "good" and c.comments.thin is not None:
                template = c.comments.thin
        points = fraction * c.max_points * scale
        earned += points
        criteria.append(
            Criterion(
                id=c.id,
                label=c.label.in_(language),
                points=round(points, 1),
                max_points=round(c.max_points * scale, 1),
                evidence_turns=outcome.evidence,
                comment=_fill(template.in_(language), outcome.values | shared),
            )
        )
    deduction = _deduction(s, language)
    if deduction is not None:
        criteria.append(deduction)
        earned += deduction.points
    total = max(0, min(100, round(earned)))
    band = rubric.band_for(total)
    spin_counts = dict.fromkeys(SPIN_ORDER, 0)
    for _, spin in s.spin_questions():
        spin_counts[spin] += 1
    return Scorecard(
        total=total,
        band=band.id,
        band_label=band.label.in_(language),
        criteria=criteria,
        spin_counts=dict(spin_counts),
        open_question_ratio=round(open_question_ratio(s), 3),
        rep_talk_ratio=round(rep_talk_ratio(s), 3),
        needs_discovered=len({d.fact_id for d in found if d.kind == "need_payoff" and d.fact_id}),
        needs_total=persona.need_payoff_count,
    )
