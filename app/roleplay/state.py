"""The customer state machine shared by both engines: what the customer may say on this turn.

Pure: `decide` reads the state, the persona, the coach's stored reading of the rep turn and
the rules in playbook/customer.yaml, and returns a new state with a `Decision`; it never
mutates its input, does no I/O and never reads the rep's raw text (the reading's
`signals.topic` holds the words the turn asks about). The engines only phrase the decision
(the scripted engine with lines from the playbook, the LLM engine with a model); they never
choose what to reveal.

The rule set, applied to every rep turn in this order:

1. An ended conversation stays ended: act `hang_up`, nothing revealed, state unchanged.
2. Costs and gains (numbers per personality in customer.yaml). Patience is points, capped at
   its starting value; trust is 0-100; rapport counts small talk, acknowledgements, summaries.
   - an off-topic turn, a meta turn (talking to the program, or no words at all), a repeat of
     an earlier question and a hard close before any need-payoff each cost (and nothing else
     is charged for them);
   - pitching before any problem is revealed (`premature_pitch`, or a pitch signal with no
     problem known) costs; a pitch after a problem is known is a value point and costs nothing;
   - a closed question costs, unless it is small talk or a proposed next step;
   - `too_long` (a monologue) and `multiple_questions` cost;
   - an implication or need-payoff question with nothing to build on costs (`unearned_question`),
     unless it is about a pain the customer already opened (it names a said problem, or
     reaches one through the area's words): a good question there gets the gate's answer
     for free;
   - small talk earns trust and rapport up to the personality's `small_talk_limit`, after
     which it costs (`excess_small_talk`); an acknowledgement and a summary always earn;
   - an open SPIN question that reveals a fact earns `open_question` (patience and trust).
   The first turn of a cold call is the 30-second opener: it is judged only by its checks
   (introduced self, stated purpose, within 30 seconds; any missing costs `weak_opener` and
   earns a wary greeting); its pitch-like purpose statement and its "do you have two
   minutes?" are not charged as pitch or closed question.
3. When patience reaches zero the customer hangs up: act `hang_up`, `ended` True, nothing
   revealed on that turn.
4. What the customer does (first match wins):
   - a goodbye: `goodbye`, a closing line, `ended` True (a next step proposed in the same turn,
     or a slot the customer offered, is answered first, as below, and the call still ends);
     but the first goodbye with real interest (`interest`, below) and nothing agreed or offered
     ("Helpful, thanks.") gets `acknowledge`, reason `open_floor`: "anything else?", the call
     goes on;
   - meta (talks to the program, asks for hidden needs, "are you an AI?") or no words at all
     (emoji only, keyboard mashing: `noise`): `puzzled`, in character, nothing revealed;
   - a hard close (sign, buy, a discount or deadline): before any need-payoff an objection
     (`object`, reason `hard_close`); after one, `defer_next_step` reason `hard_close`;
   - a proposed next step: accepted (`accept_next_step`, `next_step_agreed` True) only with a
     concrete time and real interest (a need-payoff revealed in discovery, a problem revealed
     in a cold call; `interest` in customer.yaml); with interest but no concrete time the
     customer asks for one (`defer_next_step`, reason `no_concrete_time`); without interest it
     is deferred (reason `no_interest`). A concrete time may be countered instead, as a real
     calendar would (`counter_next_step`, customer.yaml `counter`): a busy personality's first
     concrete proposal with interest (reason `busy`), and a proposal before real interest once
     `counter.interest` is revealed (an implication in discovery: reason `later`, a later slot
     instead of a no). The customer offers the first of `counter.times` the rep did not name
     (`Decision.next_step`: that time, the proposal's form, the proposing turn). While that
     slot is open, the rep's next turn that asks no SPIN question, pitches nothing and is not
     off topic (a yes, an acknowledgement, a goodbye, a proposal of that same slot or of none,
     "great, I'll send the invite this afternoon") takes it: `accept_next_step`, reason
     `counter_taken`, the step agreed is the customer's slot. Another slot asked as a question
     is accepted with interest, unless it is the declined one again; before interest the
     customer's offer stands (`counter_next_step` again). Once a
     step is agreed, a later proposal is taken as a courtesy (`acknowledge`, reason
     `already_agreed`): the agreed step stands;
   - off-topic: `redirect`, an in-character nudge back to business, nothing revealed;
   - a repeat of an earlier rep turn (`signals.repeat_of`): `recall`, "as I said", naming
     again only what the customer said in answer to that turn (`recalled`), nothing new;
   - a question asking the customer to sort their needs (no problem or implication question,
     with a `matching.priority_words` word: must-have, nice to have, 排个序, 必须…) once a need-payoff
     was said: `rank`, the needs said so far (`recalled`), must-haves first, then expected,
     then optional (the persona's `priority`), nothing new (manual 三(二) step 3);
   - the first rep turn of a cold call, or a first discovery turn that asks no SPIN question:
     `greet` (reason `weak_opener` when the opener fell short);
   - a situation question (or a question of no SPIN type, not a summary) about a public topic (decision
     process, budget, timeline, tools, competitors, stakeholders: cue words in customer.yaml
     `matching.public_topics`, or a public fact's keywords): the best public fact, no SPIN
     gating (`reveal`, kind `public`); already said:
     `recall`; the persona has no public fact on that topic and no hidden fact matches:
     `deflect` reason `need_to_check` ("I'd have to check");
   - a SPIN question reveals at most one fact, and only one the question asks about:
     - *generic* questions (every word is a stop word or a generic SPIN word such as
       "challenge", "impact", 问题, 影响: `matching.generic_words`) take the persona's order:
       situation the next situation fact; problem the next problem (busy and skeptical
       personas, `problem_needs_warmup`, first need rapport or a situation question, else
       `deflect` reason `needs_warmup`; the call's difficulty, customer.yaml `difficulty`,
       can waive the warm-up (easy) or ask it of every personality (hard)); implication an
       implication of a problem already revealed (else `deflect` `no_problem_known`);
       need-payoff a need-payoff of a problem with a revealed implication (else `deflect` `no_implication_known`); none left:
       `deflect` `nothing_left`;
     - *specific* questions name a topic. The match score of a fact is 3 per persona keyword
       found in the question's words plus 1 per shared term (English content-word stems,
       plural and -ing/-ed forms meeting; Chinese character bigrams), stop words removed; a
       question also holds the word each of its `matching.word_forms` stands for (停线: 停机,
       broken: break). The threshold is
       `matching.min_score`, measured on every playbook persona by bench/topic_match.py:
       questions built from a fact's own keywords reach it at 1, 2 and 3 alike (100%);
       questions built from the other same-language personas' keywords reach some fact of
       this persona 21.7% of the time at 1, 3.7% at 2 (true overlaps: board, data, Excel)
       and 3.6% at 3; 48 questions in a rep's own words reach the fact asked about 100% at
       2 and 95.8% at 3. So 2: one shared word is not a topic, a keyword or two words are.
       A fact of the asked kind scoring at least the threshold and earned (the
       gates above) is revealed; a fact of any kind scoring at least the threshold but not
       earned gets the gate's deflection (or a vague `short_answer`, reason `not_earned`:
       `terse`, "maybe", only for a yes/no question; an open one or one asking for a figure
       gets a hint that there is more, nothing of it said);
       a matched fact already said gets `recall`, except that an implication or need-payoff
       question naming a pain already said takes its answer from that pain's thread ("what
       does the downtime cost you?") or, with nothing earned there, the gate's deflection
       (never the situation or problem statement again), and a question of another kind about
       something already said (a problem question about the setup the customer described)
       takes the next fact of the asked kind in the persona's order. A said fact is recalled
       only when the question names it, not just the persona's area (a value of the same
       kind asked again is recalled even through an area word: "roughly how many devices?"
       right after "about 9,000 laptops"): its score must reach
       the threshold with generic words left out and broad keywords weighing 1 (a term in at
       least `matching.broad_share` of the persona's facts, 设备 for 王建国: 7 of 20). A
       question that reaches what was said only through such words asks something new
       ("这些设备的维护是怎么安排的?" after the equipment was described): a problem question gets
       the area's unsaid problem (a fact sharing a word with the question), a need-payoff
       question the persona's order, a situation question `need_to_check`, any other one
       `nothing_left` when a said fact of its kind is in that area, else its honest answer.
       Once a problem is out, an implication or
       need-payoff question naming an unsaid problem's thread gets that problem (the buyer
       names the pain underneath first, never its consequence); nothing in the persona
       matching gets an honest `deflect`: reason `not_an_issue` for problem questions
       (except the first open one after the setup was described, before any problem is out,
       naming one word of its own or a Chinese word of up to four characters: it asks where
       that setup hurts in the rep's words, "which machines give you the most trouble?", and
       gets the persona's first problem; "the coffee machines in the canteen" stays honest),
       `no_effect` for implication questions ("we haven't seen an effect there": the question
       asked about a consequence, not a problem), (a need-payoff question names no problem to
       deny: it is answered like a
       generic one), `need_to_check` for situation questions, with two exceptions. An
       implication question whose pointing word is the cause of what it asks
       (`matching.refer_cause`: "what does that do to your delivery commitments?",
       这个问题对交货有什么影响?) is about the problem the customer spoke of last, whatever
       consequence it names: it gets that problem's next implication (none left: the honest
       deflection). A question that points back at what was just said (`matching.refer_back`:
       "where does that fall short?", 这种情况) and names at most one word (two Chinese
       characters) of its own is answered like a generic one; a pointing word right before a
       noun of the question ("that corrugator downtime", 那排线) is a determiner, not a
       pointer, so the noun is a topic of its own. Measured by bench/topic_match.py right after
       the first problem, on all 8 personas: 174 cause-pointing implication questions naming
       consequences the persona has no fact on get the open problem's next implication 100%;
       543 implication questions naming another persona's topic after a pointing word get the
       honest answer 94.8%, the open problem's implication 4.2% (a Chinese noun that starts
       with a function character: 那对账, 那会员) and another fact 0.9% (true keyword overlaps);
       before the determiner rule, 32.4% and 3.5%. Never a fact of another thread on a
       question that names a topic of its own.
     - *At the asked level*: when no fact of the asked kind that may be said matches, a buyer
       still answers what was asked. An open situation question, or one asking for a value,
       whose best match is an unsaid problem gets that problem once the warm-up allows ("how
       many business days does the close take?"), and one whose best match is an unsaid
       implication or need-payoff the next situation fact ("how do you bring the numbers
       together at month-end?"); before any problem is out, an open problem question reaching
       only the setup the customer described gets the next problem ("在现在的调度方式下,哪些地方
       不太顺?"). A yes/no question ("do you ever have breakdowns?") keeps its hedge. An
       implication question naming a said problem gets that problem's next implication
       whatever consequence it names ("when a break isn't caught, what does that do to your
       regulatory reporting?"), and one reaching only the setup or a public topic gets the open
       problem's next implication, unless it names an unsaid pain as well (that pain first).
       An open problem or need-payoff question on a public topic ("who else would weigh in?")
       gets the public fact when it reaches no hidden fact or gets an honest deflection.
     A closed SPIN question reveals only the kinds in `closed_reveals` (the customer
     confirms and adds that one fact, tersely); a closed implication or need-payoff question
     gets a terse non-answer (`short_answer`, reason `closed_question`), unless it asks for
     one value (`signals.asks_value`): then the customer gives the figure, tersely, or it is
     an implication question naming an earned implication itself ("does running two systems
     create any audit exposure?" with the breaks out): the customer confirms it, tersely.
     A SPIN question also read as small talk that matches nothing in the persona (the honest
     `deflect` above) is answered as small talk instead.
   - a summary, or an acknowledgement that asks nothing, right after the customer revealed
     something: `elaborate`, the customer adds the next earned fact of that same thread (the
     next situation fact; the first or next implication of that problem; the next
     need-payoff of that problem after a need-payoff), once per question-earned reveal; a
     summary with nothing left to add: `acknowledge`, reason `summary` (the customer confirms);
   - a pitch: before any problem is known an objection (`object`, persona objections first,
     then the playbook's, in rotation); after, a guarded interest (`acknowledge`, reason
     `value_point`);
   - small talk: `small_talk` (reason `excess_small_talk` past the limit);
   - any other question: `short_answer`;
   - a monologue without a question: `short_answer` reason `monologue`;
   - anything else: `acknowledge`.
5. Mood, for the phrasing: `annoyed` when the customer hung up, `impatient` at a third of
   patience or less, `interested` once a need-payoff is revealed or a next step agreed,
   `warm` at trust 70+, `guarded` below trust 35, else `neutral`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from app.coach.analyzer import topic_words
from app.coach.schemas import Coaching, Scenario
from app.playbook.customer import (
    CustomerRules,
    Difficulty,
    Effect,
    Matching,
    PersonalityRules,
)
from app.playbook.persona import Fact, FactKind, Language, Persona, PublicFact, PublicTopic
from app.roleplay.transcript import RevealedFact, StepOffer

Act = Literal[
    "greet",
    "reveal",
    "elaborate",
    "recall",
    "small_talk",
    "acknowledge",
    "deflect",
    "short_answer",
    "object",
    "redirect",
    "puzzled",
    "accept_next_step",
    "defer_next_step",
    "counter_next_step",
    "goodbye",
    "hang_up",
    "rank",
]
Mood = Literal["warm", "interested", "neutral", "guarded", "impatient", "annoyed"]
Reason = Literal[
    "ended",
    "patience_exhausted",
    "weak_opener",
    "value_point",
    "premature_pitch",
    "hard_close",
    "excess_small_talk",
    "needs_warmup",
    "no_problem_known",
    "no_implication_known",
    "nothing_left",
    "not_an_issue",
    "no_effect",
    "need_to_check",
    "not_earned",
    "already_said",
    "repeat",
    "off_topic",
    "meta",
    "summary",
    "closed_question",
    "monologue",
    "no_interest",
    "no_concrete_time",
    "already_agreed",
    "open_floor",
    "busy",
    "later",
    "counter_taken",
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
    # The customer answered a goodbye with "anything else?" once (the call went on).
    floor_offered: bool = False
    # The slot the customer offered instead of the rep's, until the rep takes it or another.
    counter: StepOffer | None = None
    counters: int = 0  # slots offered so far
    last_act: Act | None = None
    # Rep turn seq -> the fact ids the customer said in answer to it (for "as I said").
    answers: dict[str, list[str]] = Field(default_factory=dict)
    difficulty: Difficulty = "normal"


class Decision(BaseModel):
    """What the customer does on this turn; the engines phrase it, nothing more."""

    act: Act
    facts: list[RevealedFact] = Field(default_factory=list)
    # Facts said before and named again ("as I said..."): never new information.
    recalled: list[RevealedFact] = Field(default_factory=list)
    mood: Mood
    state: CustomerState
    terse: bool = False
    reason: Reason | None = None
    objection: str | None = None
    # A countered or agreed next step: the time the customer offers or agrees to, and its form.
    next_step: StepOffer | None = None


def initial_state(
    persona: Persona, rules: CustomerRules, difficulty: Difficulty = "normal"
) -> CustomerState:
    start = rules.for_personality(persona.personality).start
    patience = max(1, round(start.patience * rules.difficulty[difficulty].patience))
    return CustomerState(
        trust=start.trust, patience=patience, max_patience=patience, difficulty=difficulty
    )


def needs_warmup(state: CustomerState, rules: CustomerRules, personality: PersonalityRules) -> bool:
    """Whether problems wait for rapport or a situation question, at the call's difficulty."""
    warmup = rules.difficulty[state.difficulty].warmup
    return warmup == "always" or (warmup == "personality" and personality.problem_needs_warmup)


