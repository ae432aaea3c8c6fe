"""The next best move: one tip per rep turn, from its reading and the conversation so far.

Pure: the turn's reading (the stored coaching), the transcript before it (customer turns carry
the facts the state machine revealed), the persona and the playbook in; one `Tip` out. Nothing
here reads the rep's raw text. Wording and model questions come from playbook/coach/moves.yaml,
in the session's language; a tip quotes only what the customer said in a turn it cites (#seq).

Threads: a revealed problem is open until one of its implications is revealed; a revealed
implication is open until a need-payoff of its problem is revealed. The focus is the most
recent open thread; its next question is an implication question for a problem, a
need-payoff question for an implication, a problem question on the latest situation fact,
a summary once a need-payoff is known, else a situation question.

Model questions say the customer's words back (`fragment`: whole clauses that fit) when they
said something that fits the question; else they point back, else they name the industry.

The rule set, first match wins:
0. a derailed call (the rep played with the exercise) while the customer is still lost: reset
   (apologise, who and why, one real question) until the rep starts over; a slot the customer
   offered comes first, then the rest of rule 0.
0. the customer asked or objected and this turn did not answer: answer first (the last turn;
   a "who are you" until answered, one line of who-and-why counts; a doubt that the call is
   worth their time for their next two turns; "get to the point" after a full opener: ask
   now; an objection the turn before went past).
1. goodbye: wrap up (next step agreed or on the table, proposed now with a time, or missing).
2. meta, then off_topic: back to the customer's business with the focus question.
3. the cold-call opener: the first missed check in tips.yaml's priority (pains from the
   persona's industry), else the opener is complete: a situation question.
4. hard_close: the value is not stated yet; premature pitch (a pitch before any problem):
   hold it and ask a problem question.
5. repeat_of: build on the earlier answer instead.
6. a next step: before the scenario's interest (customer.yaml) earn it; without a time make
   it concrete; with a time confirm who joins.
7. must-have against nice-to-have once a value is stated: one prioritising question, kept
   whole; multiple_questions, too_long: one question (the focus question); no_rapport:
   rapport first next time.
8. an implication question with no problem known, a need-payoff question with no
   implication known: ground it first.
9. a closed SPIN question (not one asking for a single value): the same kind, asked openly.
10. no_question: hand it back.
11. a summary: book the next step once there is interest, else ask what matters most.
12. a pitch after a problem is known (a value point): check it lands.
13. small talk: past the personality's limit move on; a meeting's first question: listen
    first; else go to business.
14. a cold call with a problem and an implication known: book the follow-up.
15. the SPIN question asked: situation -> problems (enough background after
    `situation_enough` facts; once a cost is known its value instead, once the value is
    stated the recap and the next step); problem -> explore the open problem first, else its
    implications next; implication -> the need-payoff; need-payoff -> play it back, then
    the next step once one is known.
16. anything else: follow the focus thread (the next step once the need is stated).
8 holds no need-payoff question back once two cost questions were brushed off. A customer who
doubts the call or brushed off two cost questions gets no further cost question: the focus
question is the need-payoff instead. Recaps, wrap-ups and next steps name the problem the
conversation developed (`main_problem`). A move that would ask for a next step is skipped when
one with a time is already on the table (proposed earlier and neither put off nor countered by
the customer). A counter-offer
(another slot) as the customer's last word is answered first: a yes takes it (the step is
set at the customer's time), a goodbye takes it too, anything else gets "take or answer
the slot".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.coach.analyzer import Utterance, read_utterance
from app.coach.schemas import Coaching, OpenerCheck, Scenario, SpinType
from app.needs import support as needs_support
from app.playbook.loader import Playbook
from app.playbook.moves import (
    QUESTION_KINDS,
    IndustryTerms,
    MoveKind,
    MoveRules,
    Phrases,
    QuestionKind,
    Says,
    Unanswered,
)
from app.playbook.persona import FactKind, Language, Persona
from app.roleplay.transcript import TranscriptTurn

OPENER_PREFIX = "opener."
# Quotes are cut to a clause or two (characters in zh, words in en): enough to recognise,
# short enough to read at a glance. Consequences and value keep their whole sentence.
QUOTE_LIMITS: dict[Language, tuple[int, int]] = {"zh": (16, 30), "en": (8, 18)}
WHOLE_LIMITS: dict[Language, int] = {"zh": 44, "en": 26}
WHOLE_KINDS: frozenset[FactKind] = frozenset({"implication", "need_payoff"})
# A clause ends after a mark (not a thousands comma: 1,200) or after a full stop and a space.
_CLAUSE_END = re.compile(r"(?<=[,，;；:：。！？!?])(?!\d)|(?<=\.)\s")
_TRAILING = ",，;；:：。！？!?. "
# Function words that do not tie an offering to an industry phrase.
_STOP = frozenset("a an and the for that with from their your our of to in on at by is are".split())
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# A sentence ends after ? ! 。 or a full stop and a space.
_SENTENCE = re.compile(r"(?<=[?？!！。])|(?<=\.)\s")
DEFERRED_ACT = "defer_next_step"
COUNTER_ACT = "counter_next_step"
ACCEPTED_ACT = "accept_next_step"
GREET_ACT = "greet"
RECALL_ACT = "recall"
RANK_ACT = "rank"
# SPIN questions past the background: a turn asking one moves the call on.
STAGE_AHEAD: frozenset[SpinType | None] = frozenset({"problem", "implication", "need_payoff"})
# A push-back the rep has to come back to: an objection, a step put off.
PUSH_BACK_ACTS = frozenset({"object", DEFERRED_ACT})
# What a brush-off is ("不好说。", "Hard to tell."); "嗯,你接着说。" (acknowledge) is none.
BRUSH_OFF_ACTS = frozenset({"short_answer", "deflect", None})


@dataclass(frozen=True)
class Said:
    """A fact the customer revealed, in their own words, and the turn they said it in."""

    kind: FactKind
    turn_seq: int
    quote: str
    fact_id: str
    problem_id: str | None = None


@dataclass(frozen=True)
class Tip:
    kind: MoveKind
    text: str
    says: frozenset[Says]
    cites: tuple[int, ...] = ()


def short_quote(text: str, language: Language, *, whole: bool = False) -> str:
    """The first clause (or two) of what the customer said, without closing punctuation;
    `whole` keeps every clause that fits (a consequence or a value needs its second half)."""
    low, high = QUOTE_LIMITS[language]
    if whole:
        low = high = WHOLE_LIMITS[language]
    clauses = [c.strip() for c in _CLAUSE_END.split(text.strip()) if c and c.strip()]
    if not clauses:
        return text.strip()

    def size(s: str) -> int:
        return len(s) if language == "zh" else len(s.split())

    glue = "" if language == "zh" else " "
    picked = clauses[0]
    for nxt in clauses[1:]:
        if size(picked.rstrip(_TRAILING)) >= low or size(picked + glue + nxt) > high:
            break
        picked = picked + glue + nxt
    picked = picked.rstrip(_TRAILING)
    if size(picked) > high:
        picked = picked[:high] if language == "zh" else " ".join(picked.split()[:high])
        picked = picked.rstrip(_TRAILING) + "…"
    # The quote sits inside the tip's own quotation marks.
    return picked.replace('"', "'")


_GREETING = re.compile(
    r"^(?:哎|嗯|喂)?(?:你好|您好)[,，!！。]?$|^(?:hi|hello|hey)( there)?[,.!]?$", re.I
)
# A clause that leads into the next one, never the end of what is said back.
_CONNECTIVE = re.compile(
    r"^(?:照|按照|如果|因为|所以|但是|而且|只要|一旦|so\b|because\b|and\b|but\b|which\b|when\b|if\b|while\b)",
    re.I,
)
# A model question takes up one clause of what the customer said, spoken back to them: a
# short one (a whole sentence said back sounds robotic).
FRAGMENT_LIMITS: dict[Language, int] = {"zh": 16, "en": 10}
# An objection, a cost or a value is said back by the clauses that make its point.
PROBE_LIMITS: dict[Language, int] = {"zh": 26, "en": 14}


def fragment(quote: str, language: Language, *, limit: int | None = None) -> str | None:
    """The customer's words as the rep can say them back inside a question: the first clause
    that fits (lower-cased at the start in English), or None when even that is too long."""
    limit = limit or FRAGMENT_LIMITS[language]
    clauses = [c.strip().rstrip(_TRAILING) for c in _CLAUSE_END.split(quote.strip())]
    # A clause the quote cut off ("...only when they tell…") is not said back.
    clauses = [c for c in clauses if c and not c.endswith("…")]

    def size(s: str) -> int:
        return len(s) if language == "zh" else len(s.split())

    glue = "," if language == "zh" else ", "
    fits = None
    for end in range(len(clauses), 0, -1):
        # The most clauses from the start that fit.
        joined = glue.join(clauses[:end])
        if size(joined) <= limit:
            fits = joined
            break
    if fits is None or size(fits) < (4 if language == "zh" else 3):
        return None
    kept = fits.split(glue)
    while len(kept) > 1 and len(kept) < len(clauses) and _CONNECTIVE.match(kept[-1]):
        # "..., 照现在的状况" leaves the sentence hanging: end before it.
        kept.pop()
    fits = glue.join(kept)
    if language == "en":
        first = fits.split()[0]
        if not re.match(r"I\b", first) and first[:1].isupper() and first[1:].islower():
            fits = fits[:1].lower() + fits[1:]
    return fits


def _has_cue(lowered: str, cues: Sequence[str]) -> bool:
    return any(w in lowered for w in cues)


# Every tip re-reads the whole transcript; a turn's words do not change.
@functools.lru_cache(maxsize=4096)
def _cued_sentence_quote(text: str, cues: tuple[str, ...], language: Language) -> str | None:
    """The first sentence of `text` carrying one of the (lower-case) cues, quoted short."""
    sentences = [p.strip() for p in _SENTENCE.split(text) if p.strip()]
    hit = next((p for p in sentences if _has_cue(p.lower(), cues)), None)
    return short_quote(hit, language) if hit is not None else None


def _cued(
    sentences: list[str], phrases: Phrases, language: Language, *, extend: bool
) -> str | None:
    """The customer's words that carry one of these cues, quoted short; `extend`: a short
    sentence ("I doubt it.") takes the next one, which says what."""
    words = phrases.lowered(language)
    at = next((i for i, p in enumerate(sentences) if _has_cue(p.lower(), words)), -1)
    if at < 0:
        return None
    hit = cue_clause(sentences[at], words)
    size = len(hit) if language == "zh" else len(hit.split())
    if extend and size < (6 if language == "zh" else 4) and at + 1 < len(sentences):
        hit = sentences[at + 1]
    return short_quote(hit, language)


_LEAD_IN = re.compile(
    r"^(?:(?:hang on|wait|one concern|慢着|等等|说实话|不过|先说一个顾虑)[,，.。:：!！]\s*|(?:and|but|so)\s+)",
    re.I,
)


def cue_clause(sentence: str, cues: Sequence[str]) -> str:
    """The part of a sentence that says the cue: from the clause before the cue's clause when
    that one is short (it names the subject), else from the cue's clause; no lead-in."""
    clauses = [c for c in _CLAUSE_END.split(sentence.strip()) if c.strip()]
    at = next((i for i, c in enumerate(clauses) if any(w in c.lower() for w in cues)), 0)
    start = at
    if at > 0 and len(clauses[at].strip()) < 8:
        start = at - 1
    text = (
        "".join(clauses[start:])
        if _HAN.search(sentence)
        else " ".join(c.strip() for c in clauses[start:])
    )
    return _LEAD_IN.sub("", text.strip())


# Every tip re-reads the whole transcript; a fact's quote depends on its words only.
@functools.lru_cache(maxsize=4096)
def _fact_quote(fact: str, turn_text: str, language: Language, whole: bool) -> str:
    return short_quote(needs_support.quote(fact, turn_text), language, whole=whole)


