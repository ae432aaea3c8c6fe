"""Analysing one rep utterance against the playbook's coach rules: pure functions, no I/O.

How a turn is read (all word lists and thresholds come from playbook/coach/):
1. The language is the one given, else the script that dominates the text.
2. The text is split into sentences; a sentence is a question when it has a question mark,
   a final particle (吗/呢) or is a request to talk ("tell me about...").
3. Each question sentence is scored against the SPIN types' cue groups and counter-groups,
   and against "none" through the non-SPIN signals it shows (small talk, asking for time,
   a next step, a pitch...). The turn's SPIN type is that of its best-scoring SPIN question;
   a question no cue speaks for is a situation question, unless it sits beside small talk.
4. Openness is read from the last clause of each question that carries an openness cue.
5. Signals, flags, the opener checks and one tip (by the playbook's priority) follow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.coach.learned import LearnedModel, features
from app.coach.schemas import (
    CoachContext,
    Coaching,
    EarlierTurn,
    NextStepSignal,
    OpenerCheck,
    Openness,
    Revealed,
    Signals,
    SpinType,
)
from app.coach.text import halfwidth
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


def _spoken(text: str, rules: CoachRules) -> tuple[int, int, float]:
    """Han characters, words, and the speaking time at the playbook's rates."""
    rates = rules.opener.speech_rates
    han, words = len(HAN.findall(text)), len(WORD.findall(text))
    return han, words, round(han / rates.zh_chars_per_second + words / rates.en_words_per_second, 1)


# Noise, not words: a Latin "word" without a vowel, a key held down, a row of the keyboard,
# placeholder Latin; a run of interjections (啊哦嗯哈...); figures say nothing alone.
NOISE_WORD = re.compile(
    r"[a-z]*[b-df-hj-np-tv-xz]{4,}[a-z]*|[a-z]*([a-z])\1{2,}[a-z]*"
    r"|[a-z]*(?:qwer|wert|asdf|sdfg|hjkl|zxcv|xcvb)[a-z]*"
    r"|lorem|ipsum|dolor|xyzzy|[0-9]+|[啊哦嗯哈啦呀哎唉呃嘿嘻呵哇噢喔]{3,}"
)


def is_noise(text: str) -> bool:
    """A turn with no words to the customer (emoji only, keyboard mashing): the customer is
    puzzled as by a meta turn, and the scorer counts it with them (`Signals.noise`)."""
    if not text.strip():
        return False
    words = topic_words(text)
    return all(NOISE_WORD.fullmatch(w) for w in words)


