"""How the role-played customer reacts: trust and patience per personality, and what they say.

playbook/customer.yaml holds the numbers the customer state machine (app/roleplay/state.py)
runs on (starting trust and patience, what each misstep costs, what rapport and good
questions earn) and the lines both engines draw on, per language: a `common` set that must
cover every kind of line, and per-personality sets that override any kind they fill.
Lines may use the placeholders {name}, {title} and {company} (the persona's), and {time} (the
time of the next step the customer offers or agrees to).
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.playbook.errors import PlaybookError
from app.playbook.files import read_yaml
from app.playbook.persona import FactKind, Language, Personality, Priority, PublicTopic

FILE = "customer.yaml"
PLACEHOLDERS = frozenset({"name", "title", "company", "time", "ranking"})
# Every kind of line needs this many variants per language, so a session rarely repeats one.
MIN_LINES = 5

LineKind = Literal[
    "greet",
    "greet_weak",
    "small_talk",
    "small_talk_excess",
    "acknowledge",
    "value_reply",
    "lead_in_situation",
    "lead_in_problem",
    "lead_in_implication",
    "lead_in_need_payoff",
    "terse_lead_in",
    "terse_no_reveal",
    "deflect_nothing_left",
    "deflect_no_problem",
    "deflect_no_implication",
    "needs_warmup",
    "short_answer",
    "objection_lead_in",
    "objections",
    "accept_next_step",
    "defer_next_step",
    "ask_concrete_time",
    "counter_next_step",
    "accept_counter",
    "hang_up",
    "goodbye",
    "redirect",
    "puzzled",
    "recall",
    "recall_nothing",
    "hard_close",
    "hard_close_later",
    "not_an_issue",
    "no_effect",
    "not_yet",
    "need_to_check",
    "lead_in_public",
    "elaborate",
    "confirm_summary",
    "already_agreed",
    "open_floor",
    "rank",
]
LINE_KINDS: tuple[LineKind, ...] = get_args(LineKind)


class Effect(BaseModel):
    """A change to the customer's patience (points), trust (0-100) and rapport (count)."""

    model_config = ConfigDict(extra="forbid")

    patience: int = Field(default=0, ge=0, le=20)
    trust: int = Field(default=0, ge=0, le=100)
    rapport: int = Field(default=0, ge=0, le=5)


class Costs(BaseModel):
    """What each misstep takes away (patience and trust)."""

    model_config = ConfigDict(extra="forbid")

    premature_pitch: Effect
    closed_question: Effect
    too_long: Effect
    multiple_questions: Effect
    weak_opener: Effect
    excess_small_talk: Effect
    unearned_question: Effect
    off_topic: Effect
    repeat: Effect
    meta: Effect
    hard_close: Effect


class Gains(BaseModel):
    """What rapport and good questions earn (patience is capped at the starting value)."""

    model_config = ConfigDict(extra="forbid")

    small_talk: Effect
    acknowledgement: Effect
    summary: Effect
    open_question: Effect