def said_in(turns: Sequence[TranscriptTurn], language: Language) -> list[Said]:
    """Every fact the customer revealed in these turns, in order, each once, quoted short."""
    found: list[Said] = []
    seen: set[str] = set()
    for turn in sorted(turns, key=lambda t: t.seq):
        if turn.speaker != "customer":
            continue
        for fact in turn.revealed:
            # Public facts (budget, who decides...) are context, not a SPIN thread to build on.
            if fact.kind == "public" or fact.id in seen:
                continue
            seen.add(fact.id)
            found.append(
                Said(
                    kind=fact.kind,
                    turn_seq=turn.seq,
                    quote=_fact_quote(fact.text, turn.text, language, fact.kind in WHOLE_KINDS),
                    fact_id=fact.id,
                    problem_id=fact.problem_id,
                )
            )
    return found


@dataclass
class Conversation:
    """What the tips read from the transcript before the rep turn being coached."""

    turns: list[TranscriptTurn]
    said: list[Said]
    rep: list[TranscriptTurn] = field(init=False)

    def __post_init__(self) -> None:
        self.rep = [t for t in self.turns if t.speaker == "rep"]

    @classmethod
    def of(cls, turns: Sequence[TranscriptTurn], language: Language) -> Conversation:
        ordered = sorted(turns, key=lambda t: t.seq)
        return cls(ordered, said_in(ordered, language))

    @property
    def opener(self) -> OpenerCheck | None:
        """The checks of the call's first rep turn, when it was read as a cold-call opener."""
        first = self.turns[0].coaching if self.turns else None
        return first.opener if first is not None else None

    def has(self, kind: FactKind) -> bool:
        return any(s.kind == kind for s in self.said)

    @property
    def previous_tip(self) -> str:
        """The tip shown under the rep's previous turn ("" when none): this one comments on
        the turn at hand, not the same again."""
        last = self.rep[-1].coaching if self.rep else None
        return (last.tip or "") if last is not None else ""

    def latest(self, *kinds: FactKind) -> Said | None:
        return next((s for s in reversed(self.said) if s.kind in kinds), None)

    def problem_question(self) -> tuple[QuestionKind, Said | None]:
        """The problem question to ask next: on the latest situation fact, when there is one."""
        situation = self.latest("situation")
        return ("problem_on_fact" if situation else "problem"), situation

    def main_problem(self) -> Said | None:
        """The problem the conversation went furthest on: that of the latest value the customer
        stated, else of the latest cost, else the latest named (not a side pain named since)."""
        leads: tuple[FactKind, ...] = ("need_payoff", "implication")
        for kind in leads:
            lead = self.latest(kind)
            found = next(
                (
                    s
                    for s in self.said
                    if lead is not None and s.kind == "problem" and s.fact_id == lead.problem_id
                ),
                None,
            )
            if found is not None:
                return found
        return self.latest("problem")

    def count(self, kind: FactKind) -> int:
        return sum(1 for s in self.said if s.kind == kind)

    def open_problem(self) -> Said | None:
        explored = {s.problem_id for s in self.said if s.kind == "implication"}
        return next(
            (s for s in reversed(self.said) if s.kind == "problem" and s.fact_id not in explored),
            None,
        )

    def open_implication(self) -> Said | None:
        developed = {s.problem_id for s in self.said if s.kind == "need_payoff"}
        return next(
            (
                s
                for s in reversed(self.said)
                if s.kind == "implication" and s.problem_id not in developed
            ),
            None,
        )

    def answer_to(self, rep_seq: int) -> Said | None:
        """The fact revealed in the customer turn that answered this rep turn."""
        return next((s for s in self.said if s.turn_seq == rep_seq + 1), None)

    def act_after(self, rep_seq: int) -> str | None:
        return next((t.act for t in self.turns if t.seq == rep_seq + 1), None)

    def step_on_table(self) -> int | None:
        """The rep turn that proposed a next step with a time the customer did not put off."""
        for turn in self.rep:
            step = turn.coaching.signals.next_step if turn.coaching else None
            if step and step.proposed and step.has_concrete_time:
                if self.act_after(turn.seq) not in (DEFERRED_ACT, COUNTER_ACT):
                    return turn.seq
        return None

    def unclear_caller(self) -> tuple[str, int] | None:
        """The customer's greeting (words, turn) when it answered an opener that left out
        who is calling or why, and nothing came since."""
        if len(self.turns) != 2 or self.turns[1].act != GREET_ACT:
            return None
        opener = self.opener
        if opener is None or (opener.introduced_self and opener.stated_purpose):
            return None
        words = self.turns[1].text.strip().rstrip("。.!！").replace('"', "'")
        return words, self.turns[1].seq

    def countered(self) -> TranscriptTurn | None:
        """The customer's counter-offer (another slot) when it is the last thing said: the
        step is not settled until the rep takes or answers it."""
        last = self.turns[-1] if self.turns else None
        return last if last is not None and last.act == COUNTER_ACT else None

    def unanswered(self, cues: Unanswered, language: Language) -> tuple[MoveKind, str, int] | None:
        """What the customer's last turn asked or objected (the tip's kind, the words, the
        turn), by its cues first, else by a question mark when its act asks something."""
        last = self.turns[-1] if self.turns else None
        if last is None or last.speaker != "customer":
            return None
        sentences = [p.strip() for p in _SENTENCE.split(last.text) if p.strip()]
        if last.act in cues.skip_acts:
            # "Right. So what's the call about?" after small talk still asks why the rep came.
            if last.act not in ("small_talk", "acknowledge"):
                return None
            hit = _cued(sentences, cues.who, language, extend=False)
            if hit is not None:
                return "answer_who", hit, last.seq
            # "That does touch on what I described. How would it work here?" asks too.
            hit = _cued(sentences, cues.how, language, extend=False)
            if hit is not None and self.has("problem"):
                return "answer_how", hit, last.seq
            return None
        groups: list[tuple[MoveKind, Phrases]] = [
            ("answer_who", cues.who),
            ("get_to_point", cues.to_the_point),
            ("answer_doubt", cues.doubt),
            ("answer_evidence", cues.evidence),
            ("answer_how", cues.how),
            ("answer_objection", cues.objection),
        ]
        for kind, phrases in groups:
            hit = _cued(sentences, phrases, language, extend=kind == "answer_objection")
            if hit is not None and kind == "answer_how" and not self.has("problem"):
                kind = "answer_question"  # no pain named yet to tie the answer to
            if hit is not None:
                return kind, hit, last.seq
        if last.act is not None and last.act not in cues.asking_acts:
            return None
        if not any(p.endswith(("?", "？")) for p in sentences):
            return None
        return "answer_question", short_quote(last.text, language), last.seq

    def earlier_objection(self, cues: Unanswered, language: Language) -> tuple[str, int] | None:
        """An objection in the customer's turn before last that the rep's next turn went
        past (no acknowledgement, recap, pitch or value), when the last turn objects nothing."""
        if len(self.turns) < 3:
            return None
        before, between = self.turns[-3], self.turns[-2]
        if before.speaker != "customer" or between.coaching is None:
            return None
        s = between.coaching.signals
        if s.acknowledgement or s.summary or s.pitch or s.value_point:
            return None
        sentences = [p.strip() for p in _SENTENCE.split(before.text) if p.strip()]
        hit = _cued(sentences, cues.objection, language, extend=True)
        return (hit, before.seq) if hit is not None else None

    def open_who(self, cues: Unanswered, language: Language) -> tuple[str, int] | None:
        """The customer's question of who calls or why (words, turn) when nothing since has
        answered it: no pitch, value or next step from the rep. When the rep's opener left out
        who calls or why, a fact the customer gave since does not answer it either (trainers in
        blind reviews still wanted "who are you?" answered); after a full opener it does. After
        an opener that gave a name and a company, the customer asking the rep to go on ("I'm
        listening", "你说") settles it too."""
        words = cues.who.lowered(language)
        go_on = cues.go_on.lowered(language)
        opener = self.opener
        full_opener = (
            opener is not None
            and opener.introduced_self
            and (opener.stated_purpose or opener.named_pain)
        )
        named = opener is not None and opener.introduced_self
        found: tuple[str, int] | None = None
        talking = 0  # customer turns of business since the question
        for turn in self.turns:
            if turn.speaker == "customer":
                told = any(f.kind != "public" for f in turn.revealed)
                talking = talking + 1 if told else talking
                if told and (full_opener or (named and talking >= 2)):
                    # Answering the rep's questions turn after turn: the call is under way.
                    found = None
                if named and found is not None and _has_cue(turn.text.lower(), go_on):
                    found = None
                hit = _cued_sentence_quote(turn.text, words, language)
                if hit is not None and turn.act not in cues.skip_acts:
                    found, talking = (hit, turn.seq), 0
            elif turn.coaching is not None:
                s = turn.coaching.signals
                if s.pitch or s.value_point or s.next_step.proposed:
                    found = None
        return found

    def gamed(self) -> bool:
        """An earlier rep turn talked to the program or left the call's business."""
        return any(
            t.coaching is not None and (t.coaching.signals.meta or t.coaching.signals.off_topic)
            for t in self.rep
        )

    def lost(self, cues: Unanswered, language: Language) -> tuple[str, int, bool] | None:
        """The customer's latest "what is this about?" else their latest sign of being lost
        ("No idea what that means", "莫名其妙") or impatient with a detour ("跟业务无关的就别问了"):
        words, turn and whether they are lost (not only impatient), when since then they have
        neither pushed back, told anything of their business nor asked the rep to go on, and
        the rep has not started over (an apology, or who and why said as a pitch or a value)."""
        who = cues.who.lowered(language)
        lost = cues.lost.lowered(language)
        impatient = cues.impatient.lowered(language)
        reset = cues.reset.lowered(language)
        go_on = cues.go_on.lowered(language)
        pushed = tuple(
            w.lower()
            for phrases in (cues.objection, cues.sceptic, cues.doubt)
            for w in getattr(phrases, language)
        )
        asked: tuple[str, int, bool] | None = None
        puzzled: tuple[str, int, bool] | None = None
        for turn in self.turns:
            lowered = turn.text.lower()
            if turn.speaker != "customer":
                s = turn.coaching.signals if turn.coaching is not None else None
                said_why = s is not None and (s.value_point or (s.pitch and not s.hard_close))
                if said_why or _has_cue(lowered, reset):
                    asked = puzzled = None  # the rep started over
                continue
            told = any(f.kind != "public" for f in turn.revealed)
            if _has_cue(lowered, pushed) or told or _has_cue(lowered, go_on):
                # A doubt or push-back said since is the live thread, answered by its own tip;
                # something of their business told, or "I'm listening": they are back.
                asked = puzzled = None
            hit = _cued_sentence_quote(turn.text, who, language)
            if hit is not None:
                asked = (hit, turn.seq, True)
            if _has_cue(lowered, lost):
                puzzled = (short_quote(turn.text, language), turn.seq, True)
            elif _has_cue(lowered, impatient):
                puzzled = (short_quote(turn.text, language), turn.seq, False)
        # The latest of them: a reset said again quotes what the customer said since.
        found = [f for f in (asked, puzzled) if f is not None]
        return max(found, key=lambda f: f[1]) if found else None

    def open_doubt(self, cues: Unanswered, language: Language) -> tuple[str, int] | None:
        """The customer's doubt that the call is worth their time (words, turn), in one of
        their last two turns, when the rep has not answered it since with a pitch, a value, a
        recap or a next step and they have told nothing new."""
        words = cues.doubt.lowered(language)
        found: tuple[str, int] | None = None
        seen: set[str] = set()
        recent = [t.seq for t in self.turns if t.speaker == "customer"][-2:]
        for turn in self.turns:
            if turn.speaker == "customer":
                new = {f.id for f in turn.revealed if f.kind != "public"} - seen
                seen |= new
                if new:
                    found = None  # telling something new: engaged again
                hit = _cued_sentence_quote(turn.text, words, language)
                found = (hit, turn.seq) if hit is not None else found
            elif turn.coaching is not None:
                s = turn.coaching.signals
                if s.pitch or s.value_point or s.summary or s.next_step.proposed:
                    found = None
        return found if found is not None and found[1] in recent else None

    def costs_brushed_off(self) -> int:
        """How many of the rep's implication questions got no fact back ("Possibly.")."""
        return sum(
            1
            for t in self.rep
            if t.coaching is not None
            and t.coaching.spin == "implication"
            and not any(s.turn_seq == t.seq + 1 and s.kind != "situation" for s in self.said)
            and any(c.seq == t.seq + 1 for c in self.turns)
        )

    def resisting(self, cues: Unanswered, language: Language) -> bool:
        """The customer doubts the call or has brushed off two cost questions: no more probes
        on cost, the need-payoff (or an answer) instead."""
        return self.costs_brushed_off() >= 2 or self.open_doubt(cues, language) is not None

    def last_words(self, language: Language, name: str) -> tuple[str, int] | None:
        """The customer's last turn, quoted short, with its turn; without the greeting and
        their own name ("Priya Shah. I get a lot of these calls." says the second part)."""
        last = next((t for t in reversed(self.turns) if t.speaker == "customer"), None)
        if last is None:
            return None
        given = name.split()[0]
        clauses = [c for c in _CLAUSE_END.split(last.text.strip()) if c.strip()]
        kept = list(clauses)
        while kept and (given in kept[0] or _GREETING.match(kept[0].strip())):
            # Leading clauses only, so the quote stays the customer's words as said.
            kept.pop(0)
        glue = "" if language == "zh" else " "
        words = glue.join(c.strip() for c in kept).strip()
        if not any(ch.isalnum() for ch in words):
            return None
        return short_quote(words, language), last.seq

    def invitation(self, cues: Unanswered, language: Language) -> tuple[str, int] | None:
        """The customer's last turn inviting talk on their problem ("如果能解决…可以聊聊",
        "I'd want to hear more"): its words and turn."""
        last = self.turns[-1] if self.turns else None
        if last is None or last.speaker != "customer":
            return None
        sentences = [p.strip() for p in _SENTENCE.split(last.text) if p.strip()]
        hit = _cued(sentences, cues.invite, language, extend=False)
        return (hit, last.seq) if hit is not None else None

    def pushed_back_close(self) -> bool:
        """The rep's last turn pushed to sign (a hard close) and the customer did not take it."""
        last = self.turns[-1] if self.turns else None
        before = self.rep[-1] if self.rep else None
        if last is None or last.speaker != "customer" or before is None:
            return False
        pressed = before.coaching is not None and before.coaching.signals.hard_close
        return pressed and last.act != ACCEPTED_ACT

    def brush_off(self, language: Language) -> tuple[str, int] | None:
        """The customer's last turn when it told nothing and said little ("嗯。", "不好说。",
        "Hard to say."): its words and turn."""
        last = self.turns[-1] if self.turns else None
        if last is None or last.speaker != "customer" or last.act not in BRUSH_OFF_ACTS:
            return None
        if any(f.kind != "public" for f in last.revealed):
            return None
        words = last.text.strip()
        size = len(_HAN.findall(words)) if language == "zh" else len(words.split())
        if size > (12 if language == "zh" else 8) or not any(ch.isalnum() for ch in words):
            return None
        return short_quote(words, language), last.seq

    def pending_push_back(self, language: Language) -> tuple[str, int] | None:
        """The customer's objection or deferral in one of their last two turns (words, turn)
        when they have told nothing new since and the rep has neither acknowledged nor recapped
        it: the thread a side remark left hanging."""
        customers = [t for t in self.turns if t.speaker == "customer"][-2:]
        found = next((t for t in reversed(customers) if t.act in PUSH_BACK_ACTS), None)
        if found is None:
            return None
        for turn in self.turns:
            if turn.seq <= found.seq:
                continue
            if turn.speaker == "customer" and any(f.kind != "public" for f in turn.revealed):
                return None
            s = turn.coaching.signals if turn.coaching is not None else None
            if s is not None and (s.acknowledgement or s.summary):
                return None
        return short_quote(found.text, language), found.seq

    def live_competitor(self, cues: Unanswered, language: Language) -> tuple[str, int] | None:
        """A rival the customer named in their last turn, or in the one before when the last
        told nothing ("I'm listening") and no rep turn since asked anything ("We evaluated
        Gainsight and ChurnZero", "还有两家公司交过方案")."""
        customers = [t for t in self.turns if t.speaker == "customer"][-2:]
        if len(customers) == 2 and any(f.kind != "public" for f in customers[1].revealed):
            customers = customers[1:]
        for turn in reversed(customers):
            sentences = [p.strip() for p in _SENTENCE.split(turn.text) if p.strip()]
            hit = _cued(sentences, cues.competitor, language, extend=False)
            if hit is None:
                continue
            later = [t for t in self.rep if t.seq > turn.seq]
            if any(t.coaching is not None and t.coaching.question for t in later):
                return None
            return hit, turn.seq
        return None

    def latest_cued(self, phrases: Phrases, language: Language) -> tuple[str, int] | None:
        """The customer's latest words carrying one of these cues (words, turn)."""
        for turn in reversed(self.turns):
            if turn.speaker != "customer":
                continue
            sentences = [p.strip() for p in _SENTENCE.split(turn.text) if p.strip()]
            hit = _cued(sentences, phrases, language, extend=False)
            if hit is not None:
                return hit, turn.seq
        return None

    def declined_step(self, cues: Sequence[str], language: Language) -> tuple[str, int] | None:
        """The customer's turn that turned the rep's latest proposed step down and asked for
        something to read instead ("Let's not book anything yet. Email me something.")."""
        proposed = [
            t.seq
            for t in self.rep
            if t.coaching is not None and t.coaching.signals.next_step.proposed
        ]
        if not proposed:
            return None
        reply = next((t for t in self.turns if t.seq == proposed[-1] + 1), None)
        if reply is None or reply.speaker != "customer":
            return None
        lowered = [w.lower() for w in cues]
        if _has_cue(reply.text.lower(), lowered):
            return short_quote(reply.text, language), reply.seq
        return None

    def live(self, said: Said) -> bool:
        """Whether the customer said this in their last turn: the live thread, worth quoting."""
        last = next((t.seq for t in reversed(self.turns) if t.speaker == "customer"), None)
        return said.turn_seq == last

    def agreed_at(self) -> int | None:
        return next((t.seq for t in self.turns if t.act == ACCEPTED_ACT), None)

    def rep_count(self, test: str) -> int:
        return sum(1 for t in self.rep if t.coaching and getattr(t.coaching.signals, test))

    def asked(self, *kinds: SpinType) -> int:
        return sum(1 for t in self.rep if t.coaching and t.coaching.spin in kinds)


