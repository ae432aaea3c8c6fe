"""Analysing one rep utterance against the playbook's coach rules: pure functions, no I/O.

How a turn is read (all word lists and thresholds come from playbook/coach/):
1. The language is the one given, else the script that dominates the text.
2. The text is split into sentences; a sentence is a question when it has a question mark,
   a final particle (吗/呢) or is a request to talk ("tell me about...").
3. Each question sentence is scored against the SPIN types' cue groups and counter-groups,
   and against "none" through the non-SPIN signals it shows (small talk, asking for time,
   a next step, a pitch...). The turn's SPIN type is that of its best-scoring SPIN question;
   a question no cue speaks for is a situation question.
4. Openness is read from the last clause of each question that carries an openness cue.
5. Signals, flags, the opener checks and one tip (by the playbook's priority) follow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.coach.schemas import (
    CoachContext,
    Coaching,
    NextStepSignal,
    OpenerCheck,
    Openness,
    Signals,
    SpinType,
)
from app.playbook.coaching import SPIN_KINDS, CoachRules, Patterns, SignalName
from app.playbook.persona import Language

# Han characters (CJK unified ideographs and extensions A and compatibility) are spoken one
# syllable each; Latin words and digit groups are spoken as words.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")


def detect_language(text: str) -> Language:
    """zh when Han characters are at least as many as Latin words, else en."""
    han = len(HAN.findall(text))
    return "zh" if han and han >= len(WORD.findall(text)) else "en"


def estimated_seconds(text: str, rules: CoachRules) -> float:
    """Speaking time at the playbook's rates: Han characters and words, whatever the language."""
    rates = rules.opener.speech_rates
    han = len(HAN.findall(text))
    words = len(WORD.findall(text))
    return round(han / rates.zh_chars_per_second + words / rates.en_words_per_second, 1)


def check_opener(text: str, rules: CoachRules, language: Language) -> OpenerCheck:
    """The five checks of the 30-second opener (SPIN.md), with the estimated speaking time."""
    cues = rules.opener.checks
    seconds = estimated_seconds(text, rules)
    return OpenerCheck(
        introduced_self=cues.introduced_self.found(text, language),
        stated_purpose=cues.stated_purpose.found(text, language),
        named_pain=cues.named_pain.found(text, language),
        asked_for_time=cues.asked_for_time.found(text, language),
        within_30_seconds=seconds <= rules.opener.limit_seconds,
        estimated_seconds=seconds,
    )


@dataclass(slots=True)
class _Question:
    text: str
    openness: Openness
    spin: SpinType | None
    score: float
    pitch: bool


def _is_question(sentence: str, rules: CoachRules, language: Language) -> bool:
    q = rules.spin.questions
    return q.marks.found(sentence, language) or q.requests.found(sentence, language)


def _openness(sentence: str, rules: CoachRules, language: Language) -> Openness:
    q = rules.spin.questions
    if q.requests.found(sentence, language):
        return "open"
    # The main question is usually the last clause ("If you could..., what would...?").
    for clause in reversed(q.clauses(sentence)):
        if q.closed.found(clause, language) or q.quantity.found(clause, language):
            return "closed"
        if q.open.found(clause, language):
            return "open"
    return "closed"


def _next_step_in(sentence: str, rules: CoachRules, language: Language) -> str | None:
    """The form of a next step this sentence proposes, if it proposes one."""
    cues = rules.signals.next_step
    form = next((name for name, p in cues.forms.items() if p.found(sentence, language)), None)
    if form is None:
        return None
    if cues.proposal.found(sentence, language) or cues.concrete_time.found(sentence, language):
        return form
    return None


def _non_spin_shown(sentence: str, rules: CoachRules, language: Language) -> set[SignalName]:
    s = rules.signals
    checks: dict[SignalName, Patterns] = {
        "small_talk": s.small_talk,
        "greeting": s.greeting,
        "thanks": s.thanks,
        "acknowledgement": s.acknowledgement,
        "repeat_request": s.repeat_request,
        "asked_for_time": rules.opener.checks.asked_for_time,
        "pitch": s.pitch,
    }
    weights = rules.spin.non_spin.signal_weights
    shown = {name for name in weights if name in checks and checks[name].found(sentence, language)}
    if "next_step" in weights and _next_step_in(sentence, rules, language) is not None:
        shown.add("next_step")
    return shown


def _classify(sentence: str, rules: CoachRules, language: Language) -> _Question:
    spin_rules = rules.spin
    scores: dict[str, float] = {}
    for kind in SPIN_KINDS:
        t = spin_rules.types[kind]
        scores[kind] = sum(g.weight for g in t.cues if g.found(sentence, language)) - sum(
            g.weight for g in t.counter if g.found(sentence, language)
        )
    shown = _non_spin_shown(sentence, rules, language)
    weights = spin_rules.non_spin.signal_weights
    scores["none"] = max((weights[name] for name in shown), default=0.0)
    order: dict[str, int] = {str(k): i for i, k in enumerate(spin_rules.tie_order)}
    best = max(scores, key=lambda k: (scores[k], -order.get(k, len(order))))
    spin: SpinType | None
    if scores[best] <= 0:
        spin, score = spin_rules.default_type, 0.0
    elif best == "none":
        spin, score = None, scores["none"]
    else:
        spin, score = best, scores[best]  # type: ignore[assignment]
    return _Question(
        text=sentence,
        openness=_openness(sentence, rules, language),
        spin=spin,
        score=score,
        pitch="pitch" in shown,
    )