TOPIC_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['-][a-z0-9]+)*")


def topic_words(text: str) -> list[str]:
    """The words a turn is about: Latin words lowercased and runs of Han characters."""
    return TOPIC_WORD.findall(halfwidth(text).lower().replace("\u2019", "'"))


def estimated_seconds(text: str, rules: CoachRules) -> float:
    """Speaking time at the playbook's rates: Han characters and words, whatever the language."""
    return _spoken(text, rules)[2]


def check_opener(text: str, rules: CoachRules, language: Language) -> OpenerCheck:
    """The five checks of the 30-second opener (SPIN.md), with the estimated speaking time."""
    text = halfwidth(text)
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
class _Sentence:
    """One sentence of the turn as the coach reads it."""

    text: str
    shown: set[SignalName]
    next_form: str | None
    is_question: bool
    openness: Openness | None = None
    spin: SpinType | None = None
    score: float = 0.0
    # A SPIN type's cue matched the question (whatever won it).
    cued: bool = False


def _openness(sentence: str, rules: CoachRules, language: Language) -> Openness:
    q = rules.spin.questions
    if q.requests.found(sentence, language):
        return "open"
    # The main question is usually the last clause ("If you could..., what would...?"); where
    # clauses ask in turn (咋收的,还是前台收现金吗), the first question's openness holds.
    clauses = q.clauses(sentence)[::-1]
    if len(clauses) > 1 and language in q.first_clause:
        asking = next((c for c in reversed(clauses) if q.marks.found(c, language)), None)
        clauses = [asking, *clauses] if asking is not None else clauses
    for clause in clauses:
        if q.closed.found(clause, language) or q.quantity.found(clause, language):
            return "closed"
        if q.open.found(clause, language):
            return "open"
    return "closed"


def _next_step_in(sentence: str, rules: CoachRules, language: Language) -> str | None:
    """The form of a next step this sentence proposes, if it proposes one."""
    cues = rules.signals.next_step
    # Most sentences propose nothing; checking the proposal first spares the form searches.
    proposal = cues.proposal.found(sentence, language)
    if not (proposal or cues.concrete_time.found(sentence, language)):
        return None
    # Thanking for today's meeting names a time and a meeting, and proposes nothing.
    if not proposal and rules.signals.thanks.found(sentence, language):
        return None
    return next((name for name, p in cues.forms.items() if p.found(sentence, language)), None)


COURTESIES: frozenset[SignalName] = frozenset({"greeting", "thanks", "acknowledgement"})


def _read(sentence: str, rules: CoachRules, language: Language) -> _Sentence:
    s = rules.signals
    checks: tuple[tuple[SignalName, Patterns], ...] = (
        ("small_talk", s.small_talk),
        ("greeting", s.greeting),
        ("thanks", s.thanks),
        ("acknowledgement", s.acknowledgement),
        ("repeat_request", s.repeat_request),
        ("asked_for_time", rules.opener.checks.asked_for_time),
        ("pitch", s.pitch),
    )
    shown = {name for name, patterns in checks if patterns.found(sentence, language)}
    next_form = _next_step_in(sentence, rules, language)
    if next_form is not None:
        shown.add("next_step")
    q = rules.spin.questions
    # A question needs words: "?" or "???!!!" alone asks nothing.
    is_question = any(map(str.isalnum, sentence)) and (
        q.marks.found(sentence, language) or q.requests.found(sentence, language)
    )
    reading = _Sentence(sentence, shown, next_form, is_question)
    if is_question:
        reading.openness = _openness(sentence, rules, language)
        reading.spin, reading.score, reading.cued = _classify(sentence, shown, rules, language)
    return reading


def _classify(
    sentence: str, shown: set[SignalName], rules: CoachRules, language: Language
) -> tuple[SpinType | None, float, bool]:
    """The SPIN type of one question and its score, None when a non-SPIN move outscores them;
    and whether any SPIN type's cue matched."""
    spin_rules = rules.spin
    scores: dict[str, float] = {}
    for kind in SPIN_KINDS:
        t = spin_rules.types[kind]
        score = sum(g.weight for g in t.cues if g.found(sentence, language))
        # A type no cue speaks for cannot win, whatever its counter-groups say: skip them.
        if score > 0:
            score -= sum(g.weight for g in t.counter if g.found(sentence, language))
        scores[kind] = score
    weights = spin_rules.non_spin.signal_weights
    # Courtesies ("Hi,", "Thanks,") in front of a question do not make it small talk.
    polite = max((weights[n] for n in shown & COURTESIES if n in weights), default=0.0)
    scores["none"] = max(
        (weights[name] for name in shown - COURTESIES if name in weights), default=0.0
    )
    cued = any(scores[kind] > 0 for kind in SPIN_KINDS)
    rank = spin_rules.tie_rank
    best = max(scores, key=lambda k: (scores[k], -rank.get(k, len(rank))))
    if scores[best] <= 0:
        if polite > 0:
            return None, polite, cued
        return spin_rules.default_type, 0.0, cued
    if best == "none":
        return None, scores["none"], cued
    return best, scores[best], cued  # type: ignore[return-value]


@dataclass(slots=True)
class Utterance:
    """The rules' reading of one utterance alone, before the conversation is taken into account."""

    text: str
    language: Language
    sentences: list[_Sentence]
    spin: SpinType | None
    score: float
    question: Openness | None
    claims: list[str]
    shown: set[SignalName]
    cues: frozenset[str]
    # Han characters, words and the speaking time (`_spoken`), counted once.
    spoken: tuple[int, int, float]


# Behaviours the learned layer may decide (next_step is handled with its time).
LEARNED_BEHAVIOURS = (
    "small_talk",
    "acknowledgement",
    "summary",
    "value_point",
    "pitch",
    "hard_close",
    "off_topic",
    "meta",
    "goodbye",
)

# Behaviour cues read from the utterance alone (signals.yaml), beside the SignalName ones.
CUE_BEHAVIOURS = ("summary", "meta", "goodbye", "hard_close", "off_topic", "thanks_for_time")


def read_utterance(text: str, rules: CoachRules, language: Language | None = None) -> Utterance:
    """The rules on one utterance: sentences, SPIN type and its score, openness, claims, cues."""
    text = halfwidth(text)
    spoken = _spoken(text, rules)
    han, words = spoken[0], spoken[1]
    # As detect_language, from the counts already made.
    lang: Language = language or ("zh" if han and han >= words else "en")
    sentences = [
        _read(s, rules, lang) for s in (rules.spin.questions.sentences(text) or [text.strip()])
    ]
    questions = [s for s in sentences if s.is_question]
    sig = rules.signals
    cues = frozenset(name for name in CUE_BEHAVIOURS if getattr(sig, name).found(text, lang))
    if _keyword_list([s.text for s in sentences if s.is_question], rules, lang):
        cues |= {"keyword_list"}
    # A summary checked back ("..., is that fair?"), a remark off the call's topic and words to
    # the program ask no SPIN question, whatever their words. (Their unanchored cues, absent
    # from the whole turn, are absent from each sentence: only turns with one search again.)
    checks = [
        q
        for q in questions
        if (q.openness == "closed" and sig.summary.found(q.text, lang))
        or ("off_topic" in cues and sig.off_topic.found(q.text, lang))
        or ("meta" in cues and sig.meta.found(q.text, lang))
    ]
    asking = [q for q in questions if q not in checks]
    spin_questions = [q for q in asking if q.spin is not None]
    if any("small_talk" in q.shown for q in questions):
        # A question no cue speaks for, asked beside small talk, follows it ("How was the
        # weekend? Get up to anything fun?"): it is not taken as a situation question.
        spin_questions = [q for q in spin_questions if q.score > 0]
    best = max(spin_questions, key=lambda q: q.score) if spin_questions else None
    # A compound question takes the openness of its first question (SPIN.md); a summary
    # checked back before it does not count.
    first = (asking or questions)[:1]
    question: Openness | None = first[0].openness if first else None
    # A claim inside a SPIN question ("if our tool could..., what would it mean?") is not one.
    benefit = sig.value_point.found(text, lang)
    claims = [
        s.text
        for s in sentences
        if (
            "pitch" in s.shown
            or (benefit and (len(sentences) == 1 or sig.value_point.found(s.text, lang)))
        )
        and not (s.is_question and s.spin)
    ]
    shown: set[SignalName] = set().union(*(s.shown for s in sentences))
    shown.discard("pitch")
    # Chat asked about, and nothing else: no SPIN cue, no claim, no summary, thanks or goodbye
    # ("whats the weather like where u are"): once rapport is done, off the call's topic.
    if (
        "small_talk" in shown
        and questions
        and not claims
        and not cues & {"summary", "goodbye", "thanks_for_time"}
        and not any(q.cued for q in questions)
    ):
        cues |= {"chat_question"}
    return Utterance(
        text=text,
        language=lang,
        sentences=sentences,
        spin=best.spin if best else None,
        score=best.score if best else 0.0,
        question=question,
        claims=claims,
        shown=shown,
        cues=cues,
        spoken=spoken,
    )


LIST_ITEM = re.compile(r"[,、;]+|\band\b|\bor\b|和|或")


def _short(item: str, language: Language) -> bool:
    """A bare keyword: a few characters (Chinese) or words (English), not a clause."""
    if language == "zh":
        return len(HAN.findall(item)) <= 6
    return len(WORD.findall(item)) <= 3


def _keyword_list(questions: list[str], rules: CoachRules, language: Language) -> bool:
    """SPIN cue words strung together instead of a question ("Pain? Impact? Value?", "现状、
    问题、影响、价值意味着什么?"): cues of three or more SPIN types, in three or more
    bare-keyword questions or in one question of four or more items, all bare keywords but one;
    or questions that are each a bare label of the method ("Problem?", 难点?)."""
    bare = rules.spin.bare_labels.get(language)
    if bare and questions and all(_bare_label(q, language) in bare for q in questions):
        return True
    listed = len(questions) >= 3 and all(_short(q, language) for q in questions)
    for q in questions:
        items = [i for i in LIST_ITEM.split(q.rstrip("?")) if i.strip()]
        listed = listed or (len(items) >= 4 and sum(not _short(i, language) for i in items) <= 1)
    if not listed:
        return False
    text = " ".join(questions)
    types = rules.spin.types
    return sum(any(g.found(text, language) for g in types[k].cues) for k in SPIN_KINDS) >= 3


def _bare_label(question: str, language: Language) -> str:
    """A question's words without punctuation (and a trailing 呢/吗), lower case."""
    if language == "zh":
        return re.sub(r"[呢吗嘛啊]+$", "", "".join(HAN.findall(question)))
    return " ".join(WORD.findall(question.lower().replace("-", " ")))


@lru_cache(maxsize=8192)
def _ngrams(text: str, language: Language) -> frozenset[str]:
    """Character bigrams (Chinese) or trigrams (English) of the words, for comparing questions."""
    if language == "zh":
        chars = "".join(HAN.findall(text)) or text
        return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))
    words = " ".join(WORD.findall(text.lower()))
    return frozenset(words[i : i + 3] for i in range(len(words) - 2))