def customer_name(persona: Persona) -> str:
    """How a tip names the customer: the given name in English, the full name in Chinese."""
    if persona.language == "en":
        return persona.name.split()[0]
    return persona.name


def industry_label(persona: Persona) -> str:
    """The persona's industry as it reads mid-sentence ("packaging manufacturing", "B2B SaaS")."""
    label = persona.industry.strip()
    first = label.split()[0] if label.split() else label
    if persona.language == "en" and first[:1].isupper() and first[1:].islower():
        return label[:1].lower() + label[1:]
    return label


def _head(area: str, language: Language) -> str:
    """What an area is about, to see whether the rep already asked about it: its last word
    ("overtime" of "your team's overtime"), its last two characters in Chinese ("加班")."""
    return area[-2:] if language == "zh" else area.lower().split()[-1]


# The latest of a persona's background, for a line of rapport: its last clause.
_NEWS = re.compile(r"[,，;；]\s*|\s+and\s+")
_WEEKDAY = re.compile(
    r"周[一二三四五六日]|星期[一二三四五六日]|monday|tuesday|wednesday|thursday|friday", re.I
)
# A day and its time as said ("Monday at 10am", "下周一上午十点").
_DAY_TIME = re.compile(
    r"(?:(?:next|this)\s+)?(?:monday|tuesday|wednesday|thursday|friday)"
    r"(?:\s+(?:at\s+)?\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?|\s+(?:morning|afternoon))?"
    r"|(?:下|这|本)?(?:周|星期)[一二三四五六日天](?:上午|下午|晚上)?(?:[0-9一二三四五六七八九十]+点半?)?",
    re.I,
)


def day_and_time(text: str) -> str | None:
    """The first day (and its time) named in the text, as said."""
    found = _DAY_TIME.search(text)
    return found.group(0).strip() if found is not None else None


def _bits(text: str, language: Language) -> set[str]:
    """Words (en, without a plural s) or character pairs (zh) to compare two phrases by."""
    if language == "zh":
        han = "".join(_HAN.findall(text))
        return {han[i : i + 2] for i in range(len(han) - 1)}
    return {w.removesuffix("s") for w in _WORD.findall(text.lower()) if w not in _STOP}


@functools.cache
def closest(options: tuple[str, ...], to: str, language: Language) -> str:
    """The option sharing most with `to` (the persona's offering); the first on a tie.
    Cached: a persona's offering and its industry's phrases are the same on every turn."""
    target = _bits(to, language)
    return max(options, key=lambda o: len(_bits(o, language) & target))


def subject_of(said: Said, persona: Persona) -> str | None:
    """The customer's own word for a fact: the longest of its keywords they said in it."""
    keywords = next((f.keywords for f in persona.all_facts() if f.id == said.fact_id), [])
    quote = said.quote.lower()
    # A negation ("not renewing") names no thing to talk about.
    found = [k for k in keywords if k.lower() in quote and k.split()[0] not in ("not", "no")]
    return max(found, key=len) if found else None


# What a model question can build on: the kinds of fact it takes up in the customer's words.
FITS: dict[QuestionKind, frozenset[FactKind]] = {
    "situation": frozenset({"situation"}),
    "problem_on_fact": frozenset({"situation"}),
    "implication": frozenset({"problem"}),
    "need_payoff": frozenset({"problem", "implication"}),
    "summary": frozenset({"problem", "implication", "need_payoff"}),
    "payoff_playback": frozenset({"problem", "implication"}),
}


# Question lists that say the customer's words back, and the list to use without them.
WITHOUT_WORDS: dict[QuestionKind, QuestionKind] = {"problem_on_fact": "problem_on_setup"}


# A figure the customer put on a problem: digits (18万, 8%, $4M, 3 hours) or Chinese numerals
# with a unit (三四次, 两天); "一个月" is no figure.
_FIGURE = re.compile(
    r"\$?\d[\d,.]*\s*(?:%|万|千|亿|k\b|m\b|million|billion)?"
    r"|[一二三四五六七八九十两几百千]{2,}多?(?:个|次|天|台|家|小时|分钟|万|亿|点|成|倍)"
    r"|[两三四五六七八九十](?:次|天|台|家|小时|万|倍|成)"
)


def figures_in(text: str) -> list[str]:
    """The figures in a text, each as its number ("18", "三四", "8%"), without the unit."""
    found = []
    for m in _FIGURE.finditer(text):
        raw = m.group(0).strip()
        if raw[:1].isdigit() or raw.startswith("$"):
            core = re.sub(r"[^\d.%]", "", raw).rstrip(".")
        else:
            core = raw.rstrip("个次天台家小时分钟万亿点成倍多")
        if core and core != "%":
            found.append(core)
    return found


def dropped_figures(summary: str, conv: Conversation, main: Said) -> list[Said]:
    """The customer's statements of the main problem and its costs whose figures the rep's
    recap leaves out ("偶尔突发故障" for "一个月总有三四次")."""
    said_back = set(figures_in(summary))
    plain = re.sub(r"[\s,，]", "", summary)
    return [
        s
        for s in conv.said
        if s.kind in ("problem", "implication")
        and s.problem_id == main.problem_id
        and figures_in(s.quote)
        and not any(f in said_back or f in plain for f in figures_in(s.quote))
    ]