def problem_known(state: CustomerState, persona: Persona) -> bool:
    """True once the customer has revealed at least one problem (the coach's `problem_known`)."""
    return any(p.id in state.revealed for p in persona.problems)


def need_payoff_known(state: CustomerState, persona: Persona) -> bool:
    return any(persona.fact_kind(fid) == "need_payoff" for fid in state.revealed)


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
        found = as_revealed(persona, fid)
        if found is not None:
            facts.append(found)
    return facts


def as_revealed(persona: Persona, fact_id: str) -> RevealedFact | None:
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
    public = persona.public_fact(fact_id)
    if public is not None:
        return RevealedFact(kind="public", id=public.id, text=public.text, topic=public.topic)
    return None


# --- matching the question's words to a fact ---------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# Measure words between a pointing word and its noun (这种情况, 那次停机).
_MEASURE_WORDS = "个种些样次件类位家条"


_DOUBLED = re.compile(r"([bdgkmnprt])\1$")


def _stem(word: str) -> str:
    """A crude stem: plural and -ing/-ed endings and a final e off (lines, lined -> lin;
    carries -> carry; shipping -> ship), then a six-letter prefix ("reconciliation" and
    "reconciling")."""
    if len(word) > 4 and word.endswith(("ies", "ied")):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = _DOUBLED.sub(r"\1", word[: -len(ending)])
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word[:6]