@lru_cache(maxsize=8192)
def _turn_ngrams(text: str, language: Language) -> frozenset[str]:
    """`_ngrams` of an earlier turn as written (cached: every later turn compares with it)."""
    return _ngrams(halfwidth(text), language)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two n-gram sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(slots=True, frozen=True)
class Conversation:
    """What the conversation so far says about a rep turn (read from the context)."""

    pain_named: bool
    payoff_stated: bool
    rapport_done: bool
    repeat_of: int | None
    # The customer's last turn: it named a pain, it asked a question.
    last_pain: bool = False
    last_asked: bool = False
    # Share of the turn's words the customer said before (any turn / a turn naming a pain),
    # and how many of its figures the customer said before: a summary or a value point
    # restates the customer, a pitch does not.
    echo: float = 0.0
    echo_pain: float = 0.0
    figures_echoed: int = 0
    # A concrete time named in the turn.
    names_time: bool = False
    # An earlier rep turn asked a SPIN question: the business of the call has begun.
    business: bool = False


STOPWORDS = frozenset(
    "that this with have what your about they them their there then than just like from"
    " been were would could should will into when where which also some more much very"
    " really okay yeah right does doing done make sure know think well thanks thank".split()
)
FIGURE = re.compile(r"\d+(?:[.,]\d+)?")