def figure_clause(said: Said, language: Language) -> str:
    """The clause of the customer's words that carries its weightiest figure: money or a
    share (18万, $4M, 8%) before a count (两天, 三四次)."""
    clauses = [c.strip().rstrip(_TRAILING) for c in _CLAUSE_END.split(said.quote) if c.strip()]

    def weight(clause: str) -> int:
        found = figures_in(clause)
        if not found:
            return 0
        money = re.search(r"[%$万亿]|\d\s*(?:k|m|million|billion)\b", clause, re.I)
        return 3 if money else 2 if any(f[:1].isdigit() for f in found) else 1

    hit = _LEAD_IN.sub("", max(clauses, key=weight, default=said.quote))
    if language == "en" and hit.split() and not re.match(r"I\b", hit):
        first = hit.split()[0]
        if first[:1].isupper() and first[1:].islower():
            hit = hit[:1].lower() + hit[1:]
    return hit.rstrip("…").replace('"', "'")


def said_back(said: Said, language: Language) -> str | None:
    """A cost or a value as a question can say it back: its clauses when they are short, else
    the clause with its figure ("一年就少赚一千多万" for "按我们的营业额算,损耗每高一个点,一年
    就少赚一千多万": a long sentence read back before a question sounds robotic), else the
    clauses that make its point."""
    words = fragment(said.quote, language, limit=PROBE_LIMITS[language])
    if (
        words is None
        or len(words if language == "zh" else words.split()) <= (FRAGMENT_LIMITS[language])
    ):
        return words
    if figures_in(said.quote):
        hit = fragment(figure_clause(said, language), language, limit=PROBE_LIMITS[language])
        if hit is not None:
            return hit
    return words


def asked_again(
    rep_text: str, reading: Coaching, conv: Conversation, persona: Persona, rules: MoveRules
) -> Said | None:
    """The fact of the customer's last turn that this closed question asks for again: a
    figure asked for right after they gave it ("大概有多少台?" after "40多台加工中心"), or
    whether a problem happens ("有没有停过线?") right after they named it; a closed question
    that goes further ("是不是主要集中在老设备上?") is not asked again."""
    last = conv.turns[-1] if conv.turns else None
    if not rep_text or last is None or last.speaker != "customer":
        return None
    if reading.question != "closed" or reading.spin not in ("situation", "problem"):
        return None
    lowered = rep_text.lower()
    if reading.spin == "situation" and not reading.signals.asks_value:
        return None
    whether = rules.asks_again_cues.lowered(persona.language)
    if _has_cue(lowered, rules.asks_about_tools.lowered(persona.language)):
        return None  # "有没有用过预测性维护?" asks about a tool, not whether the problem happens
    if reading.spin == "problem" and not _has_cue(lowered, whether):
        return None
    for said in conv.said:
        if said.turn_seq != last.seq or said.kind != reading.spin:
            continue
        if said.kind == "situation" and not figures_in(said.quote):
            continue
        keywords = next((f.keywords for f in persona.all_facts() if f.id == said.fact_id), [])
        if any(len(k) >= 2 and k.lower() in lowered for k in keywords):
            return said
    return None


class Renderer:
    """Fills tips and model questions for one persona, in the session's language."""

    def __init__(self, persona: Persona, rules: MoveRules, conv: Conversation) -> None:
        self.persona = persona
        self.language: Language = persona.language
        self.rules = rules
        self.conv = conv
        self.terms: IndustryTerms = rules.industry(persona.industry)

    def fitting(self, options: Phrases) -> str:
        """The industry phrase closest to what the rep sells (the persona's offering)."""
        phrases = tuple(getattr(options, self.language))
        return closest(phrases, self.persona.offering, self.language)

    def area(self) -> str:
        """An area the problem may hurt, rotating, skipping ones the customer already named."""
        areas = getattr(self.terms.areas, self.language)
        start = self.conv.asked("implication", "need_payoff")
        said = " ".join(s.quote.lower() for s in self.conv.said)
        asked = " ".join(t.text.lower() for t in self.conv.rep)
        for i in range(len(areas)):
            candidate: str = areas[(start + i) % len(areas)]
            if candidate.lower() not in said and _head(candidate, self.language) not in asked:
                return candidate
        return str(areas[start % len(areas)])

    def news(self) -> str:
        """The persona's news, for a line of rapport: the clause of their background dated by
        a news cue ("去年刚通过IATF 16949复审", "raised a Series C last spring"), else its last."""
        clauses = [
            c.strip() for c in _NEWS.split(self.persona.background.strip().rstrip(_TRAILING))
        ]
        clauses = [c for c in clauses if c]
        if not clauses:
            return "对方最近的项目" if self.language == "zh" else "their latest project"
        cues = self.rules.news_cues.lowered(self.language)
        dated = [c for c in clauses if _has_cue(c.lower(), cues)]
        news = (dated or clauses)[-1]
        if self.language == "en" and re.match(r"(?:The|A|An)\b", news):
            news = news[:1].lower() + news[1:]  # mid-sentence: "the district gave..."
        return news

    def news_named(self, rep_text: str) -> str | None:
        """The clause of the persona's background the rep's words name (their news, used as
        a hook for rapport), when one shares two words (two character pairs) with them."""
        said = _bits(rep_text, self.language)
        # Two character pairs ("今年", "再开") or three words ("Series C last spring"; "credit
        # union" alone is no news).
        least = 2 if self.language == "zh" else 3
        for clause in _NEWS.split(self.persona.background.strip().rstrip(_TRAILING)):
            if clause.strip() and len(_bits(clause, self.language) & said) >= least:
                return clause.strip()
        return None

    def slot(self) -> str:
        """The time a model next step proposes: one on a day the customer named, else one
        picked by the session's turn (so calls do not all say the same)."""
        slots: list[str] = getattr(self.rules.slots, self.language)
        heard = " ".join(t.text.lower() for t in self.conv.turns if t.speaker == "customer")
        named = {d.lower().replace("星期", "周") for d in _WEEKDAY.findall(heard)}
        for slot in slots:
            day = _WEEKDAY.search(slot)
            if day is not None and day.group(0).lower().replace("星期", "周") in named:
                return slot
        return slots[(len(self.conv.turns) + len(self.persona.name)) % len(slots)]

    def question(self, kind: QuestionKind, about: Said | None = None) -> str:
        """A model question of this kind; its `_on_fact` form, in the customer's own words,
        when it is about something they said that fits the question (a problem for an
        implication question, the setup for a problem question...)."""
        if about is not None and kind in FITS and about.kind not in FITS[kind]:
            about = None
        subject = subject_of(about, self.persona) if about is not None else None
        words = None
        if about is not None:
            # A recap plays back the whole point; a question takes up a clause of it, a cost
            # or a value the clause that says it ("上次LIS升级" alone says nothing).
            if kind == "summary":
                words = fragment(about.quote, self.language, limit=WHOLE_LIMITS[self.language])
            elif about.kind in WHOLE_KINDS:
                words = said_back(about, self.language)
            else:
                words = fragment(about.quote, self.language)

        def fillable(k: QuestionKind) -> bool:
            """The list's questions get the customer's words and their word for it, if used."""
            text = "".join(self.rules.questions[k].en)
            return (words is not None or "{quote}" not in text) and (
                subject is not None or "{subject}" not in text
            )

        on_fact = next((q for q in QUESTION_KINDS if q == f"{kind}_on_fact"), None)
        if about is not None and on_fact is not None and fillable(on_fact):
            kind = on_fact
        if kind in WITHOUT_WORDS and not fillable(kind):
            # Too long to say back, no word of theirs for it, or nothing said: the form that
            # points at it instead.
            kind = WITHOUT_WORDS[kind]
        options: list[str] = list(getattr(self.rules.questions[kind], self.language))
        if kind == "need_payoff_on_fact" and words is not None and figures_in(words):
            # "$4M in ARR" fixed means money: what it would be worth.
            options = list(getattr(self.rules.questions["need_payoff_on_figure"], self.language))
        start = len(self.conv.rep) % len(options)
        fills = {
            "area": self.area(),
            "process": self.fitting(self.terms.processes),
            "quote": words or "",
            "subject": subject or "",
            "topic": "",
            "slot": self.slot(),
        }
        rendered = [q.format(**fills) for q in options[start:] + options[:start]]
        # The model question the previous tip gave is not given again: the next one in the list.
        given = self.conv.previous_tip
        return next((q for q in rendered if q not in given), rendered[0])

    def tip(
        self,
        kind: MoveKind,
        *,
        question: QuestionKind | None = None,
        quoted: Said | None = None,
        about: Said | None = None,
        model: str | None = None,
        said: tuple[str, int] | None = None,
        alt: bool = False,
        **values: object,
    ) -> Tip:
        """`question`: the kind of model question (about `about`), or `model` its text;
        `said`: customer words that are no fact (and the turn), quoted by the template;
        `alt`: the move's `quoted` wording, filled from `values`."""
        move = self.rules.tips[kind]
        template = move[self.language]
        if alt and move.quoted is not None:
            template = move.quoted[self.language]
        cites: tuple[int, ...] = ()
        if said is not None:
            values.update(quote=said[0], seq=said[1])
            cites = (said[1],)
        if quoted is not None and (move.quoted is not None or "{quote}" in template):
            template = move.quoted[self.language] if move.quoted is not None else template
            values.update(quote=quoted.quote, seq=quoted.turn_seq)
            cites = (quoted.turn_seq,)
        values.setdefault("seq", "")
        if about is None and question in FITS:
            about = quoted
        if model is None:
            model = self.question(question, about) if question is not None else ""
        values["question"] = model
        values.setdefault("pain", self.fitting(self.terms.pains))
        values.update(
            name=customer_name(self.persona),
            industry=industry_label(self.persona),
            customers=self.terms.customers.pick(self.language),
            news=self.news(),
        )
        return Tip(kind, template.format_map(values), frozenset(move.says), cites)


def focus(conv: Conversation, rules: MoveRules) -> tuple[Said | None, QuestionKind]:
    """The thread to build on next and the kind of question that builds on it."""
    open_ = [s for s in (conv.open_implication(), conv.open_problem()) if s is not None]
    if open_:
        thread = max(open_, key=lambda s: s.turn_seq)
        return thread, ("need_payoff" if thread.kind == "implication" else "implication")
    if conv.has("need_payoff"):
        return conv.latest("need_payoff"), "summary"
    if conv.has("problem"):
        return None, "problem"
    situation = conv.latest("situation")
    if situation is not None:
        return situation, "problem_on_fact"
    return None, "situation"


def _reopen_question(spin: SpinType, conv: Conversation) -> tuple[QuestionKind, Said | None]:
    if spin == "implication":
        return "implication", conv.open_problem() or conv.latest("problem")
    if spin == "need_payoff":
        return "need_payoff", conv.open_implication() or conv.latest("implication", "problem")
    if spin == "problem":
        return conv.problem_question()
    return "situation", conv.latest("situation")


def open_version(text: str, spin: SpinType, rules: MoveRules, language: Language) -> str | None:
    """The rep's closed question asked openly about the same subject, when a form fits."""
    question = text.strip().rstrip("?？!！。. ")
    # The last question of the turn is the one the customer will answer.
    question = re.split(r"[?？]", question)[-1].strip(" ,，")
    for form in rules.reopen_forms:
        if form.language != language:
            continue
        found = form.compiled().search(question)
        if found is None:
            continue
        subject = found.group("subject").strip(" ,，")
        cleaned = strip_lead_ins(subject, rules, language)
        if cleaned != subject or _ASKING.search(subject) or subject[:1] in ("过", "了", "的"):
            return None  # "关于过预测性维护": no clean subject to say back
        template = form.open.get(spin) or form.open["any"]
        return template.format(subject=subject)
    return None


# Questions joined in one sentence: "How do you X, and what happens when Y?"
_JOINED = re.compile(r",\s*(?:(?:and|or)\s+)?(?=(?:what|how|who|why|where|when|which)\b)", re.I)
# A question to keep has some words: "Situation?" alone is no question to ask a buyer.
_MIN_SIZE: dict[Language, int] = {"zh": 5, "en": 3}