class Topic:
    """A question's words as the matcher sees them (built once per turn from the reading)."""

    def __init__(self, words: Sequence[str], language: Language, m: Matching) -> None:
        self.language = language
        self.matching = m
        self.lexicon = _lexicon(m)
        # Answers already worked out for this question: every fact asks about its keywords
        # and every public fact about its topic's cue words.
        self._named: dict[str, bool] = {}
        self._cued: dict[PublicTopic, bool] = {}
        words = self.lexicon.with_forms(words, language)
        self.spaced = " " + " ".join(words) + " "
        self.joined = "".join(words)
        self.terms = terms(words, language, m)
        self.words = words
        self.content = self._content(words)
        self.specific = bool(self.content)

    @cached_property
    def own_size(self) -> int:
        """How much the question names of its own: content words (English), characters (zh)."""
        zh = self.language == "zh"
        return sum(len(w) for w in self.content) if zh else len(self.content)

    @cached_property
    def refers_back(self) -> bool:
        """Pointing back ("where does THAT fall short?") stands in for a topic only when the
        question names little of its own: one word at most (two Chinese characters). "What
        trouble do you have with that corrugator downtime?" names a topic of its own."""
        own = self.own_size <= (2 if self.language == "zh" else 1)
        return own and self.points_back

    @cached_property
    def points_back(self) -> bool:
        """A pointing word stands for what was said ("where does THAT process break down?")."""
        return self._points_back(self.words, self.content)

    @cached_property
    def points_at_cause(self) -> bool:
        """ "What does THAT do to your delivery dates?": the pointing word is the cause asked
        about, so an implication question is about the thread in hand whatever it names."""
        cues = self.matching.refer_cause.for_language(self.language)
        return any(self.has(cue) for cue in cues)

    def _points_back(self, words: Sequence[str], content: list[str]) -> bool:
        """A pointing word stands for what was said ("where does THAT fall short?", 这种情况),
        not for a noun right after it ("that corrugator downtime", 那排线): a determiner."""
        back = self.matching.refer_back.for_language(self.language)
        if self.language == "en":
            own = set(content)
            after = [*words[1:], ""][: len(words)]
            return any(w in back and nxt not in own for w, nxt in zip(words, after, strict=True))
        pairs = {piece[i : i + 2] for piece in content for i in range(len(piece) - 1)}
        for cue in back:
            for found in re.finditer(re.escape(cue), self.joined):
                rest = self.joined[found.end() :].lstrip(_MEASURE_WORDS)
                if rest[:2] not in pairs:
                    return True
        return False

    def _content(self, words: Sequence[str]) -> list[str]:
        """Words that are neither stop words nor generic SPIN words: what makes it specific."""
        lex = self.lexicon
        if self.language == "en":
            skip, skip_stems = lex.skip_en, lex.generic_stems_en
            return [
                w
                for w in words
                if not _HAN.match(w) and w not in skip and _stem(w) not in skip_stems and len(w) > 2
            ]
        left: list[str] = []
        for word in words:
            if not _HAN.match(word):
                if len(word) > 1 and word not in lex.stop_en:
                    left.append(word)
                continue
            for phrase in lex.skip_phrases_zh:
                word = word.replace(phrase, " ")
            left.extend(piece for piece in word.split() if len(piece) >= 2)
        return left

    def has(self, cue: str) -> bool:
        """The cue phrase is in the question (Chinese as a substring, English as words)."""
        phrase, han = self.lexicon.cue(cue)
        if not phrase:
            return False
        return phrase in (self.joined if han else self.spaced)

    def names(self, keyword: str) -> bool:
        """A fact keyword is in the question: as a phrase, or (English) every content word's
        stem is ("renewal dates" in "when do your renewals come up?" needs both)."""
        named = self._named.get(keyword)
        if named is None:
            named = self._named[keyword] = self._names(keyword)
        return named

    def _names(self, keyword: str) -> bool:
        if self.has(keyword):
            return True
        if self.language == "zh":
            return False
        stems = self.lexicon.keyword_stems(keyword)
        # Another form of a generic word ("costs" for "cost") names no topic of its own.
        return bool(stems) and stems <= self.terms and not stems <= self.lexicon.generic_stems_en

    def cues_public_topic(self, public_topic: PublicTopic) -> bool:
        """A cue word of this public topic (`matching.public_topics`) is in the question."""
        cued = self._cued.get(public_topic)
        if cued is None:
            cues = self.matching.public_topics.get(public_topic)
            cued = cues is not None and any(self.has(c) for c in cues.for_language(self.language))
            self._cued[public_topic] = cued
        return cued


def terms(words: Iterable[str], language: Language, m: Matching) -> set[str]:
    """Matching terms: Chinese character bigrams and Latin words (zh), content stems (en)."""
    return _terms(words, language, _lexicon(m))