@lru_cache(maxsize=8192)
def _content(text: str, language: Language) -> frozenset[str]:
    """The words that carry content: Han bigrams (Chinese), longer words but common ones
    (English), and figures."""
    text = halfwidth(text).lower()
    figures = {f"#{n}" for n in FIGURE.findall(text)}
    if language == "zh":
        runs = HAN.findall(text)
        grams = {a + b for a, b in zip(runs, runs[1:], strict=False)}
        return frozenset(grams | figures)
    words = {w for w in WORD.findall(text) if len(w) >= 4 and w not in STOPWORDS}
    return frozenset(words | figures)


def _echo_set(said: Sequence[str], language: Language) -> frozenset[str]:
    return frozenset().union(*(_content(t, language) for t in said)) if said else frozenset()


def _echo(mine: frozenset[str], theirs: frozenset[str]) -> float:
    return len(mine & theirs) / len(mine) if mine else 0.0


def read_conversation(u: Utterance, ctx: CoachContext, rules: CoachRules) -> Conversation:
    cues = rules.signals.context
    lang = u.language

    def pain_in(text: str) -> bool:
        return cues.customer_pain.found_earlier(text, lang)

    # What the customer said, and the persona facts the state machine says they revealed
    # (one pass over the turns: this runs on every turn of a long call).
    said: list[str] = []
    facts: list[Revealed] = []
    kinds: set[str] = set()
    # A pain is named in the customer's words, on the topic of the rep question it answers.
    pained: list[str] = []
    pain_said = business = False
    before: EarlierTurn | None = None
    # The rep questions the customer answered, and the rep turns (for `_repeat_of`).
    answered: set[int] = set()
    reps: list[EarlierTurn] = []
    for turn in ctx.earlier:
        if turn.revealed:
            kinds.update(f.kind for f in turn.revealed)
        if turn.speaker == "customer":
            said.append(turn.text)
            if turn.revealed:
                facts += [f for f in turn.revealed if f.text]
            if pain_in(turn.text):
                pain_said = True
                pained += [turn.text] if before is None else [before.text, turn.text]
            if reps and turn.text.strip():
                answered.add(reps[-1].seq)
        else:
            reps.append(turn)
            business = business or (turn.coaching is not None and bool(turn.coaching.spin))
        before = turn
    said += [f.text for f in facts]
    pained += [f.text for f in facts if f.kind in ("problem", "implication")]
    pain = ctx.problem_known or "problem" in kinds or "implication" in kinds or pain_said
    pain = pain or any(map(pain_in, (f.text for f in facts)))
    payoff = "need_payoff" in kinds or any(
        cues.customer_payoff.found_earlier(t, lang) for t in said
    )
    rapport_done = business or ctx.rep_turn_index >= cues.rapport_turns
    last = ctx.earlier[-1] if ctx.earlier and ctx.earlier[-1].speaker == "customer" else None
    mine = _content(u.text, u.language)
    theirs = _echo_set(said, u.language)
    return Conversation(
        pain,
        payoff,
        rapport_done,
        _repeat_of(u, reps, answered, rules),
        last_pain=last is not None and pain_in(last.text),
        last_asked=last is not None and ("?" in last.text or "\uff1f" in last.text),
        echo=_echo(mine, theirs),
        echo_pain=_echo(mine, _echo_set(pained, u.language)),
        figures_echoed=sum(1 for w in mine & theirs if w.startswith("#")),
        names_time=rules.signals.next_step.concrete_time.found(u.text, u.language),
        business=business,
    )