def _questions_in(text: str) -> list[str]:
    parts: list[str] = []
    for sentence in re.split(r"(?<=[?？])", text):
        joined = [p.strip(" ,，") for p in _JOINED.split(sentence)]
        parts += [p + "?" for p in joined[:-1]] + joined[-1:]
    return [p for p in parts if any(ch.isalnum() for ch in p)]


def keep_one(text: str, want: str, playbook: Playbook, language: Language) -> str | None:
    """Which of the turn's questions to keep: the one of the kind the conversation needs
    next, else the first open one; None when the turn splits into fewer than two."""

    def size(part: str) -> int:
        return len(_HAN.findall(part)) if language == "zh" else len(part.split())

    readings = [(p, read_utterance(p, playbook.coach, language)) for p in _questions_in(text)]
    asked = [
        (p, u) for p, u in readings if u.question is not None and size(p) >= _MIN_SIZE[language]
    ]
    if len(asked) < 2:
        return None
    stages = ("situation", "problem", "implication", "need_payoff")
    goal = stages.index(want) if want in stages else 0

    def fit(u: Utterance) -> tuple[bool, int, int]:
        # Open first, then the SPIN stage nearest the one needed (the later on a tie).
        stage = stages.index(u.spin) if u.spin in stages else -9
        return (u.question == "open", -abs(stage - goal), stage)

    best = max(asked, key=lambda a: fit(a[1]))[0]
    return best[:1].upper() + best[1:] if language == "en" else best


def _opener_tip(reading: Coaching, r: Renderer, playbook: Playbook) -> Tip:
    assert reading.opener is not None
    checks = reading.opener.model_dump()
    coach = playbook.coach
    missed = [
        entry.removeprefix(OPENER_PREFIX)
        for entry in coach.tips.priority
        if entry.startswith(OPENER_PREFIX)
        and checks.get(entry.removeprefix(OPENER_PREFIX)) is False
    ]
    if not missed:
        return r.tip("opener_complete", question="situation")
    tip = r.tip(
        f"opener_{missed[0]}",  # type: ignore[arg-type]
        estimated_seconds=f"{reading.opener.estimated_seconds:g}",
        limit_seconds=f"{coach.opener.limit_seconds:g}",
    )
    # The pain and the ask still missing (and a feature list) in the same tip: one fix alone
    # leaves the rest.
    also = [m for m in missed[1:] if m in ("named_pain", "asked_for_time")]
    if reading.signals.pitch:
        also.insert(0, "pitch")
    if not also or missed[0] == "within_30_seconds":
        return tip  # "keep only who, why, one pain and the ask" says it all
    fixes, lang = r.rules.opener_also, r.language
    pain = r.fitting(r.terms.pains)
    if pain in tip.text:
        also = [m for m in also if m != "named_pain"]  # its example names the pain already
    if not also:
        return tip
    parts = [fixes[m][lang].format(pain=pain) for m in also]  # type: ignore[index]
    space, glue, end = ("", ";", "。") if lang == "zh" else (" ", "; ", ".")
    text = f"{tip.text}{space}{fixes['lead'][lang]}{glue.join(parts)}{end}"
    return Tip(tip.kind, text, tip.says, tip.cites)


def _next_step_tip(
    reading: Coaching,
    conv: Conversation,
    r: Renderer,
    interest: bool,
    rep_text: str,
    playbook: Playbook,
) -> Tip:
    step = reading.signals.next_step
    thread, follow = focus(conv, r.rules)
    # A vague step while a named problem is not yet weighed is better spent on its cost.
    unweighed = not step.has_concrete_time and thread is not None and not conv.has("implication")
    if not interest or unweighed:
        # Earning it means finding a problem: no situation question here.
        ask: QuestionKind = "problem" if follow == "situation" else follow
        return r.tip("earn_next_step", question=ask, quoted=thread)
    if not step.has_concrete_time:
        return r.tip("concrete_time", question="next_step", about=conv.main_problem())
    pain = conv.main_problem()
    time = meeting_time(rep_text, step.time_text or "", playbook, r.language)
    joined = r.rules.joined_cues.lowered(r.language)
    if pain is not None and _has_cue(rep_text.lower(), joined):
        # Who joins is settled: shape the meeting around the value (else the problem) instead.
        words = conv.latest("need_payoff") or pain
        return r.tip("next_step_set_joined", time=time, quoted=words)
    return r.tip("next_step_set", time=time, quoted=pain)


def setup_words(conv: Conversation, persona: Persona) -> str:
    """The customer's own words for the setup they described (two at most, latest first):
    "加工中心、排产", "accounts and ERP"; empty when they used none."""
    found: list[str] = []
    for said in reversed(conv.said):
        if said.kind == "situation":
            word = subject_of(said, persona)
            if word and word not in found:
                found.append(word)
    glue = "、" if persona.language == "zh" else " and "
    return glue.join(found[:2])


_SETUP_FILLER = re.compile(r"^(?:现在|目前|平时|一般|主要)+|(?:现在|目前|一般|主要|大概|平时)+$")


# A verb of asking or telling left in a subject: the rep's words, not a topic.
_ASKING = re.compile(r"问|聊|讲讲|说说|了解|想听|\b(?:ask|tell|know|wondering)\b", re.I)