def _format(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


def analyze(
    text: str,
    rules: CoachRules,
    *,
    language: Language | None = None,
    context: CoachContext | None = None,
    opener: bool = False,
) -> Coaching:
    """Coach one rep utterance: SPIN type, openness, signals, flags, opener checks and a tip."""
    lang: Language = language or detect_language(text)
    ctx = context or CoachContext()
    sig = rules.signals
    q_rules = rules.spin.questions

    sentences = q_rules.sentences(text) or [text.strip()]
    questions: list[_Question] = []
    statements: list[str] = []
    for sentence in sentences:
        if _is_question(sentence, rules, lang):
            questions.append(_classify(sentence, rules, lang))
        else:
            statements.append(sentence)

    spin_questions = [q for q in questions if q.spin is not None]
    spin: SpinType | None = None
    if spin_questions:
        spin = max(spin_questions, key=lambda q: q.score).spin
    question: Openness | None = None
    if questions:
        question = "open" if any(q.openness == "open" for q in questions) else "closed"

    # A pitch inside a SPIN question ("if our tool could..., what would it mean?") is not one.
    pitch_sentences = [s for s in statements if sig.pitch.found(s, lang)]
    pitch_sentences += [q.text for q in questions if q.pitch and q.spin is None]
    value_point = any(sig.value_point.found(s, lang) for s in pitch_sentences)

    next_form = next(
        (f for f in (_next_step_in(s, rules, lang) for s in sentences) if f is not None), None
    )
    next_step = NextStepSignal()
    if next_form is not None:
        time = sig.next_step.concrete_time.search(text, lang)
        next_step = NextStepSignal(
            proposed=True,
            has_concrete_time=time is not None,
            time_text=time.group(0) if time is not None else None,
            form=next_form,
        )

    seconds = estimated_seconds(text, rules)
    signals = Signals(
        pitch=bool(pitch_sentences),
        small_talk=sig.small_talk.found(text, lang),
        value_point=value_point,
        acknowledgement=sig.acknowledgement.found(text, lang),
        next_step=next_step,
        question_count=len(questions),
        estimated_seconds=seconds,
    )
    shown = {
        "small_talk": signals.small_talk,
        "greeting": sig.greeting.found(text, lang),
        "thanks": sig.thanks.found(text, lang),
        "acknowledgement": signals.acknowledgement,
        "repeat_request": sig.repeat_request.found(text, lang),
        "asked_for_time": rules.opener.checks.asked_for_time.found(text, lang),
        "next_step": next_step.proposed,
        "pitch": signals.pitch,
    }

    scenario = rules.scenarios.get(ctx.scenario) if ctx.scenario else None
    opener_due = opener or (
        scenario is not None and scenario.opener_on_first_turn and ctx.rep_turn_index == 0
    )
    opener_check = check_opener(text, rules, lang) if opener_due else None

    limits = rules.flags
    length = len(HAN.findall(text)) + len(WORD.findall(text)) if lang == "zh" else None
    too_long = (
        length > limits.too_long.max_chars
        if length is not None
        else len(WORD.findall(text)) > limits.too_long.max_words
    )
    raised = {
        "premature_pitch": signals.pitch and not ctx.problem_known,
        "closed_question": question == "closed" and spin is not None,
        "multiple_questions": len(questions) >= limits.multiple_questions,
        "too_long": too_long,
        "no_question": not questions
        and not any(shown[name] for name in limits.no_question_exempt)
        and not (opener_check is not None and opener_check.asked_for_time),
        "too_many_points": len(pitch_sentences) > limits.max_value_points,
        "vague_next_step": next_step.proposed and not next_step.has_concrete_time,
        "no_rapport": scenario is not None
        and ctx.rep_turn_index < scenario.rapport_turns
        and spin is not None
        and not (shown["small_talk"] or shown["greeting"] or shown["acknowledgement"]),
    }
    flags = [name for name in limits.enabled if raised[name]]

    values = {
        "estimated_seconds": f"{seconds:g}",
        "limit_seconds": f"{rules.opener.limit_seconds:g}",
        "max_words": str(limits.too_long.max_words),
        "max_chars": str(limits.too_long.max_chars),
        "question_count": str(len(questions)),
        "max_value_points": str(limits.max_value_points),
    }
    return Coaching(
        language=lang,
        spin=spin,
        question=question,
        flags=flags,
        opener=opener_check,
        tip=_format(_tip(rules, lang, flags, opener_check, spin), values),
        signals=signals,
    )


def _tip(
    rules: CoachRules,
    language: Language,
    flags: Sequence[str],
    opener: OpenerCheck | None,
    spin: SpinType | None,
) -> str:
    tips = rules.tips
    missed: set[str] = set()
    if opener is not None:
        checks = opener.model_dump()
        missed = {f"opener.{name}" for name in tips.opener if checks.get(name) is False}
    applies = set(flags) | missed
    for entry in tips.priority:
        if entry not in applies:
            continue
        if entry.startswith("opener."):
            return tips.opener[entry.removeprefix("opener.")][language]  # type: ignore[index]
        return tips.flags[entry][language]  # type: ignore[index]
    if opener is not None:
        return tips.opener_complete[language]
    if spin is not None:
        return tips.next_move[spin][language]
    return tips.default[language]