def _repeat_of(
    u: Utterance, reps: list[EarlierTurn], answered: set[int], rules: CoachRules
) -> int | None:
    """The latest earlier rep question the customer answered that this turn asks again."""
    if u.question is None or u.spin is None:
        return None
    mine = _ngrams(u.text, u.language)
    threshold = rules.signals.context.repeat_min_similarity
    best: tuple[float, int] | None = None
    for t in reps:
        asked = t.coaching
        if t.seq not in answered or asked is None or asked.question is None:
            continue
        similarity = _similarity(mine, _turn_ngrams(t.text, u.language))
        if similarity >= threshold and (best is None or similarity >= best[0]):
            best = (similarity, t.seq)
    return best[1] if best else None


def read(
    text: str,
    rules: CoachRules,
    context: CoachContext | None = None,
    *,
    language: Language | None = None,
    opener: bool = False,
    learned: bool = True,
) -> Coaching:
    """Coach one rep turn in its conversation: SPIN type, openness, behaviours, flags, opener
    checks and a tip. Without earlier turns it reads the utterance alone. The rules read first;
    the learned layer (when the playbook has a model and `learned`) then decides where the
    rules are not explicit (playbook/coach/learned.yaml)."""
    ctx = context or CoachContext()
    # Patterns follow the language the rep actually wrote; the tip, the session's language.
    u = read_utterance(text, rules, None)
    conv = read_conversation(u, ctx, rules)
    reading = _rules_reading(u, conv, ctx, rules, opener)
    model = rules.learned if learned else None
    if model is not None:
        reading = _learned_reading(model, u, conv, ctx, rules, reading)
    return _finish(reading, u, ctx, rules, language or u.language)