def _terms(words: Iterable[str], language: Language, lex: _Lexicon) -> set[str]:
    found: set[str] = set()
    if language == "zh":
        for word in words:
            if _HAN.match(word):
                found.update(word[i : i + 2] for i in range(len(word) - 1))
            elif len(word) > 1 and word not in lex.stop_en:
                found.add(word)
        return found - lex.stop_zh
    stop = lex.stop_en
    found = {_stem(w) for w in words if w not in stop and len(w) > 2 and not _HAN.match(w)}
    # Another form of a stop word ("gets" for "get") carries no topic either.
    return found - lex.stop_stems_en


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lexicon:
    """The matching word lists as sets, and the terms of each fact, keyword and cue, worked out
    once per playbook: every question of every session is matched against the same facts."""

    CACHE = 4096  # entries per table; user-made personas cannot grow it without bound

    def __init__(self, m: Matching) -> None:
        self.matching = m
        self.stop_en = frozenset(m.stop_words.en)
        self.stop_zh = frozenset(m.stop_words.zh)
        self.stop_stems_en = frozenset(_stem(w) for w in m.stop_words.en if len(w) > 2)
        self.skip_en = self.stop_en | frozenset(m.generic_words.en)
        self.generic_stems_en = frozenset(_stem(w) for w in m.generic_words.en)
        self.generic_words = frozenset(
            w.lower() for w in [*m.generic_words.zh, *m.generic_words.en]
        )
        # Generic words as matching terms: two-character Chinese words, English stems.
        self.generic_terms = self.generic_stems_en | {w for w in m.generic_words.zh if len(w) == 2}
        self.skip_phrases_zh = sorted(
            [*m.stop_words.zh, *m.generic_words.zh], key=len, reverse=True
        )
        self._facts: dict[tuple[str, tuple[str, ...], Language], frozenset[str]] = {}
        self._keywords: dict[str, frozenset[str]] = {}
        self._cues: dict[str, tuple[str, bool]] = {}

    def with_forms(self, words: Sequence[str], language: Language) -> Sequence[str]:
        """The question's words and the word each listed other form stands for (停线: 停机)."""
        forms = self.matching.word_forms.for_language(language)
        if not forms:
            return words
        if language == "zh":
            joined = "".join(words)
            extra = [w for w, alts in forms.items() if any(a in joined for a in alts)]
        else:
            have = set(words)
            extra = [w for w, alts in forms.items() if have.intersection(alts)]
        return [*words, *extra] if extra else words

    def fact_terms(self, fact: Fact | PublicFact, language: Language) -> frozenset[str]:
        key = (fact.text, tuple(fact.keywords), language)
        found = self._facts.get(key)
        if found is None:
            words = topic_words(" ".join([fact.text, *fact.keywords]))
            found = self._remember(self._facts, key, frozenset(_terms(words, language, self)))
        return found

    def keyword_stems(self, keyword: str) -> frozenset[str]:
        """An English keyword's content stems; none for a Chinese one."""
        found = self._keywords.get(keyword)
        if found is None:
            stems = () if _HAN.search(keyword) else _terms(topic_words(keyword), "en", self)
            found = self._remember(self._keywords, keyword, frozenset(stems))
        return found

    def cue(self, cue: str) -> tuple[str, bool]:
        """A cue as it is looked for: a Chinese substring, or English words between spaces."""
        found = self._cues.get(cue)
        if found is None:
            phrase = cue.lower().strip()
            han = bool(_HAN.search(phrase))
            found = self._remember(
                self._cues, cue, (phrase if han or not phrase else f" {phrase} ", han)
            )
        return found

    def _remember(self, table: dict[_K, _V], key: _K, value: _V) -> _V:
        if len(table) >= self.CACHE:
            table.clear()
        table[key] = value
        return value


_LEXICONS: dict[int, _Lexicon] = {}


def _lexicon(m: Matching) -> _Lexicon:
    """The lexicon of these rules (by identity: a lexicon holds its rules, so the id is theirs)."""
    lex = _LEXICONS.get(id(m))
    if lex is None or lex.matching is not m:
        if len(_LEXICONS) >= 16:
            _LEXICONS.clear()
        lex = _LEXICONS[id(m)] = _Lexicon(m)
    return lex


def match_score(fact: Fact | PublicFact, topic: Topic) -> int:
    """How well the question's words point at this fact: keyword hits weigh 3, shared terms 1.
    Keywords that are forms of one word ("scheduling", "schedulers") are one hit: "scheduled
    PMs" names the scheduling no more than "maintenance" names the maintenance."""
    stems = topic.lexicon.keyword_stems
    hits = len({stems(kw) or kw for kw in fact.keywords if topic.names(kw)})
    return 3 * hits + len(topic.lexicon.fact_terms(fact, topic.language) & topic.terms)


def names_fact(fact: Fact | PublicFact, topic: Topic, persona: Persona) -> bool:
    """The question names this fact, not just the persona's area: it names two of the fact's
    keywords, broad or not ("how many accounts does each CSM carry?"), or its score reaches
    the threshold without broad terms (in `matching.broad_share` of the persona's facts) and
    without generic words."""
    lex, language = topic.lexicon, topic.language
    named = [kw for kw in fact.keywords if topic.names(kw)]
    if len(named) >= 2:
        return True
    broad = _broad_terms(persona, topic) | lex.generic_terms
    score = 0
    for kw in named:
        own = _terms(topic_words(kw), language, lex) if language == "zh" else lex.keyword_stems(kw)
        # A broad keyword weighs as one shared term.
        score += 1 if kw.lower() in lex.generic_words or own <= broad else 3
    shared = (lex.fact_terms(fact, language) & topic.terms) - broad
    return score + len(shared) >= topic.matching.min_score


def _broad_terms(persona: Persona, topic: Topic) -> frozenset[str]:
    """Terms found in at least `matching.broad_share` of the persona's facts (at least two)."""
    facts: list[Fact | PublicFact] = [*persona.all_facts(), *persona.public]
    counts = Counter(t for f in facts for t in topic.lexicon.fact_terms(f, topic.language))
    floor = max(2, math.ceil(topic.matching.broad_share * len(facts)))
    return frozenset(t for t, n in counts.items() if n >= floor)


def _public_score(fact: PublicFact, topic: Topic, rules: CustomerRules) -> int:
    """A public fact answers a question that names its topic (a cue word or a keyword)."""
    cue_hit = topic.cues_public_topic(fact.topic)
    if not cue_hit and not any(topic.names(kw) for kw in fact.keywords):
        return 0
    return match_score(fact, topic) + (3 if cue_hit else 0)


def asked_public_topic(topic: Topic, rules: CustomerRules) -> bool:
    """The question names a topic any buyer answers (decision process, budget, ...)."""
    return any(topic.cues_public_topic(name) for name in rules.matching.public_topics)


def _best(candidates: Sequence[Fact], topic: Topic) -> tuple[Fact | None, int]:
    if not candidates:
        return None, 0
    scored = [(match_score(f, topic), -i, f) for i, f in enumerate(candidates)]
    best = max(scored, key=lambda t: (t[0], t[1]))
    return best[2], best[0]


def _best_or_next(candidates: Sequence[Fact], topic: Topic) -> Fact | None:
    """The best match, but a stray shared word (below `matching.min_score`) is no match: the
    first candidate, in the persona's order ("how long are they without one?" shares
    "student" with the grades problem and asks nothing about it)."""
    best, score = _best(candidates, topic)
    return best if score >= topic.matching.min_score else next(iter(candidates), None)