class Start(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trust: int = Field(ge=0, le=100)
    patience: int = Field(ge=1, le=50)


class PersonalityRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Start
    # Busy and sceptical buyers talk about problems only after rapport or a situation question.
    problem_needs_warmup: bool
    # Small-talk turns welcomed before further small talk costs patience.
    small_talk_limit: int = Field(ge=0, le=10)
    costs: Costs
    gains: Gains


class LineSet(BaseModel):
    """Lines of each kind; in `common` every kind must be filled."""

    model_config = ConfigDict(extra="forbid")

    greet: list[str] = Field(default_factory=list)
    greet_weak: list[str] = Field(default_factory=list)
    small_talk: list[str] = Field(default_factory=list)
    small_talk_excess: list[str] = Field(default_factory=list)
    acknowledge: list[str] = Field(default_factory=list)
    value_reply: list[str] = Field(default_factory=list)
    lead_in_situation: list[str] = Field(default_factory=list)
    lead_in_problem: list[str] = Field(default_factory=list)
    lead_in_implication: list[str] = Field(default_factory=list)
    lead_in_need_payoff: list[str] = Field(default_factory=list)
    terse_lead_in: list[str] = Field(default_factory=list)
    terse_no_reveal: list[str] = Field(default_factory=list)
    deflect_nothing_left: list[str] = Field(default_factory=list)
    deflect_no_problem: list[str] = Field(default_factory=list)
    deflect_no_implication: list[str] = Field(default_factory=list)
    needs_warmup: list[str] = Field(default_factory=list)
    short_answer: list[str] = Field(default_factory=list)
    objection_lead_in: list[str] = Field(default_factory=list)
    objections: list[str] = Field(default_factory=list)
    accept_next_step: list[str] = Field(default_factory=list)
    defer_next_step: list[str] = Field(default_factory=list)
    ask_concrete_time: list[str] = Field(default_factory=list)
    counter_next_step: list[str] = Field(default_factory=list)
    accept_counter: list[str] = Field(default_factory=list)
    hang_up: list[str] = Field(default_factory=list)
    goodbye: list[str] = Field(default_factory=list)
    redirect: list[str] = Field(default_factory=list)
    puzzled: list[str] = Field(default_factory=list)
    recall: list[str] = Field(default_factory=list)
    recall_nothing: list[str] = Field(default_factory=list)
    hard_close: list[str] = Field(default_factory=list)
    hard_close_later: list[str] = Field(default_factory=list)
    not_an_issue: list[str] = Field(default_factory=list)
    # An implication question on an effect this customer has not seen.
    no_effect: list[str] = Field(default_factory=list)
    # An open question on something not earned yet: a hint that there is more, nothing said.
    not_yet: list[str] = Field(default_factory=list)
    need_to_check: list[str] = Field(default_factory=list)
    lead_in_public: list[str] = Field(default_factory=list)
    elaborate: list[str] = Field(default_factory=list)
    confirm_summary: list[str] = Field(default_factory=list)
    already_agreed: list[str] = Field(default_factory=list)
    # A goodbye while interested and nothing agreed: the floor back to the rep, once.
    open_floor: list[str] = Field(default_factory=list)
    # Asked to sort what they need (must / expected / optional): {ranking} is the needs said so
    # far, each in its priority's words (`rank_items`).
    rank: list[str] = Field(default_factory=list)

    def of(self, kind: LineKind) -> list[str]:
        lines: list[str] = getattr(self, kind)
        return lines


class LanguageLines(BaseModel):
    model_config = ConfigDict(extra="forbid")

    common: LineSet
    personalities: dict[Personality, LineSet] = Field(default_factory=dict)
    # How a need said earlier is named in a ranking, by its priority; {topic} is the need's
    # first keyword (its whole text when it has none).
    rank_items: dict[Priority, str] = Field(default_factory=dict)
    rank_separator: str = "; "

    @model_validator(mode="after")
    def _common_is_complete(self) -> LanguageLines:
        missing = [k for k in LINE_KINDS if not self.common.of(k)]
        if missing:
            raise ValueError(f"common lines missing for: {', '.join(missing)}")
        # "objections" is a pool for the persona's own objections, not a line kind to vary.
        few = [k for k in LINE_KINDS if k != "objections" and len(self.common.of(k)) < MIN_LINES]
        if few:
            raise ValueError(f"common lines need at least {MIN_LINES} of: {', '.join(few)}")
        return self


class WordLists(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    def for_language(self, language: Language) -> list[str]:
        return self.zh if language == "zh" else self.en


class WordForms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: dict[str, list[str]] = Field(default_factory=dict)
    en: dict[str, list[str]] = Field(default_factory=dict)

    def for_language(self, language: Language) -> dict[str, list[str]]:
        return self.zh if language == "zh" else self.en


class Matching(BaseModel):
    """How the customer matches a question's words to a fact (rule in app/roleplay/state.py)."""

    model_config = ConfigDict(extra="forbid")

    # The lowest match score that counts as "the question is about this fact".
    min_score: int = Field(ge=1, le=20)
    # A term found in at least this share of a persona's facts names the persona's area
    # (设备 for a plant manager), not one fact: a question that names an already-said fact only
    # through such terms or generic words asks something new, not the same thing again.
    broad_share: float = Field(default=0.2, gt=0, le=1)
    # Words that carry no topic (removed before matching).
    stop_words: WordLists
    # Words of any SPIN question ("challenge", "impact", 问题, 影响): a question made only of
    # these and stop words is generic, and the customer answers in the persona's order.
    generic_words: WordLists
    # Cue words of the topics any buyer answers (public facts).
    public_topics: dict[PublicTopic, WordLists]
    # Words pointing back at what the customer just said ("that", 这种): a question naming no
    # fact of its own but pointing back is about the conversation's thread, not a new topic.
    refer_back: WordLists = Field(default_factory=WordLists)
    # Pointing words as the cause of what is asked ("what does that do to ...?", 这个问题对):
    # an implication question so phrased is about the thread in hand, whatever it names.
    refer_cause: WordLists = Field(default_factory=WordLists)
    # Words of a question that asks the customer to sort their needs (manual 三(二) step 3:
    # must / expected / optional): once a need was said, it is answered with a ranking.
    priority_words: WordLists = Field(default_factory=WordLists)
    # Other forms of a keyword's word in a question, by the form the personas use: irregular
    # English forms (broken -> break; regular plurals and -ing/-ed are stripped in code) and
    # Chinese near-synonyms (停线 -> 停机, 车 -> 车辆). A question with a listed form also names
    # the word it stands for.
    word_forms: WordForms = Field(default_factory=lambda: WordForms())


class CounterRules(BaseModel):
    """When a buyer answers a proposed time with another one (rule in app/roleplay/state.py)."""

    model_config = ConfigDict(extra="forbid")

    # These personalities' calendars are full: their first concrete proposal gets another time.
    personalities: list[Personality] = Field(default_factory=list)
    # Per scenario, the kind of fact that makes a buyer without real interest yet offer a later
    # time instead of turning the proposal down.
    interest: dict[Literal["cold_call", "discovery"], FactKind] = Field(default_factory=dict)
    # The slots the customer offers, per language, the first one the rep did not name.
    times: WordLists


Difficulty = Literal["easy", "normal", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = get_args(Difficulty)


class DifficultyRules(BaseModel):
    """The rep's choice when starting a call: starting patience scaled, and warm-up before
    problems: never, as the personality says, or always."""

    model_config = ConfigDict(extra="forbid")

    patience: float = Field(gt=0, le=3)
    warmup: Literal["never", "personality", "always"] = "personality"


def _normal_difficulty() -> dict[Difficulty, DifficultyRules]:
    return {d: DifficultyRules(patience=1.0) for d in DIFFICULTIES}


class CustomerRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personalities: dict[Personality, PersonalityRules]
    difficulty: dict[Difficulty, DifficultyRules] = Field(default_factory=_normal_difficulty)
    # Closed SPIN questions reveal only these kinds (tersely); the rest need an open question.
    closed_reveals: list[FactKind]
    # What counts as real interest before a next step is accepted, per scenario.
    interest: dict[Literal["cold_call", "discovery"], FactKind]
    counter: CounterRules
    matching: Matching
    lines: dict[Language, LanguageLines]

    @model_validator(mode="after")
    def _complete(self) -> CustomerRules:
        for p in get_args(Personality):
            if p not in self.personalities:
                raise ValueError(f"personalities: missing {p!r}")
        for lang in get_args(Language):
            if lang not in self.lines:
                raise ValueError(f"lines: missing language {lang!r}")
        for level in DIFFICULTIES:
            if level not in self.difficulty:
                raise ValueError(f"difficulty: missing {level!r}")
        for scenario in ("cold_call", "discovery"):
            if scenario not in self.interest:
                raise ValueError(f"interest: missing scenario {scenario!r}")
        for lang in get_args(Language):
            if not self.counter.times.for_language(lang):
                raise ValueError(f"counter.times: missing {lang!r}")
        return self

    def for_personality(self, personality: Personality) -> PersonalityRules:
        return self.personalities[personality]

    def lines_for(self, language: Language, personality: Personality, kind: LineKind) -> list[str]:
        """The personality's lines of this kind, or the language's common ones."""
        lang = self.lines[language]
        own = lang.personalities.get(personality)
        if own is not None and own.of(kind):
            return own.of(kind)
        return lang.common.of(kind)

    def spoken(self, language: Language) -> list[str]:
        """Every line the customer may say in this language, placeholders cut out ("你好,我是"
        of "你好,我是{name}。"): what the customer says around facts, never a fact."""
        lang = self.lines[language]
        found: list[str] = []
        for lines in (lang.common, *lang.personalities.values()):
            for kind in LINE_KINDS:
                for line in lines.of(kind):
                    found += [p for p in re.split(r"\{\w+\}", line) if len(p.strip()) > 1]
        return found

    def variants(self, language: Language, personality: Personality, kind: LineKind) -> list[str]:
        """Every line of this kind, the personality's own first, then the common ones."""
        lang = self.lines[language]
        own = lang.personalities.get(personality)
        first = own.of(kind) if own is not None else []
        return [*first, *(line for line in lang.common.of(kind) if line not in first)]


def _check_placeholders(rules: CustomerRules) -> tuple[str, str] | None:
    formatter = string.Formatter()
    for lang, lang_lines in rules.lines.items():
        sets: list[tuple[str, LineSet]] = [("common", lang_lines.common)]
        sets += [(f"personalities.{p}", s) for p, s in lang_lines.personalities.items()]
        for label, line_set in sets:
            for kind in LINE_KINDS:
                for i, line in enumerate(line_set.of(kind)):
                    where = f"lines.{lang}.{label}.{kind}.{i}"
                    try:
                        names = {f for _, f, _, _ in formatter.parse(line) if f is not None}
                    except ValueError as exc:
                        return where, f"bad placeholder: {exc}"
                    unknown = names - PLACEHOLDERS
                    if unknown:
                        return where, f"unknown placeholder {{{sorted(unknown)[0]}}}"
    return None


def load(dir: Path) -> CustomerRules:
    path = dir / FILE
    data: Any = read_yaml(path)
    if not isinstance(data, dict):
        raise PlaybookError(str(path), "(root)", "must be a mapping")
    try:
        rules = CustomerRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise PlaybookError(str(path), field, err["msg"]) from exc
    bad = _check_placeholders(rules)
    if bad is not None:
        raise PlaybookError(str(path), *bad)
    return rules