def learned_features(text: str, rules: CoachRules, context: CoachContext) -> list[str]:
    """The learned layer's features of a rep turn in its conversation (for training)."""
    u = read_utterance(text, rules, None)
    conv = read_conversation(u, context, rules)
    reading = _rules_reading(u, conv, context, rules, False)
    return features(u, conv, context, reading, rules.learning.cues)


def _rules_reading(
    u: Utterance, conv: Conversation, ctx: CoachContext, rules: CoachRules, opener: bool
) -> Coaching:
    lang, sig = u.language, rules.signals
    scenario = rules.scenarios.get(ctx.scenario) if ctx.scenario else None
    opener_due = opener or (
        scenario is not None and scenario.opener_on_first_turn and ctx.rep_turn_index == 0
    )
    opener_check = check_opener(u.text, rules, lang) if opener_due else None
    claims = u.claims
    if (
        opener_check is not None
        and opener_check.stated_purpose
        and len(claims) == 1
        and _spoken(claims[0], rules)[2] <= rules.opener.purpose_max_seconds
    ):
        # The opener's one-line purpose statement is not a pitch (SPIN.md).
        claims = []
    spin, shown = u.spin, u.shown
    if u.cues & {"meta", "keyword_list"}:
        # Talking to the program, or stringing cue words together, asks the customer nothing.
        spin = None
    next_form = next((s.next_form for s in u.sentences if s.next_form is not None), None)
    next_step = NextStepSignal()
    if next_form is not None:
        time = sig.next_step.concrete_time.phrase(u.text, lang)
        next_step = NextStepSignal(
            proposed=True, has_concrete_time=time is not None, time_text=time, form=next_form
        )
    chat = "small_talk" in shown
    # Favourite food or last night's game is off the call's topic wherever it comes; rapport
    # (the weekend, the trip) only once rapport is done.
    off = "off_topic" in u.cues or (chat and conv.rapport_done)
    questions = [s for s in u.sentences if s.is_question]
    linked = bool(ctx.customer_turns) and sig.context.value_link.found(u.text, lang)
    # A summary restates what the customer said (and only if the customer said it); its figures
    # are theirs, not a claim.
    # (A lone utterance, read without its conversation, is taken at its word.)
    alone = ctx.scenario is None and not ctx.earlier
    summary = "summary" in u.cues and (alone or conv.echo >= sig.context.summary_min_echo)
    if summary:
        claims = []
    # An offer with a deadline or a discount is a pitch, whatever pain it follows.
    value_point = bool(claims) and (conv.pain_named or linked) and "hard_close" not in u.cues
    signals = Signals(
        # Thanking for the time is rapport wherever it comes; other chat only before business.
        small_talk=(chat and not off) or "thanks_for_time" in u.cues,
        acknowledgement="acknowledgement" in shown,
        summary=summary,
        value_point=value_point,
        pitch=bool(claims) and not value_point,
        hard_close="hard_close" in u.cues and not conv.payoff_stated,
        # Talking to the program is meta; off the call's topic too where the playbook says so.
        off_topic=(off and "meta" not in u.cues)
        or ("meta" in u.cues and rules.learning.meta_off_topic == "always"),
        meta="meta" in u.cues,
        noise=is_noise(u.text),
        # Thanks for the time once the call is under way, asking nothing more, closes it.
        # ("Could we talk Thursday?" proposes; "Talk Thursday!" closes.)
        goodbye=(
            "goodbye" in u.cues
            and any(not s.is_question and sig.goodbye.found(s.text, lang) for s in u.sentences)
        )
        or ("thanks_for_time" in u.cues and conv.rapport_done and u.question is None),
        repeat_of=conv.repeat_of,
        next_step=next_step,
        question_count=len(questions),
        asks_value=any(
            q.spin is not None and rules.spin.questions.quantity.found(q.text, lang)
            for q in questions
        ),
        estimated_seconds=u.spoken[2],
        # A summary is about all it restates, not only its "is that fair?".
        topic=topic_words(
            " ".join(
                s.text for s in (u.sentences if "summary" in u.cues else questions or u.sentences)
            )
        ),
    )
    return Coaching(
        language=lang, spin=spin, question=u.question, opener=opener_check, signals=signals
    )