def strip_lead_ins(subject: str, rules: MoveRules, language: Language) -> str:
    """The subject without the words that lead into the question ("先问问现在车间设备的维护保养"
    -> "车间设备的维护保养"), however many are stacked."""
    lead_ins = sorted(rules.setup_lead_ins.lowered(language), key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for lead in lead_ins:
            whole = lead if language == "zh" else lead + " "  # "so ", never "software"
            if subject.lower().startswith(whole) and len(subject) > len(whole):
                subject = subject[len(lead) :].lstrip(" ,，")
                changed = True
    return subject


def setup_subject(rep_text: str, r: Renderer) -> str | None:
    """What the rep's background question asks about, in the rep's words ("maintenance",
    "车间设备的维护保养"), to build the next problem question on; None when no form fits."""
    question = (
        re.split(r"[?？]", rep_text.strip())[0] if "?" in rep_text or "？" in rep_text else rep_text
    )
    question = question.strip().rstrip("。. ")
    for form in r.rules.setup_forms:
        if form.language != r.language:
            continue
        found = form.compiled().search(question)
        if found is None:
            continue
        subject = strip_lead_ins(found.group("subject").strip(" ,，"), r.rules, r.language)
        subject = _SETUP_FILLER.sub("", subject).lstrip("的")
        if _ASKING.search(subject):
            return None  # still the rep's own words ("想问问…"), no topic to say back
        size = len(subject) if r.language == "zh" else len(subject.split())
        # Two characters ("数据", "接口") say less than the industry's own words for it.
        if (3 if r.language == "zh" else 1) <= size <= (14 if r.language == "zh" else 6):
            return subject
    return None


def ties_to_pain(rep_text: str, conv: Conversation, persona: Persona, rules: MoveRules) -> bool:
    """Whether a claim links to a pain, cost or value the customer stated: one of its keywords,
    words of theirs (two words, three character pairs), or a pointer back ("that's exactly
    what…", "针对您说的"). A price alone links to nothing."""
    lang = persona.language
    if _has_cue(rep_text.lower(), rules.tie_cues.lowered(lang)):
        return True
    mine = _bits(rep_text, lang)
    least = 3 if lang == "zh" else 2
    return any(
        said.kind != "situation"
        and (on_subject(rep_text, said, persona) or len(_bits(said.quote, lang) & mine) >= least)
        for said in conv.said
    )


# Characters of Chinese function words: a pair with one of them ("有没", "你们") names no topic.
_FUNCTION_HAN = frozenset("你您我他她们的是有没了吗呢吧这那个么什怎样会能要就都也还很在")
# English words too common to name a topic, beyond _STOP.
_COMMON = frozenset(
    "does what when that this have they them there their about would could should your "
    "yours with been were will just some something much many usually really think recent "
    "guys team right".split()
)


def on_topic(rep_text: str, said: Said, persona: Persona) -> bool:
    """Whether the rep's words take up what the customer said: one of its keywords, or a
    word of it (a shared beginning: "renewal" for "not renewing", "go down" for "downtime";
    in Chinese a shared character pair that is no function word)."""
    if on_subject(rep_text, said, persona):
        return True
    if persona.language == "zh":
        mine = {p for p in _bits(rep_text, "zh") if not set(p) & _FUNCTION_HAN}
        return bool(mine & _bits(said.quote, "zh"))
    words = [w for w in _WORD.findall(rep_text.lower()) if len(w) >= 4 and w not in _COMMON]
    theirs = [w for w in _WORD.findall(said.quote.lower()) if len(w) >= 4 and w not in _COMMON]
    return any(t.startswith(w[:5]) or w.startswith(t[:5]) for w in words for t in theirs)


def on_subject(rep_text: str, said: Said, persona: Persona) -> bool:
    """Whether the rep's words name what the customer said (one of the fact's keywords)."""
    keywords = next((f.keywords for f in persona.all_facts() if f.id == said.fact_id), [])
    lowered = rep_text.lower()
    return any(len(k) >= 2 and k.lower() in lowered for k in keywords)


def _spin_tip(spin: SpinType, conv: Conversation, r: Renderer, rep_text: str) -> Tip | None:
    if spin == "situation":
        if conv.open_problem() is not None:
            return r.tip("explore_open_problem", question="implication", quoted=conv.open_problem())
        need = conv.latest("need_payoff")
        if need is not None:
            # "Who else is involved?" once the value is stated qualifies the deal: no way back
            # to problems, the recap and the next step are next.
            return r.tip(
                "late_background", question="next_step", quoted=need, about=conv.main_problem()
            )
        if conv.has("implication"):
            implication = conv.latest("implication")
            return r.tip("develop_implication", question="need_payoff", quoted=implication)
        situation = conv.latest("situation")
        facts = conv.count("situation")
        if facts >= r.rules.situation_enough and not conv.has("problem"):
            return r.tip(
                "enough_background", question="problem_on_fact", quoted=situation, count=facts
            )
        if situation is not None and conv.live(situation):
            return r.tip("to_problem", question="problem_on_fact", quoted=situation)
        if situation is not None:
            # An older fact is no live thread to quote; the model question may still name it.
            return r.tip("to_problem", question="problem_on_fact", about=situation)
        # Nothing said yet to name: the problem question takes up what the rep asked about,
        # else it rests on the answer to come.
        subject = setup_subject(rep_text, r)
        if subject is not None:
            model = r.rules.questions["problem_on_fact"].pick(r.language, len(conv.rep))
            return r.tip("to_problem", model=model.format(subject=subject))
        return r.tip("to_problem", question="problem_on_setup")
    if spin == "problem":
        problem = conv.open_problem()
        asked = next((t for t in conv.rep if problem and t.seq == problem.turn_seq - 1), None)
        before = asked.coaching if asked is not None else None
        as_fact = before is not None and before.spin == "situation"
        pains = r.rules.pain_words.lowered(r.language)
        text = next(
            (f.text for f in r.persona.all_facts() if problem and f.id == problem.fact_id), ""
        )
        as_fact = as_fact and not _has_cue(text.lower(), pains)
        if problem is not None and as_fact and on_subject(rep_text, problem, r.persona):
            # "Which parts of the close are the most painful?" on the close she described as a
            # plain fact ("twelve business days", no word of pain): the right question; its
            # answer comes before any cost question.
            model = r.question("implication")  # on the difficulty they are about to name
            return r.tip("after_problem_question", model=model, quoted=problem)
        if problem is not None:
            return r.tip("explore_open_problem", question="implication", quoted=problem)
        situation = conv.latest("situation")
        live = situation if situation is not None and conv.live(situation) else None
        last = conv.turns[-1] if conv.turns else None
        if live is None and last is not None and last.speaker == "customer":
            if last.act == RECALL_ACT:
                # "我刚才说过了…": the rep moved on; say that was right, and why.
                said = (short_quote(last.text, r.language), last.seq)
                return r.tip("after_problem_question_recall", question="implication", said=said)
            before = conv.rep[-1].coaching if conv.rep else None
            # The first move from the setup to problems; not after a denied problem.
            first_move = not conv.has("problem") and last.act != "deflect"
            if before is not None and before.spin == "problem":
                first_move = False
            words = setup_words(conv, r.persona) if first_move else ""
            if words:
                return r.tip("after_problem_question_setup", question="implication", subject=words)
        return r.tip("after_problem_question", question="implication", quoted=live)
    if spin == "implication":
        implication, problem = conv.open_implication(), conv.open_problem()
        if implication is not None and (problem is None or implication.turn_seq > problem.turn_seq):
            last = conv.turns[-1] if conv.turns else None
            before = conv.rep[-1].coaching if conv.rep else None
            if (
                last is not None
                and implication.turn_seq == last.seq
                and before is not None
                and before.spin == "implication"
            ):
                # The cost was just named and this asks what it leads to next: a good follow-up.
                return r.tip("deepen_implication", question="need_payoff", quoted=implication)
            return r.tip("develop_implication", question="need_payoff", quoted=implication)
        quoted = problem or conv.latest("problem")
        if quoted is None:
            return None
        return r.tip("after_implication_question", question="need_payoff", quoted=quoted)
    need = conv.latest("need_payoff")
    if need is not None:
        return r.tip(
            "summarise_then_next_step",
            question="next_step",
            quoted=need,
            about=conv.main_problem(),
        )
    implication = conv.open_implication()
    problem = conv.main_problem()
    return r.tip("after_payoff_question", quoted=implication, about=problem)


def _day(text: str) -> set[str]:
    return {d.lower().replace("星期", "周") for d in _WEEKDAY.findall(text)}


def wrong_day(goodbye: str, agreed: str) -> str | None:
    """The day the rep's goodbye names when the customer agreed to another ("Talk Tuesday"
    after "Good, Monday at 10am"); None when either names no day or they match."""
    said, yes = _day(goodbye), _day(agreed)
    if not said or not yes or said & yes:
        return None
    found = _WEEKDAY.search(goodbye)
    return found.group(0) if found is not None else None


def invented_items(
    rep_text: str, conv: Conversation, persona: Persona, rules: MoveRules
) -> list[str]:
    """The items of a ranked list the rep proposed ("必须满足的是…;期望满足的是…") that share
    nothing with the customer's problems, costs and values (their keywords) or their words
    (three character pairs, two words)."""
    lang = persona.language
    markers = sorted(getattr(rules.priority_items, lang), key=len, reverse=True)
    pattern = "|".join(re.escape(m) for m in markers)
    found = re.finditer(
        rf"(?:{pattern})(?:的是|是|\s*[:：—-])\s*(?P<item>[^;；。?？!！]+)", rep_text, re.I
    )
    items = [m.group("item").strip(" ,，、") for m in found]
    if not items:
        # The item before its rank: "故障预警和跟MES对接是必须的", "a mobile dashboard as optional".
        for piece in re.split(r"[,，;；。?？!！]", rep_text):
            hit = re.search(
                rf"^(?P<item>.+?)\s*(?:都是|是|算|为|as|are|is)?\s*(?:{pattern})", piece, re.I
            )
            if hit is None:
                continue
            item = re.split(r"[:：]", hit.group("item"))[-1]
            for lead in rules.recap_lead_ins.lowered(lang):
                if item.lower().strip().startswith(lead):
                    item = item.strip()[len(lead) :]
            item = re.sub(r"^\s*(?:and|or|那|那么)\s*", "", item, flags=re.I)
            parts = [re.sub(r"^(?:跟|与)", "", p) for p in re.split(r"和|以及|\s+and\s+", item)]
            # "哪些是必须的?" / "what would be a must-have" asks for the ranking: no item.
            items += [p.strip(" 、") for p in parts if p.strip() and not _ASKS_WHICH.search(p)]
    heard = " ".join(t.text for t in conv.turns if t.speaker == "customer")
    theirs = {s.fact_id for s in conv.said if s.kind != "situation"}
    keywords = [
        k.lower() for f in persona.all_facts() if f.id in theirs for k in f.keywords if len(k) >= 2
    ]
    least = 3 if lang == "zh" else 2
    own = _bits(heard, lang)
    invented = [
        item
        for item in items
        if item and not _has_cue(item.lower(), keywords) and len(_bits(item, lang) & own) < least
    ]
    # The lower ranks first: what the customer never ranked at all is the clearest addition.
    return invented[::-1]


# A question word in an item: the ranking asked for, not an item proposed.
_ASKS_WHICH = re.compile(r"哪|什么|\b(?:what|which|how)\b", re.I)


def ranked_by_customer(conv: Conversation, rules: MoveRules, language: Language) -> Said | None:
    """The customer's answer to an earlier ranking question (must-have against nice-to-have):
    their words and turn, when they gave one."""
    ranking = next((t for t in reversed(conv.turns) if t.act == RANK_ACT), None)
    if ranking is not None:
        return Said("need_payoff", ranking.seq, short_quote(ranking.text, language), "")
    cues = rules.priority_cues.lowered(language)
    for turn in reversed(conv.rep):
        if not _has_cue(turn.text.lower(), cues):
            continue
        reply = next((t for t in conv.turns if t.seq == turn.seq + 1), None)
        if reply is not None and reply.speaker == "customer" and _has_cue(reply.text.lower(), cues):
            return Said("need_payoff", reply.seq, short_quote(reply.text, language), "")
    return None


def is_denial(quote: str, cues: Unanswered, language: Language) -> bool:
    """Whether an objection denies a problem ("Not a problem we have")."""
    return _has_cue(quote.lower(), cues.denial.lowered(language))


def _back_to_pain(denied: tuple[str, int], pain: Said, r: Renderer, follow: QuestionKind) -> Tip:
    """A denied problem, and the pain they named earlier to go back to."""
    # The tip says their words; the model question asks about them plainly.
    ask: QuestionKind = "implication" if follow in ("situation", "problem_on_fact") else follow
    thread = fragment(pain.quote, r.language, limit=PROBE_LIMITS[r.language]) or pain.quote
    tip = r.tip(
        "back_to_named_pain",
        question=ask,
        said=denied,
        thread=thread,
        thread_seq=pain.turn_seq,
    )
    return Tip(tip.kind, tip.text, tip.says, (denied[1], pain.turn_seq))


def is_process(quote: str, cues: Unanswered, language: Language) -> bool:
    """Whether an objection names the buyer's process (a tender, a board vote)."""
    return _has_cue(quote.lower(), cues.process.lowered(language))


def probe_for(quote: str, r: Renderer) -> str:
    """The model question on an objection, in its words: a rival named is asked about, a doubt
    stated ("not convinced") asks what would make it worth a look, a concern (a budget, a risk)
    asks about it; else what is behind it."""
    cues, lang = r.rules.unanswered, r.language
    lowered = quote.lower()
    probes = cues.probe
    if _has_cue(lowered, cues.competitor.lowered(lang)):
        probes = cues.probe_competitor
    elif _has_cue(lowered, cues.sceptic.lowered(lang)):
        probes = cues.probe_sceptic
    elif _has_cue(lowered, cues.concern.lowered(lang)):
        probes = cues.probe_concern
    spoken = fragment(quote, lang, limit=PROBE_LIMITS[lang]) or quote
    options: list[str] = list(getattr(probes, lang))
    start = len(r.conv.rep) % len(options)
    asked = [q.format(quote=spoken) for q in options[start:] + options[:start]]
    # Not the probe the previous tip gave.
    return next((q for q in asked if q not in r.conv.previous_tip), asked[0])


# Where one of a turn's proposals ends: "I send an outline by Friday, and we walk the plant".
_PROPOSALS = re.compile(r",?\s+and\s+|[;；]|[,，]\s*(?:然后|再|并且|同时)")
_SENDS: dict[Language, tuple[str, ...]] = {
    "en": ("send", "email", "share", "get you"),
    "zh": ("发", "寄", "传"),
}


def meeting_time(rep_text: str, time: str, playbook: Playbook, language: Language) -> str:
    """The time of the meeting a turn proposes, not the time something is sent by ("I send an
    outline by Friday, and we walk the plant on Wednesday at 10"): the time of the first
    proposal that sends nothing, else the time read."""
    if not rep_text or not time:
        return time
    concrete = playbook.coach.signals.next_step.concrete_time
    parts = [p for p in _PROPOSALS.split(rep_text) if p.strip()]
    holder = next((p for p in parts if time in p), None)
    if holder is None or not _has_cue(holder.lower(), _SENDS[language]):
        return time
    for part in parts:
        if part is holder or _has_cue(part.lower(), _SENDS[language]):
            continue
        found = concrete.phrase(part, language)
        if found:
            return found
    return time


def _dropped_figures_tip(dropped: list[Said], r: Renderer) -> Tip:
    """The recap left out the customer's figures: name them (their words, their turns) and
    model the recap that says them back."""
    lang = r.language
    clauses = [(figure_clause(d, lang), d.turn_seq) for d in dropped[-2:]]
    glue = "、" if lang == "zh" else ", "
    figures = glue.join(
        f"“{c}”(#{seq})" if lang == "zh" else f'"{c}" (#{seq})' for c, seq in clauses
    )
    if lang == "zh":
        said_back = ",还有".join(f"‘{c}’" for c, _ in clauses)
        model = f"我确认一下:您说{said_back},是这样吧?"
    else:
        said_back = ", and ".join(f"'{c}'" for c, _ in clauses)
        model = f"Let me check I have it: you said {said_back} - is that right?"
    tip = r.tip("summary_dropped_figures", model=model, figures=figures)
    return Tip(tip.kind, tip.text, tip.says, tuple(seq for _, seq in clauses))


def next_best_move(
    reading: Coaching,
    history: Sequence[TranscriptTurn],
    persona: Persona,
    scenario: Scenario,
    playbook: Playbook,
    *,
    rep_text: str = "",
) -> Tip:
    """The tip for one rep turn (rules in the module docstring); `history` is every turn
    before it, `rep_text` the turn's own words (to show its closed question asked openly, or
    which of its questions to keep)."""
    conv = Conversation.of(history, persona.language)
    r = Renderer(persona, playbook.moves, conv)
    tip = _choose(reading, conv, r, persona, scenario, playbook, rep_text)
    if "propose_next_step" in tip.says and conv.step_on_table() is not None:
        thread, follow = focus(conv, r.rules)
        return r.tip("keep_going", question=follow, quoted=thread)
    return tip


def _choose(
    reading: Coaching,
    conv: Conversation,
    r: Renderer,
    persona: Persona,
    scenario: Scenario,
    playbook: Playbook,
    rep_text: str,
) -> Tip:
    s = reading.signals
    spin = reading.spin
    flags = set(reading.flags)
    interest = conv.has(playbook.customer.interest[scenario])
    thread, follow = focus(conv, r.rules)
    problem_known = conv.has("problem")
    cues = r.rules.unanswered
    if follow == "implication" and conv.resisting(cues, persona.language):
        # Costs brushed off or the call doubted: another cost probe pushes them away.
        follow = "need_payoff"

    counter = conv.countered()
    slot = counter.next_step.time if counter is not None and counter.next_step is not None else ""
    rep_days = _day(rep_text)
    if (
        counter is not None
        and s.next_step.proposed
        and not s.goodbye
        and rep_days
        and not rep_days & _day(counter.text)
    ):
        # "Could we do Monday at 10am?" answered with Tuesday again: take their slot first.
        offered = slot or day_and_time(counter.text) or short_quote(counter.text, r.language)
        return r.tip("take_counter", time=offered, seq=counter.seq)
    if counter is not None and not (s.goodbye or s.next_step.proposed):
        # The customer offered a slot: take it or answer it before anything else.
        if reading.spin is None and (s.acknowledgement or reading.question is None):
            return r.tip("next_step_set", time=slot, quoted=conv.main_problem())
        return r.tip("take_counter", time=slot, seq=counter.seq)
    if s.goodbye:
        proposed = conv.step_on_table()
        agreed = conv.agreed_at() or (proposed + 1 if proposed is not None else None)
        if counter is not None and agreed is None:
            # A goodbye takes the slot the customer offered.
            agreed = counter.seq
        if agreed is not None:
            yes = next((t.text for t in conv.turns if t.seq == agreed), "")
            wrong = wrong_day(rep_text, yes)
            if wrong is not None:
                said = (short_quote(yes, r.language), agreed)
                return r.tip("wrap_up_wrong_day", said=said, time=wrong)
            pain = conv.main_problem()
            subject = (
                (subject_of(pain, persona) or fragment(pain.quote, r.language)) if pain else None
            )
            if yes and subject:
                said = (short_quote(yes, r.language), agreed)
                return r.tip("wrap_up_agreed", said=said, subject=subject)
            return r.tip("wrap_up", seq=agreed)
        if s.next_step.proposed and s.next_step.has_concrete_time:
            time = meeting_time(rep_text, s.next_step.time_text or "", playbook, r.language)
            return r.tip("next_step_set", time=time, quoted=conv.main_problem())
        declined = conv.declined_step(getattr(r.rules.declined_step_cues, r.language), r.language)
        if declined is not None:
            # "Email me something": confirm what is sent and a light follow-up, not "book a time".
            return r.tip("wrap_up_declined", said=declined)
        return r.tip("wrap_up_no_step", quoted=conv.latest("need_payoff", "implication", "problem"))
    # The turn presses on: a close, a step, a pitch, or words that ask nothing (not a side
    # remark, which has its own tip).
    presses = s.hard_close or s.next_step.proposed or s.pitch
    asks_nothing = reading.question is None and not (s.acknowledgement or s.small_talk)
    if conv.pushed_back_close() and (presses or (asks_nothing and not (s.meta or s.off_topic))):
        # "We're nowhere near that" and the rep pressed on: take the close back first.
        heard = conv.last_words(persona.language, persona.name)
        if heard is not None:
            return r.tip("withdraw_close", question=follow, about=thread, said=heard)
    # Playing with the exercise (the program, SPIN labels, a fake system line, a close out
    # of nowhere) while the customer is lost or still asks why the rep is here: reset.
    plays = (
        s.meta
        or s.off_topic
        or (
            spin is None
            and not (s.value_point or s.summary or s.small_talk or s.acknowledgement)
            and not (s.pitch and not s.hard_close)
        )
    )
    first_words = (s.meta or s.off_topic) and len(conv.turns) == 2  # to "What's this about?"
    restarts = _has_cue(rep_text.lower(), cues.reset.lowered(persona.language))
    said_why = s.value_point or (s.pitch and not s.hard_close)
    derailed = conv.gamed() and not (restarts or said_why or s.goodbye)
    if (plays and first_words and not s.goodbye) or derailed:
        sign = conv.lost(cues, persona.language)
        lost = (sign[0], sign[1]) if sign is not None else None
        pending = conv.pending_push_back(persona.language)
        if sign is not None and not sign[2] and not plays:
            lost = None  # "let's talk business" and a real question: that answers it
        if lost is not None and (pending is None or pending[1] <= lost[1]):
            # ("Slow down. I'm not buying anything on this call." since: that comes first.)
            restart: QuestionKind = follow if thread is not None else "situation"
            main = conv.main_problem()
            # The pain said in their own word when they named one, else the industry's.
            pain_word = (subject_of(main, persona) if main is not None else None) or r.fitting(
                r.terms.pains
            )
            reset: MoveKind = "reset_after_gaming" if plays else "reset_then_ask"
            if s.hard_close:
                reset = "reset_after_close"  # a discount to a customer who is still lost
            # (A fair question while the customer is still lost: reset first, then ask it.)
            return r.tip(
                reset,
                question=restart,
                about=thread,
                said=lost,
                alt=plays and conv.gamed(),
                pain=pain_word,
            )
    lowered = rep_text.lower()
    last = conv.turns[-1] if conv.turns else None
    last_asked = last is not None and any(m in last.text for m in "?？")
    rival = conv.live_competitor(cues, persona.language)
    fake = r.rules.fake_ack_cues.lowered(persona.language)
    if (
        last is not None
        and last.speaker == "customer"
        and not last_asked
        and _has_cue(lowered, fake)
    ):
        # "Good question" when nothing was asked, then more product: back to what they said.
        heard = conv.last_words(persona.language, persona.name)
        if heard is not None:
            if rival is None and thread is None:
                return r.tip("fake_good_question", question=follow, said=heard)
            if rival is not None:
                live, model = rival, probe_for(rival[0], r)
            else:
                assert thread is not None
                live, model = (thread.quote, thread.turn_seq), r.question(follow, thread)
            tip = r.tip(
                "fake_good_question",
                model=model,
                said=heard,
                alt=True,
                thread=live[0],
                thread_seq=live[1],
            )
            return Tip(tip.kind, tip.text, tip.says, (heard[1], live[1]))
    brushing = r.rules.brush_off_cues.lowered(persona.language)
    if last is not None and last.speaker == "customer" and _has_cue(lowered, brushing):
        sentences = [p.strip() for p in _SENTENCE.split(last.text) if p.strip()]
        concern = _cued(sentences, cues.concern, persona.language, extend=False)
        if concern is not None:
            # "这个您放心,我们都能搞定的" to a budget worry: take the concern up first.
            spoken = fragment(concern, persona.language, limit=PROBE_LIMITS[persona.language])
            probe = cues.probe_concern.pick(persona.language, len(conv.rep))
            return r.tip(
                "take_up_concern",
                model=probe.format(quote=spoken or concern),
                said=(concern, last.seq),
            )
    # A greeting that shows the opener left out who calls has its own tip (clear_up_purpose).
    unclear = conv.unclear_caller()
    unanswered = None if unclear else conv.unanswered(cues, persona.language)
    answered = s.pitch or s.value_point or s.summary or s.next_step.proposed
    if unanswered is not None and unanswered[0] == "get_to_point":
        first = conv.opener
        if scenario == "discovery":
            # A meeting the customer agreed to: "get to the point" asks for business, not who
            # calls; a question on their business answers it.
            if spin is not None:
                unanswered = None
        elif first is None or not (first.introduced_self and first.stated_purpose):
            unanswered = ("answer_who", *unanswered[1:])  # who and why are still to say
        elif spin is not None:
            unanswered = None  # it went straight to a question: done
    still = None if unclear or unanswered else conv.open_who(r.rules.unanswered, persona.language)
    if still is not None and not answered and reading.opener is None:
        return r.tip("answer_who_still", question=follow, about=thread, said=still)
    doubt = None if unanswered or still else conv.open_doubt(cues, persona.language)
    doubt_kind: MoveKind = "answer_doubt_meeting" if scenario == "discovery" else "answer_doubt"
    if doubt is not None and not answered and reading.opener is None:
        return r.tip(doubt_kind, question=follow, about=thread, said=doubt)
    if unanswered is not None and not answered:
        answer, quote, at = unanswered
        if answer == "answer_doubt":
            answer = doubt_kind
        single = s.question_count <= 1 and "multiple_questions" not in flags
        if answer == "answer_who" and spin is not None and reading.question == "open" and single:
            # "What's the call about?" and a good question of the rep's: answer, then ask it.
            mine = [q for q in _questions_in(rep_text) if q.rstrip().endswith(("?", "？"))]
            if mine:
                return r.tip("answer_who_then_ask", model=mine[-1].strip(), said=(quote, at))
        pain = conv.main_problem()
        if answer == "answer_how" and pain is not None:
            # "How would it work here?": answer it against the pain they named, then ask on.
            said_pain = short_quote(pain.quote, persona.language)
            tip = r.tip(
                answer,
                question=follow,
                about=thread,
                said=(quote, at),
                thread=said_pain,
                thread_seq=pain.turn_seq,
            )
            return Tip(tip.kind, tip.text, tip.says, (at, pain.turn_seq))
        if answer != "answer_objection":
            return r.tip(answer, question=follow, about=thread, said=(quote, at))
        if is_process(quote, cues, persona.language):
            # A tender or a board vote is how they buy, not a pain to dig into.
            return r.tip("acknowledge_process", question=follow, about=thread, said=(quote, at))
        pain = conv.open_problem() or conv.main_problem()
        if pain is not None and is_denial(quote, cues, persona.language):
            return _back_to_pain((quote, at), pain, r, follow)
        if not s.acknowledgement:
            return r.tip(answer, model=probe_for(quote, r), said=(quote, at))
    # Three questions or more right after a brush-off ("不好说。"): that is the fault to fix
    # first, before an older objection.
    barrage = "multiple_questions" in flags and s.question_count >= 3
    brushed = conv.brush_off(persona.language) if barrage else None
    passed = (
        None
        if unanswered or still or brushed
        else conv.earlier_objection(r.rules.unanswered, persona.language)
    )
    if passed is not None and passed[0] in conv.previous_tip and spin in STAGE_AHEAD:
        # The previous tip raised it, and this turn moves on to the pain: say what this turn
        # needs, not the same tip again.
        passed = None
    pain = conv.open_problem() or conv.main_problem()
    if passed is not None and pain is not None and is_denial(passed[0], cues, persona.language):
        if spin in ("implication", "need_payoff"):
            passed = None  # back on the pain they did name: the denial is dealt with
    if passed is not None and not answered and not s.acknowledgement and not s.goodbye:
        if is_process(passed[0], cues, persona.language):
            return r.tip("acknowledge_process", question=follow, about=thread, said=passed)
        if pain is not None and is_denial(passed[0], cues, persona.language):
            return _back_to_pain(passed, pain, r, follow)
        return r.tip("answer_objection_earlier", model=probe_for(passed[0], r), said=passed)
    if rival is not None and not (s.goodbye or s.meta or s.next_step.proposed):
        own = _bits(rival[0], persona.language) & _bits(rep_text, persona.language)
        if not own:
            # "We evaluated Gainsight and ChurnZero and bought neither": ask about that first.
            return r.tip("answer_competitor", model=probe_for(rival[0], r), said=rival)
    invited = conv.invitation(cues, persona.language) if problem_known else None
    took_it = s.value_point or s.summary or s.next_step.proposed
    if invited is not None and not took_it and spin not in ("implication", "need_payoff"):
        # "If it solves that problem, let's talk": the problem they raised, not a new subject.
        if thread is None:
            return r.tip(
                "take_invitation", question="need_payoff", about=conv.main_problem(), said=invited
            )
        return r.tip("take_invitation", question=follow, about=thread, said=invited)
    if s.meta and scenario == "discovery" and not conv.turns:
        # The meeting's first words: greet, thank and a line of rapport before any question.
        return r.tip("stay_in_role_meeting_start")
    if s.meta:
        return r.tip("stay_in_role", question=follow, quoted=thread)
    if s.off_topic and scenario == "discovery" and not conv.turns:
        return r.tip("open_meeting", question="situation")
    if s.off_topic:
        pending = conv.pending_push_back(persona.language)
        if pending is not None:
            # "It's a bit early for that" still open: the way back in is that, not a new topic.
            return r.tip("back_on_topic_pending", question=follow, about=thread, said=pending)
        return r.tip("back_on_topic", question=follow, quoted=thread)
    if reading.opener is not None:
        return _opener_tip(reading, r, playbook)
    if scenario == "discovery" and not conv.turns and reading.question is None and not s.pitch:
        # The meeting's first words: the customer, the agenda and the time, then a question.
        return r.tip("open_meeting", question="situation")
    explains = s.pitch or s.value_point or s.next_step.proposed
    if unclear is not None and spin in (None, "situation") and not explains:
        return r.tip("clear_up_purpose", said=unclear)
    if s.hard_close and not conv.has("need_payoff"):
        doubted = conv.latest_cued(cues.sceptic, persona.language) if thread is None else None
        if doubted is not None:
            # "I'm not convinced it's that big a deal": what would make it worth a look.
            return r.tip("hold_close_doubt", model=probe_for(doubted[0], r), said=doubted)
        # Draw the need out: its value, else its cost, else the problem itself.
        ask: QuestionKind = "problem"
        if conv.has("implication"):
            ask = "need_payoff"
        elif problem_known:
            ask = "implication"
        return r.tip("hold_close", question=ask, quoted=thread)
    if "premature_pitch" in flags or (s.pitch and not problem_known):
        question, situation = conv.problem_question()
        one_line = len(rep_text) <= 45 if persona.language == "zh" else len(rep_text.split()) <= 25
        asked_who = unclear
        if unanswered is not None and unanswered[0] == "answer_who":
            asked_who = unanswered[1:]
        if asked_who is not None and rep_text and one_line:
            # "Who is this?" answered in one line: that was right; now hand it over.
            return r.tip("answered_who", question=question, about=situation, said=asked_who)
        heard = conv.last_words(persona.language, persona.name)
        if situation is None and heard is not None:
            return r.tip("hold_pitch_heard", question=question, said=heard)
        return r.tip("hold_pitch", question=question, quoted=situation)
    if s.repeat_of is not None:
        earlier = conv.answer_to(s.repeat_of)
        reply = next((t for t in conv.turns if t.seq == s.repeat_of + 1), None)
        if earlier is None and reply is not None and reply.speaker == "customer":
            # The earlier answer said nothing ("Hard to tell."): ask it another way.
            opened = None
            if reading.question == "closed" and spin is not None and rep_text:
                opened = open_version(rep_text, spin, r.rules, persona.language)
            said = (short_quote(reply.text, persona.language), reply.seq)
            if opened is not None:
                return r.tip("no_repeat_unanswered", model=opened, said=said, earlier=s.repeat_of)
            return r.tip(
                "no_repeat_unanswered",
                question=follow,
                about=thread,
                said=said,
                earlier=s.repeat_of,
            )
        return r.tip("no_repeat", question=follow, quoted=earlier, earlier=s.repeat_of)
    again = asked_again(rep_text, reading, conv, persona, r.rules)
    if again is not None:
        return r.tip(
            "asked_already", question=follow, about=thread, said=(again.quote, again.turn_seq)
        )
    if s.next_step.proposed:
        return _next_step_tip(reading, conv, r, interest, rep_text, playbook)
    priority = r.rules.priority_cues.lowered(persona.language)
    presented = any(
        t.coaching is not None and (t.coaching.signals.value_point or t.coaching.signals.pitch)
        for t in conv.rep
    )
    ranks = reading.question and _has_cue(rep_text.lower(), priority)
    if ranks and not conv.has("need_payoff") and presented and problem_known:
        # Must / expected / optional after the solution: the ranking step, not a value probe.
        quoted = conv.latest("implication", "problem") if "multiple_questions" in flags else None
        return r.tip("priority_ranking", quoted=quoted)
    if reading.question and conv.has("need_payoff") and _has_cue(rep_text.lower(), priority):
        # Must-have against nice-to-have is one question, however many question marks.
        invented = invented_items(rep_text, conv, persona, r.rules)
        ranked = ranked_by_customer(conv, r.rules, persona.language)
        if invented and ranked is not None:
            # They ranked already ("预测性维护是必须的"): play back theirs, ask what else.
            glue = "、" if persona.language == "zh" else " and "
            shown = glue.join(
                f"‘{i}’" if persona.language == "zh" else f"'{i}'" for i in invented[:2]
            )
            return r.tip(
                "ranked_already",
                question="priority_more",
                said=(ranked.quote, ranked.turn_seq),
                items=shown,
            )
        if len(invented) >= 2:
            # "MES打通, App推送": a list of the rep's, not ranked from what they said.
            glue = "、" if persona.language == "zh" else " and "
            shown = glue.join(
                f"‘{i}’" if persona.language == "zh" else f"'{i}'" for i in invented[:2]
            )
            return r.tip(
                "priority_from_their_words", quoted=conv.latest("need_payoff"), items=shown
            )
        return r.tip("priority_asked", quoted=conv.latest("need_payoff"))
    if brushed is not None and follow in (
        "situation",
        "problem",
        "problem_on_fact",
        "implication",
        "need_payoff",
    ):
        # "不好说。" and then four questions: an interrogation, whichever one is kept.
        return r.tip(
            "one_question_after_brush_off",
            question=follow,
            about=thread,
            said=brushed,
            count=s.question_count,
        )
    vague = r.rules.vague_question_cues.lowered(persona.language)
    recap_check = s.summary and s.question_count <= 2
    if "multiple_questions" in flags and not recap_check:
        want = follow.removesuffix("_on_fact")
        kept = keep_one(rep_text, want, playbook, persona.language) if rep_text else None
        stages = ("situation", "problem", "implication", "need_payoff")
        behind = False
        if kept is not None and thread is not None and want in stages[2:] and spin == want:
            # The kept question steps back from the open thread: ask on the thread instead.
            stage = read_utterance(kept, playbook.coach, persona.language).spin
            behind = stage not in stages or stages.index(stage) < stages.index(want)
        if kept is not None and _has_cue(kept.lower(), vague):
            # "目前贵公司流程是如何运作的?": which process? Ask about the real one.
            concrete: QuestionKind = (
                "situation" if follow in ("situation", "problem_on_fact") else follow
            )
            return r.tip(
                "one_question_concrete",
                question=concrete,
                about=conv.latest("situation") if concrete == "situation" else thread,
                count=s.question_count,
            )
        if kept is not None and not behind:
            return r.tip("one_question_kept", model=kept, count=s.question_count)
        return r.tip("one_question", question=follow, about=thread, count=s.question_count)
    if "too_long" in flags:
        limits = playbook.coach.flags.too_long
        return r.tip(
            "shorter", question=follow, max_words=limits.max_words, max_chars=limits.max_chars
        )
    if "no_rapport" in flags:
        return r.tip("rapport_first")
    if reading.question and not conv.said and _has_cue(rep_text.lower(), vague):
        # "What are the difficulties in your current process?" with nothing said about it.
        return r.tip("vague_question", question="situation")
    need_payoff_early = spin == "need_payoff" and not conv.has("implication")
    if (spin == "implication" or need_payoff_early) and not problem_known:
        question, situation = conv.problem_question()
        return r.tip("ground_problem_first", question=question, quoted=situation)
    if need_payoff_early and conv.costs_brushed_off() < 2:
        return r.tip(
            "ground_implication_first", question="implication", quoted=conv.latest("problem")
        )
    if reading.question == "closed" and spin is not None and not s.asks_value:
        opened = open_version(rep_text, spin, r.rules, persona.language) if rep_text else None
        last = conv.turns[-1] if conv.turns else None
        heard = conv.last_words(persona.language, persona.name)
        if last is not None and last.act == GREET_ACT and heard is not None and not conv.said:
            # "那你问吧,我听听看": the one chance to ask, spent on a yes/no question.
            ask, quoted = _reopen_question(spin, conv)
            model = opened or r.question(ask, quoted)
            return r.tip("reopen_heard", model=model, said=heard)
        live_problem = thread is not None and thread.kind == "problem" and conv.live(thread)
        tools = r.rules.asks_about_tools.lowered(persona.language)
        # A question whether they tried a tool steps off the pain too, whatever word it shares.
        off_thread = _has_cue(rep_text.lower(), tools) or (
            thread is not None and not on_topic(rep_text, thread, persona)
        )
        if live_problem and thread is not None and off_thread:
            # "有没有用过预测性维护?" right after "设备突然停机的情况太多": the problem comes first.
            return r.tip("reopen_live_problem", question="implication", quoted=thread)
        # Once a pain is named, background that is not about it (no word of it, no form that
        # asks its own subject openly) steps back from the thread.
        pain_said = conv.has("implication") or (
            thread is not None
            and thread.kind == "problem"
            and opened is None
            and not on_topic(rep_text, thread, persona)
        )
        if spin == "situation" and pain_said and thread is not None:
            # Back to background once the pain and its cost are said: take the thread on.
            return r.tip("reopen_thread", question=follow, quoted=thread)
        if opened is not None:
            setup = conv.latest("situation")
            if setup is not None and conv.live(setup):
                # What they just told you is the ground the open question stands on.
                return r.tip("reopen_this", model=opened, quoted=setup)
            return r.tip("reopen_this", model=opened)
        ask, quoted = _reopen_question(spin, conv)
        return r.tip("reopen", question=ask, quoted=quoted)
    if (s.pitch or s.value_point) and problem_known:
        pain = conv.latest("need_payoff", "implication", "problem")
        problem = conv.main_problem()
        tied = ties_to_pain(rep_text, conv, persona, r.rules)
        if s.value_point and (tied or not rep_text):
            return r.tip("check_value", question="value_check", quoted=pain, about=problem)
        # A price or a claim that names none of their pains is no link to praise: a pitch.
        if thread is not None and thread.kind != "need_payoff":
            # The pain to ask about first: the open thread, with its next question.
            return r.tip("tie_to_pain", question=follow, quoted=thread)
        need = conv.latest("need_payoff") or pain
        return r.tip("pitch_after_need", question="value_check", quoted=need, about=problem)
    if "no_question" in flags:
        heard = conv.last_words(persona.language, persona.name)
        if thread is None and heard is not None:
            return r.tip("hand_back_heard", question=follow, said=heard)
        return r.tip("hand_back", question=follow, quoted=thread)
    if s.summary:
        if not problem_known:
            question, situation = conv.problem_question()
            return r.tip("unfounded_summary", question=question, quoted=situation)
        main = conv.main_problem()
        dropped = dropped_figures(rep_text, conv, main) if rep_text and main else []
        if dropped:
            return _dropped_figures_tip(dropped, r)
        if interest and conv.has("implication"):
            # The words a recap should carry: the cost or value the customer put on it.
            words = conv.latest("need_payoff", "implication", "problem")
            return r.tip(
                "after_summary", question="next_step", quoted=words, about=conv.main_problem()
            )
        if conv.count("problem") < 2 and thread is not None:
            return r.tip("after_summary_early", question=follow, quoted=thread)
        return r.tip("after_summary_early", question="priority")
    if s.small_talk and spin is None:
        limit = playbook.customer.for_personality(persona.personality).small_talk_limit
        chats = conv.rep_count("small_talk") + 1
        if chats > limit:
            return r.tip("enough_small_talk", question=follow, count=chats)
        hook = r.news_named(rep_text) if scenario == "discovery" and not conv.turns else None
        if hook is not None and reading.question is not None:
            # "恭喜去年IATF复审顺利通过,挺辛苦的吧?": their news, a hook to listen on.
            return r.tip("rapport_listen_news", question=follow, news=hook)
        if scenario == "discovery" and not conv.turns and reading.question == "open":
            # "How's the quarter?" asked: the answer comes first.
            return r.tip("rapport_listen", question=follow)
        if scenario == "discovery" and not conv.turns and reading.question != "open":
            # "Thanks for your time; today I'd like to... OK?" reads as small talk too.
            return r.tip("meeting_start", question=follow)
        return r.tip("rapport_to_business", question=follow)
    valued = conv.has("need_payoff") or presented or spin == "need_payoff"
    late_question = spin == "situation" and conv.has("need_payoff")
    if (
        scenario == "cold_call"
        and interest
        and conv.has("implication")
        and valued
        and not late_question
    ):
        problem = conv.main_problem()
        asked = spin is not None and reading.question == "open"
        kind: MoveKind = "cold_call_next_step_after_answer" if asked else "cold_call_next_step"
        return r.tip(kind, question="next_step", quoted=problem, about=problem)
    if spin is not None:
        found = _spin_tip(spin, conv, r, rep_text)
        if found is not None:
            return found
    need = conv.latest("need_payoff")
    if need is not None:
        return r.tip("summarise_then_next_step", question="next_step", quoted=need)
    if thread is not None and thread.kind == "problem":
        return r.tip("explore_open_problem", question="implication", quoted=thread)
    if thread is not None and thread.kind == "implication":
        return r.tip("develop_implication", question="need_payoff", quoted=thread)
    return r.tip("keep_going", question=follow, quoted=thread)