def _pool(
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


def _gate(kind: FactKind, state: CustomerState, persona: Persona) -> Reason:
    """Why a matched, unrevealed fact of another thread or kind is not said yet."""
    if kind == "implication" and not problem_known(state, persona):
        return "no_problem_known"
    if kind == "need_payoff" and _pool("need_payoff", state, persona)[1] == "no_implication_known":
        return "no_implication_known"
    return "not_earned"


def _next_in_thread(state: CustomerState, persona: Persona) -> Fact | None:
    """The next earned fact of the thread the customer just spoke about (for `elaborate`)."""
    if not state.revealed:
        return None
    seen = set(state.revealed)
    last = state.revealed[-1]
    kind = persona.fact_kind(last)
    if kind == "situation":
        return next((f for f in persona.situation if f.id not in seen), None)
    for p in persona.problems:
        thread = [p.id, *(i.id for i in p.implications), *(n.id for n in p.need_payoffs)]
        if last not in thread:
            continue
        if kind in ("problem", "implication"):
            return next((i for i in p.implications if i.id not in seen), None)
        if kind == "need_payoff":
            return next((n for n in p.need_payoffs if n.id not in seen), None)
    return None


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
    if state.ended and state.last_act == "hang_up":
        return "annoyed"
    if state.patience * 3 <= state.max_patience:
        return "impatient"
    if need_payoff_known(state, persona) or state.next_step_agreed:
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


class _Move(BaseModel):
    act: Act
    reason: Reason | None = None
    facts: list[RevealedFact] = Field(default_factory=list)
    recalled: list[RevealedFact] = Field(default_factory=list)
    terse: bool = False
    earned: bool = False  # an open question that revealed: earns `open_question`
    # About a pain the customer already opened: a gate's answer to it costs nothing.
    opened: bool = False
    step: StepOffer | None = None


def _chat(
    state: CustomerState,
    new: CustomerState,
    pr: PersonalityRules,
    costs: list[Effect],
    gains: list[Effect],
) -> _Move:
    """Small talk: welcome up to the personality's limit, then it costs."""
    move = _Move(act="small_talk")
    if state.small_talk_turns >= pr.small_talk_limit:
        move.reason = "excess_small_talk"
        costs.append(pr.costs.excess_small_talk)
    else:
        gains.append(pr.gains.small_talk)
    new.small_talk_turns += 1
    return move


def _recall(persona: Persona, fact_ids: Iterable[str], reason: Reason) -> _Move:
    facts = [f for f in (as_revealed(persona, i) for i in fact_ids) if f is not None]
    return _Move(act="recall", reason=reason, recalled=facts)


def _ranked_needs(state: CustomerState, persona: Persona) -> list[RevealedFact]:
    """The needs said so far, must-haves first, then expected, then optional."""
    order = {"must": 0, "expected": 1, "optional": 2}
    said = [
        (order[n.priority], state.revealed.index(n.id), n.id)
        for n in persona.needs.values()
        if n.id in state.revealed
    ]
    found = (as_revealed(persona, fid) for _, _, fid in sorted(said))
    return [f for f in found if f is not None]


def _reveal(persona: Persona, fact_id: str, terse: bool) -> _Move:
    found = as_revealed(persona, fact_id)
    assert found is not None  # ids come from the persona
    return _Move(act="reveal", facts=[found], terse=terse, earned=not terse)


def _answer_public(
    topic: Topic, state: CustomerState, persona: Persona, rules: CustomerRules
) -> _Move | None:
    """A question on a topic any buyer answers; None when it is not one."""
    m = rules.matching
    scored = [(_public_score(f, topic, rules), -i, f) for i, f in enumerate(persona.public)]
    best = max(scored, key=lambda t: (t[0], t[1]), default=None)
    if best is not None and best[0] >= m.min_score:
        fact = best[2]
        if fact.id in state.revealed:
            return _recall(persona, [fact.id], "already_said")
        return _reveal(persona, fact.id, terse=False)
    if not asked_public_topic(topic, rules):
        return None
    # A public topic this persona says nothing about: an honest "I'd have to check", unless
    # a hidden fact answers it (then the SPIN rules below decide).
    hidden = max((match_score(f, topic) for f in persona.all_facts()), default=0)
    return None if hidden >= m.min_score else _Move(act="deflect", reason="need_to_check")


def _answer_spin(
    kind: FactKind,
    topic: Topic,
    closed: bool,
    asks_value: bool,
    state: CustomerState,
    persona: Persona,
    rules: CustomerRules,
    warm: bool,
    pr: PersonalityRules,
    stacked: bool = False,
) -> _Move:
    m = rules.matching
    pool, why_not = _pool(kind, state, persona)
    if topic.specific:
        chosen, score = _best(pool, topic)
        anywhere = [(match_score(f, topic), f) for f in persona.all_facts()]
        hit = max(anywhere, key=lambda t: t[0], default=None)
        # "How many accounts does each CSM carry?" after the accounts and CSMs were described:
        # a question asking for one value, naming a said fact better than any unsaid one,
        # asks for what was said ("how do the CSMs decide which accounts need attention?"
        # asks something new: the unsaid fact it reaches).
        said_better = (
            asks_value
            and hit is not None
            and hit[0] > score
            and hit[1].id in state.revealed
            and names_fact(hit[1], topic, persona)
        )
        pointed = (
            _pointed_thread(topic, hit, state, persona)
            if kind == "implication" and (chosen is None or score < m.min_score)
            else None
        )
        setup = (
            _setup_answer(
                kind,
                topic,
                hit[1],
                pool,
                state,
                persona,
                needs_warmup(state, rules, pr) and not warm,
                closed,
                asks_value,
                stacked,
            )
            if hit is not None
            and hit[0] >= m.min_score
            and kind in ("situation", "problem")
            and (chosen is None or score < m.min_score)
            else None
        )
        if pointed is not None:
            # "When a break isn't caught, what does that do to your board reporting?" with the
            # breaks out: the thread the question points at, whatever consequence it names.
            chosen = pointed
        elif setup is not None:
            chosen = setup
        elif chosen is None or score < m.min_score or said_better:
            if hit is None or hit[0] < m.min_score:
                cause = _open_thread_next(state, persona) if kind == "implication" else None
                if topic.points_at_cause and cause is not None:
                    # "What does that do to your delivery dates?" right after a pain: what
                    # follows from that pain, in the customer's own terms.
                    chosen = cause
                elif (
                    topic.refers_back
                    # "Where does that process break down?": a problem question pointing at
                    # what was described, in words naming nothing of this persona. (English
                    # only: a Chinese question's content is cut by characters, so 那 before a
                    # noun of its own, 那会员复购率, can pass for a pointing word.)
                    or (kind == "problem" and topic.language == "en" and topic.points_back)
                    or kind == "need_payoff"
                    or _asks_about_setup(kind, topic, closed, state, persona)
                ):
                    # "Where does that fall short?" names nothing but points back at the
                    # thread in hand, and "what would you like to see first?" names no
                    # problem: answered in the persona's order, like a generic question.
                    chosen = _best_or_next(pool, topic)
                else:
                    return _Move(act="deflect", reason=_honest(kind))
            elif (
                hit[1].id in state.revealed
                and not names_fact(hit[1], topic, persona)
                # "Roughly how many devices?" right after "about 9,000 laptops": a value
                # asked again of what was said, even through an area word, is "as I said".
                and not (asks_value and persona.fact_kind(hit[1].id) == kind)
            ):
                # "维护一般是怎么安排的?" after the equipment was described: only the persona's
                # area words (设备) reach what was said, so it asks something new there.
                area = _area_answer(kind, topic, pool, why_not, state, persona)
                if isinstance(area, _Move):
                    area.opened = area.reason == "no_implication_known"
                    return area
                chosen = area
            else:
                thread = _thread_of(persona, hit[1].id)
                followers = [f for f in pool if _thread_of(persona, f.id) == thread]
                said = hit[1].id in state.revealed
                if said and kind in ("implication", "need_payoff") and followers:
                    # "What does the downtime cost you?": the question names a pain already said
                    # and asks what follows from it; the answer comes from that pain's thread.
                    chosen = _best(followers, topic)[0]
                elif said and pool and persona.fact_kind(hit[1].id) != kind:
                    # A new kind of question about something already described ("what's hard
                    # about that scheduling?" after the scheduling setup): the next fact of
                    # the asked kind, in the persona's order.
                    chosen = _best_or_next(pool, topic)
                elif (
                    said
                    and not pool
                    and kind in ("implication", "need_payoff")
                    and persona.fact_kind(hit[1].id) in ("situation", "problem")
                ):
                    # "What would automating that mean for your close?" with nothing earned
                    # to say: the gate's answer, never the problem statement again (free:
                    # a good question on a topic the customer opened costs no patience).
                    opened = persona.fact_kind(hit[1].id) == "problem"
                    return _Move(act="deflect", reason=why_not, opened=opened)
                elif said:
                    return _recall(persona, [hit[1].id], "already_said")
                elif (root := _unsaid_root(kind, thread, state, persona)) is not None:
                    # "How much time goes into chasing reconciliations?" once the customer
                    # has named a pain: a buyer names the other pain underneath first.
                    chosen = root
                else:
                    return _not_yet(kind, state, persona, closed and not asks_value)
    else:
        chosen, _ = _best(pool, topic)
    if kind == "problem" and needs_warmup(state, rules, pr) and not warm and pool:
        return _Move(act="deflect", reason="needs_warmup")
    if chosen is None:
        return _Move(act="deflect", reason=why_not)
    if (
        closed
        and kind not in rules.closed_reveals
        and not asks_value
        and not (kind == "implication" and names_fact(chosen, topic, persona))
    ):
        # "Does running two systems create any audit exposure?" with the reconciliation
        # breaks out names an earned consequence: the buyer confirms it, tersely.
        return _Move(act="short_answer", reason="closed_question", terse=True)
    return _reveal(persona, chosen.id, terse=closed)


def _area_answer(
    kind: FactKind,
    topic: Topic,
    pool: list[Fact],
    why_not: Reason | None,
    state: CustomerState,
    persona: Persona,
) -> Fact | _Move:
    """A question that reaches what was said only through the persona's area words: a problem
    question gets the area's unsaid problem, anything else its kind's honest answer. The area
    is the facts that share a broad term with the question (设备), not any stray bigram."""
    words = _broad_terms(persona, topic) & topic.terms
    lex = topic.lexicon

    def in_area(f: Fact) -> bool:
        return bool(lex.fact_terms(f, topic.language) & words)

    area = [f for f in pool if in_area(f)]
    if kind == "problem" and area:
        return _best(area, topic)[0] or area[0]
    if kind == "need_payoff":
        chosen = _best(pool, topic)[0]
        return chosen if chosen is not None else _Move(act="deflect", reason=why_not)
    if kind == "situation":
        return _Move(act="deflect", reason="need_to_check")
    said = [f for f in persona.all_facts() if f.id in state.revealed]
    if any(persona.fact_kind(f.id) == kind and in_area(f) for f in said):
        # "哪些设备容易出问题?" once the breakdowns are out: that is all there is to it.
        return _Move(act="deflect", reason="nothing_left")
    if not pool and why_not is not None:
        return _Move(act="deflect", reason=why_not)
    return _Move(act="deflect", reason=_honest(kind))


def _asks_about_setup(
    kind: FactKind, topic: Topic, closed: bool, state: CustomerState, persona: Persona
) -> bool:
    """The first open problem question after the customer described their setup, naming one
    thing of its own (a word, or a Chinese word of up to four characters), asks where that
    setup hurts in the rep's words ("Which machines give you the most trouble?", 按现在的维护
    方式,哪里最让人不放心?), not about a topic the persona lacks ("the coffee machines in the
    canteen" names three)."""
    return (
        kind == "problem"
        and not closed
        and topic.own_size <= (4 if topic.language == "zh" else 1)
        and not problem_known(state, persona)
        and any(persona.fact_kind(f) == "situation" for f in state.revealed)
    )


def _pointed_thread(
    topic: Topic, hit: tuple[int, Fact] | None, state: CustomerState, persona: Persona
) -> Fact | None:
    """The next implication of the said pain an implication question is about, when no earned
    implication matches it: a said problem the question names ("when a break isn't caught...",
    whatever consequence follows), else the open thread when the question names only the setup
    or a public topic ("what does that mean for the kids and teachers?": what the pain does
    there). A question naming an unsaid pain's thread is left to the rules after."""
    said = [p for p in persona.problems if p.id in state.revealed]
    if not said:
        return None
    named = [p for p in said if names_fact(p, topic, persona)]
    # The best named, then the one the customer spoke of last.
    named.sort(key=lambda p: (-match_score(p, topic), -state.revealed.index(p.id)))
    for problem in named:
        left = [i for i in problem.implications if i.id not in state.revealed]
        if left:
            return _best(left, topic)[0]
    if hit is None or hit[0] < topic.matching.min_score:
        return None
    if _thread_of(persona, hit[1].id) not in ("situation", "public"):
        return None
    # A pain not said yet that the question names as well as the setup comes first
    # ("门店断货的时候,对会员复购有什么影响?" with only the waste out: the stock-outs).
    unsaid = [
        (match_score(f, topic), p)
        for p in persona.problems
        if p.id not in state.revealed
        for f in (p, *p.implications, *p.need_payoffs)
    ]
    best = max(unsaid, key=lambda t: t[0], default=None)
    if best is not None and best[0] >= max(hit[0], topic.matching.min_score):
        return best[1]
    return _open_thread_next(state, persona)


def _setup_answer(
    kind: FactKind,
    topic: Topic,
    hit: Fact,
    pool: list[Fact],
    state: CustomerState,
    persona: Persona,
    cold: bool,
    closed: bool,
    asks_value: bool,
    stacked: bool,
) -> Fact | None:
    """A situation or problem question whose best match is a fact of another kind, answered as
    a buyer would at the asked level. A situation question whose honest answer is an unsaid
    problem ("how many days does the close take?") gets that problem (once the warm-up allows,
    `cold` is True before), and one reaching an unsaid consequence or need ("how do you bring
    the numbers together at month-end?") the next situation fact. Before any problem is out, a
    problem question that reaches only the setup the customer described ("under the current
    dispatching, what doesn't run smoothly?") asks where it hurts: the next problem in the
    persona's order, and one reaching a consequence or need of an unsaid pain gets that pain.
    Open questions and questions asking for a value only: a yes/no question ("do you ever have
    breakdowns?") keeps its hedge."""
    thread = _thread_of(persona, hit.id)
    if thread == "public":
        return None
    if (closed and not asks_value) or stacked:
        # "Do you ever have breakdowns?": a yes/no question fishing for a fact earns a hedge;
        # a barrage of questions ("how long is your close, how many people, which cores?")
        # gets no more than its setup.
        return None
    if kind == "situation" and hit.id not in state.revealed and thread != "situation":
        if persona.fact_kind(hit.id) == "problem":
            return None if cold else hit
        return _best_or_next(pool, topic)
    said_setup = hit.id in state.revealed and thread == "situation"
    if kind == "problem" and said_setup and not problem_known(state, persona):
        return _best_or_next(pool, topic)
    if kind == "problem" and thread != "situation" and hit.id != thread:
        # "What's the hardest part about spotting an at-risk account?" reaches the need behind
        # an unsaid pain: the buyer names the pain itself.
        return next((p for p in pool if p.id == thread), None)
    return None


def _honest(kind: FactKind) -> Reason:
    """The honest answer to a question on something this customer does not have: "I'd have to
    check" (situation), "we haven't seen an effect there" (implication), "not an issue"."""
    if kind == "situation":
        return "need_to_check"
    return "no_effect" if kind == "implication" else "not_an_issue"


def _unsaid_root(
    kind: FactKind, thread: str, state: CustomerState, persona: Persona
) -> Fact | None:
    """The unsaid problem an implication or need-payoff question names, once one pain is out."""
    if kind not in ("implication", "need_payoff") or not problem_known(state, persona):
        return None
    return next(
        (p for p in persona.problems if p.id == thread and p.id not in state.revealed), None
    )


def _not_yet(kind: FactKind, state: CustomerState, persona: Persona, yes_no: bool) -> _Move:
    """The question names a fact the customer is not ready to say on this question: a hedge,
    terse ("maybe") for a yes/no question, a hint that there is more for an open one."""
    reason = _gate(kind, state, persona)
    if reason == "not_earned":
        return _Move(act="short_answer", reason="not_earned", terse=yes_no)
    return _Move(act="deflect", reason=reason)


def _open_thread_next(state: CustomerState, persona: Persona) -> Fact | None:
    """The next implication of the problem the customer spoke about last, if any is left."""
    for fact_id in reversed(state.revealed):
        thread = _thread_of(persona, fact_id)
        if thread in ("situation", "public"):
            continue
        problem = next(p for p in persona.problems if p.id == thread)
        return next((i for i in problem.implications if i.id not in state.revealed), None)
    return None


def _thread_of(persona: Persona, fact_id: str) -> str:
    """The problem a fact belongs to (its own id for a problem), or `situation`/`public`."""
    for p in persona.problems:
        ids = [p.id, *(i.id for i in p.implications), *(n.id for n in p.need_payoffs)]
        if fact_id in ids:
            return p.id
    return "public" if persona.public_fact(fact_id) is not None else "situation"


# --- next steps ----------------------------------------------------------------------------


def _same_time(a: str | None, b: str | None) -> bool:
    """Two time phrases name the same slot ("next Tuesday at 10am" and "Tuesday at 10am")."""
    if not a or not b:
        return False

    def norm(t: str) -> str:
        t = re.sub(r"\bnext\b|\bthis\b|\bon\b", "", t.lower())
        return re.sub(r"[\s,.。,的]+|^下(?=周|星期|礼拜)", "", t)

    x, y = norm(a), norm(b)
    return bool(x and y) and (x in y or y in x)


def takes_counter(state: CustomerState, coaching: Coaching) -> bool:
    """With a slot of the customer's open, the rep takes it unless it asks something else,
    pitches or wanders off ("好的,就按您说的", "Monday works", a goodbye)."""
    s = coaching.signals
    if state.counter is None or s.off_topic or s.pitch or coaching.spin is not None:
        return False
    return s.next_step.proposed or s.acknowledgement or s.goodbye or coaching.question is None


def _counter(
    persona: Persona, coaching: Coaching, rules: CustomerRules, seq: int | None
) -> StepOffer:
    """The slot the customer offers instead: the first one the rep did not name."""
    asked = coaching.signals.next_step
    slots = rules.counter.times.for_language(persona.language)
    time = next((t for t in slots if not _same_time(t, asked.time_text)), slots[0])
    return StepOffer(time=time, form=asked.form, proposed_seq=seq, declined=asked.time_text)


def _answer_next_step(
    state: CustomerState,
    new: CustomerState,
    persona: Persona,
    coaching: Coaching,
    scenario: Scenario,
    rules: CustomerRules,
    seq: int | None,
) -> _Move:
    """A proposed next step, or the rep's answer to the customer's own slot (rule 4)."""
    asked = coaching.signals.next_step
    interest = has_interest(state, persona, scenario, rules)
    pending = state.counter
    if state.next_step_agreed:
        return _Move(act="acknowledge", reason="already_agreed")
    agreed: StepOffer | None = None
    if pending is not None:
        declined_again = asked.has_concrete_time and _same_time(asked.time_text, pending.declined)
        # Only a question offers another slot; "great, I'll send the invite this afternoon"
        # takes the customer's.
        other = asked.has_concrete_time and coaching.question is not None
        if not other or _same_time(asked.time_text, pending.time):
            agreed = pending.model_copy(update={"form": pending.form or asked.form})
        elif interest and not declined_again:
            agreed = StepOffer(time=asked.time_text or "", form=asked.form, proposed_seq=seq)
        else:
            # The same slot as before, or any other one before real interest: the offer stands.
            return _Move(
                act="counter_next_step", reason="busy" if interest else "later", step=pending
            )
        new.counter = None
        new.next_step_agreed = True
        reason: Reason | None = "counter_taken" if agreed.time == pending.time else None
        return _Move(act="accept_next_step", reason=reason, step=agreed)
    if not asked.has_concrete_time:
        why: Reason = "no_concrete_time" if interest else "no_interest"
        return _Move(act="defer_next_step", reason=why)
    counter = rules.counter
    busy = persona.personality in counter.personalities and state.counters == 0
    partial = counter.interest.get(scenario)
    later = (
        not interest
        and partial is not None
        and any(persona.fact_kind(f) == partial for f in state.revealed)
    )
    if (interest and busy) or later:
        new.counter = _counter(persona, coaching, rules, seq)
        new.counters += 1
        return _Move(act="counter_next_step", reason="later" if later else "busy", step=new.counter)
    if not interest:
        return _Move(act="defer_next_step", reason="no_interest")
    new.next_step_agreed = True
    step = StepOffer(time=asked.time_text or "", form=asked.form, proposed_seq=seq)
    return _Move(act="accept_next_step", step=step)


def _copy(state: CustomerState) -> CustomerState:
    """A copy of the state that decide() may change: its lists and its dict are new, the rest is
    shared (decide() assigns the counter and the answers' lists, it never changes them in place),
    at a fraction of a deep copy's cost."""
    new = state.model_copy()
    new.revealed = list(state.revealed)
    new.answers = dict(state.answers)
    return new


def decide(
    state: CustomerState,
    persona: Persona,
    coaching: Coaching,
    scenario: Scenario,
    rules: CustomerRules,
    *,
    seq: int | None = None,
) -> Decision:
    """The customer's move on one rep turn (rules in the module docstring); `state` is untouched.

    `coaching` is the stored reading of the rep turn; `seq` is that turn's number, kept so a
    later repeat of it can be answered with what was said then.
    """
    if state.ended:
        return Decision(act="hang_up", mood="annoyed", state=_copy(state), reason="ended")

    new = _copy(state)
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
    hard_close = signals.hard_close and not need_payoff_known(state, persona)
    repeat = signals.repeat_of is not None and not first_turn
    # No words at all (emoji, keyboard mashing) puzzle the customer as talk to the program does.
    meta = signals.meta or signals.noise
    misstep = signals.off_topic or meta or repeat or hard_close

    if opener_turn:
        if _weak_opener(coaching):
            costs.append(pr.costs.weak_opener)
    elif meta:
        costs.append(pr.costs.meta)
    elif signals.off_topic:
        costs.append(pr.costs.off_topic)
    elif hard_close:
        costs.append(pr.costs.hard_close)
    elif repeat:
        costs.append(pr.costs.repeat)
    else:
        if premature:
            costs.append(pr.costs.premature_pitch)
        if closed and not (signals.small_talk or signals.summary or next_step):
            costs.append(pr.costs.closed_question)
    if not opener_turn:
        if "too_long" in flags:
            costs.append(pr.costs.too_long)
        if "multiple_questions" in flags and not misstep:
            costs.append(pr.costs.multiple_questions)
    if signals.summary and not misstep:
        gains.append(pr.gains.summary)
    elif signals.acknowledgement and not misstep:
        gains.append(pr.gains.acknowledgement)

    topic = Topic(signals.topic, persona.language, rules.matching)
    move: _Move
    objection: str | None = None
    asks = coaching.question is not None or signals.question_count > 0

    # The rep's answer to a slot the customer offered counts as an answer to a proposal.
    answers_step = next_step or takes_counter(state, coaching)
    # A goodbye while the customer is interested and nothing is agreed ("Helpful, thanks."):
    # once, the customer leaves the rep the floor instead of hanging up.
    floor = (
        signals.goodbye
        and not answers_step
        and not first_turn
        and not state.next_step_agreed
        and not state.floor_offered
        and has_interest(state, persona, scenario, rules)
    )
    if floor:
        move = _Move(act="acknowledge", reason="open_floor")
        new.floor_offered = True
    elif signals.goodbye and not (answers_step and not opener_turn):
        move = _Move(act="goodbye", reason=None)
    elif meta:
        move = _Move(act="puzzled", reason="meta")
    elif signals.hard_close and not opener_turn:
        if hard_close:
            move = _Move(act="object", reason="hard_close")
            objection = _objection(state, persona, rules)
            new.objections_raised += 1
        else:
            move = _Move(act="defer_next_step", reason="hard_close")
    elif answers_step and not opener_turn:
        move = _answer_next_step(state, new, persona, coaching, scenario, rules, seq)
    elif signals.off_topic and not opener_turn:
        move = _Move(act="redirect", reason="off_topic")
    elif repeat:
        said = state.answers.get(str(signals.repeat_of), [])
        move = _recall(persona, said, "repeat")
    elif (
        asks
        and coaching.spin not in ("problem", "implication")
        and any(topic.has(w) for w in rules.matching.priority_words.for_language(persona.language))
        and (ranked := _ranked_needs(state, persona))
    ):
        move = _Move(act="rank", recalled=ranked)
    elif opener_turn or (first_turn and coaching.spin is None and not pitching):
        move = _Move(act="greet", reason="weak_opener" if _weak_opener(coaching) else None)
        if signals.small_talk:
            new.small_talk_turns += 1
            gains.append(pr.gains.small_talk)
    elif (
        asks
        and coaching.spin in (None, "situation")
        and not signals.summary
        and (public := _answer_public(topic, state, persona, rules)) is not None
    ):
        move = public
    elif signals.summary and coaching.question != "open" and not pitching:
        # "So ..., is that right?": a check, not a new question, whatever its words look like.
        more = _next_in_thread(state, persona) if state.last_act == "reveal" else None
        if more is not None:
            move = _reveal(persona, more.id, terse=False)
            move.act, move.earned, move.reason = "elaborate", False, "summary"
        else:
            move = _Move(act="acknowledge", reason="summary")
    elif coaching.spin is not None:
        kind: FactKind = coaching.spin
        if kind == "situation":
            new.situation_questions += 1
        warm = state.rapport > 0 or state.situation_questions > 0 or signals.acknowledgement
        stacked = "multiple_questions" in flags
        move = _answer_spin(
            kind, topic, closed, signals.asks_value, state, persona, rules, warm, pr, stacked
        )
        if (
            kind in ("problem", "need_payoff")
            and not move.facts
            and not closed
            and move.act in ("deflect", "short_answer")
            and (public := _answer_public(topic, state, persona, rules)) is not None
            and public.act == "reveal"
            and (
                move.reason in ("nothing_left", "not_an_issue", "no_effect", "need_to_check")
                or max(match_score(f, topic) for f in persona.all_facts())
                < rules.matching.min_score
            )
        ):
            # "Who else would weigh in, and is there a budget cycle?" read as a need-payoff
            # question: what any buyer tells. Not an implication question: "what does that do
            # to your budget?" asks for a consequence, not the budget cycle.
            move = public
        if move.reason in ("no_problem_known", "no_implication_known") and not move.opened:
            costs.append(pr.costs.unearned_question)
        elif signals.small_talk and move.reason in ("need_to_check", "not_an_issue", "no_effect"):
            # "团队应该挺辛苦的吧?" read as small talk and a question on nothing the customer
            # has: it is chat, answered as chat, not "I'd have to check".
            move = _chat(state, new, pr, costs, gains)
    elif (
        (signals.summary or (signals.acknowledgement and not asks))
        and not pitching
        and state.last_act == "reveal"
        and (more := _next_in_thread(state, persona)) is not None
    ):
        move = _reveal(persona, more.id, terse=False)
        move.act, move.earned = "elaborate", False
        move.reason = "summary" if signals.summary else None
    elif signals.summary and not pitching:
        move = _Move(act="acknowledge", reason="summary")
    elif pitching:
        if premature:
            move = _Move(act="object", reason="premature_pitch")
            objection = _objection(state, persona, rules)
            new.objections_raised += 1
        else:
            move = _Move(act="acknowledge", reason="value_point")
    elif signals.small_talk:
        move = _chat(state, new, pr, costs, gains)
    elif asks:
        move = _Move(act="short_answer")
    elif "too_long" in flags:
        move = _Move(act="short_answer", reason="monologue")
    else:
        move = _Move(act="acknowledge")

    if move.earned:
        gains.append(pr.gains.open_question)
    for effect in costs:
        _apply(new, effect, -1)
    for effect in gains:
        _apply(new, effect, +1)

    if signals.goodbye and not floor:
        new.ended = True
    if new.patience <= 0 and not new.ended:
        new.patience = 0
        new.ended = True
        move = _Move(act="hang_up", reason="patience_exhausted")
        objection = None
        new.next_step_agreed = state.next_step_agreed
        new.counter, new.counters = state.counter, state.counters
        new.objections_raised = state.objections_raised

    new.revealed.extend(f.id for f in move.facts)
    if seq is not None and move.facts:
        new.answers[str(seq)] = [f.id for f in move.facts]
    new.last_act = move.act
    return Decision(
        act=move.act,
        facts=move.facts,
        recalled=move.recalled,
        mood=_mood(new, persona),
        state=new,
        terse=move.terse,
        reason=move.reason,
        objection=objection if move.act == "object" else None,
        next_step=move.step if move.act in ("accept_next_step", "counter_next_step") else None,
    )