def _learned_reading(
    model: LearnedModel,
    u: Utterance,
    conv: Conversation,
    ctx: CoachContext,
    rules: CoachRules,
    reading: Coaching,
) -> Coaching:
    """The learned layer's reading where the playbook leaves room (learned.yaml)."""
    policy = rules.learning
    predicted = model.predict(features(u, conv, ctx, reading, policy.cues))
    update: dict[str, object] = {}
    spin = predicted.get("spin")
    explicit = reading.spin is not None and u.score >= policy.spin_rules_win_at
    if spin is not None and not explicit and not u.cues & {"meta", "keyword_list"}:
        update["spin"] = None if spin[0] == "none" else spin[0]
    question = predicted.get("question")
    if question is not None:
        update["question"] = None if question[0] == "none" else question[0]
    signals = reading.signals
    if ctx.scenario is not None or ctx.earlier:
        # The behaviour heads learned from turns in conversations; a turn read alone (the
        # stateless /coach/analyze) keeps the rules' behaviours.
        signals = _learned_behaviours(predicted, u, conv, rules, signals)
    update["signals"] = signals
    if any(
        signals.next_step.proposed if name == "next_step" else getattr(signals, name)
        for name in policy.no_spin_with
    ):
        update["spin"] = None
    if update.get("question", reading.question) is None:
        # A turn that asks nothing asks no SPIN question (SPIN.md; no labelled turn has a type
        # without a question): "And our support team works around the clock." is no problem
        # question, whatever its words lean to.
        update["spin"] = None
    return reading.model_copy(update=update)


def _learned_behaviours(
    predicted: dict[str, tuple[str, float]],
    u: Utterance,
    conv: Conversation,
    rules: CoachRules,
    signals: Signals,
) -> Signals:
    """The behaviours as the learned heads read them, where the rules do not stand."""
    policy = rules.learning
    signals = signals.model_copy()
    # A statement (no question) claiming what the rep offers, in words of the pain the customer
    # named, links the two: a value point (SPIN.md), unless the pitch head says otherwise.
    linked = signals.value_point and conv.echo_pain > 0 and u.question is None
    # Chat the rules found before business, claiming nothing, is rapport (SPIN.md's small talk).
    rapport = signals.small_talk and "small_talk" in u.shown and not conv.rapport_done
    rapport = rapport and not u.claims
    for name in LEARNED_BEHAVIOURS:
        guess = predicted.get(name)
        if guess is None or name in policy.rules_decide:
            continue
        # Where the rules stand, a cue they found stays; the learned layer may only add.
        kept = name in policy.rules_stand and getattr(signals, name)
        if name in policy.cues_stand:
            kept = kept or name in u.cues
            chat = name == "off_topic" and "chat_question" in u.cues and conv.rapport_done
            kept = kept or chat
        said = kept or _likelihood(guess) >= policy.threshold(name)
        if said and not kept and name in policy.needs_cue:
            sig = rules.signals
            said = any(getattr(sig, c).found(u.text, u.language) for c in policy.needs_cue[name])
        setattr(signals, name, said)
    signals.small_talk = signals.small_talk or rapport
    if policy.meta_off_topic != "learned" and signals.meta:
        signals.off_topic = policy.meta_off_topic == "always"
    # Pushing to sign once the customer stated what a solution is worth is no hard close (SPIN.md).
    signals.hard_close = signals.hard_close and not conv.payoff_stated
    if linked and _likelihood(predicted.get("pitch")) < 0.5:
        signals.pitch, signals.value_point = False, True
    step = predicted.get("next_step")
    if step is not None and "next_step" not in policy.rules_decide:
        kept = "next_step" in policy.rules_stand and signals.next_step.proposed
        proposed = kept or _likelihood(step) >= policy.threshold("next_step")
        if proposed and not signals.next_step.proposed:
            time = rules.signals.next_step.concrete_time.phrase(u.text, u.language)
            signals.next_step = NextStepSignal(
                proposed=True, has_concrete_time=time is not None, time_text=time
            )
        elif not proposed:
            signals.next_step = NextStepSignal()
    # A question the SPIN cues read plainly (`spin_rules_win_at`) is on the call's topic
    # ("Who signs off on purchases?"), unless it is put to the program.
    if u.spin is not None and u.score >= policy.spin_rules_win_at and not signals.meta:
        signals.off_topic = False
    # Labellers (almost) never mark both of these pairs: the likelier one stands.
    for one, other in policy.exclusive:
        if _on(signals, one) and _on(signals, other):
            first = _likelihood(predicted.get(one)) >= _likelihood(predicted.get(other))
            _set(signals, one if not first else other, False)
    return signals


def _on(signals: Signals, name: str) -> bool:
    return signals.next_step.proposed if name == "next_step" else bool(getattr(signals, name))


def _set(signals: Signals, name: str, value: bool) -> None:
    if name == "next_step":
        signals.next_step = signals.next_step if value else NextStepSignal()
    else:
        setattr(signals, name, value)


def _likelihood(guess: tuple[str, float] | None) -> float:
    """A binary head's probability of "yes" (0.5 when the model has no such head)."""
    if guess is None:
        return 0.5
    return guess[1] if guess[0] == "yes" else 1 - guess[1]


def _finish(
    reading: Coaching, u: Utterance, ctx: CoachContext, rules: CoachRules, tip_lang: Language
) -> Coaching:
    """Flags and the tip, from the reading."""
    spin, question, signals, opener_check = (
        reading.spin,
        reading.question,
        reading.signals,
        reading.opener,
    )
    scenario = rules.scenarios.get(ctx.scenario) if ctx.scenario else None
    limits = rules.flags
    han, words, seconds = u.spoken
    questions = signals.question_count
    too_long = (
        han + words > limits.too_long.max_chars
        if u.language == "zh"
        else words > limits.too_long.max_words
    )
    claims = len(u.claims) if signals.pitch or signals.value_point else 0
    raised = {
        "premature_pitch": signals.pitch and not ctx.problem_known,
        "closed_question": question == "closed" and spin is not None,
        "multiple_questions": questions >= limits.multiple_questions,
        "too_long": too_long,
        "no_question": question is None
        and not u.shown.intersection(limits.no_question_exempt)
        and not (signals.summary or signals.goodbye or signals.meta or signals.small_talk)
        and not signals.acknowledgement
        and not signals.next_step.proposed
        and not (opener_check is not None and opener_check.asked_for_time),
        "too_many_points": claims > limits.max_value_points,
        "vague_next_step": signals.next_step.proposed and not signals.next_step.has_concrete_time,
        "no_rapport": scenario is not None
        and ctx.rep_turn_index < scenario.rapport_turns
        and spin is not None
        and not signals.small_talk
        and not u.shown.intersection({"small_talk", "greeting", "acknowledgement"}),
    }
    flags = [name for name in limits.enabled if raised[name]]
    values = {
        "estimated_seconds": f"{seconds:g}",
        "limit_seconds": f"{rules.opener.limit_seconds:g}",
        "max_words": str(limits.too_long.max_words),
        "max_chars": str(limits.too_long.max_chars),
        "question_count": str(questions),
        "max_value_points": str(limits.max_value_points),
    }
    tip = _tip(rules, tip_lang, flags, opener_check, spin).format_map(values)
    return reading.model_copy(update={"language": tip_lang, "flags": flags, "tip": tip})


def analyze(
    text: str,
    rules: CoachRules,
    *,
    language: Language | None = None,
    context: CoachContext | None = None,
    opener: bool = False,
) -> Coaching:
    """`read` with keyword arguments (the earlier name)."""
    return read(text, rules, context, language=language, opener=opener)


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
