"""The coach's rule set: the manual's opener checklist, SPIN cues, signals, flags and tips as data.

playbook/coach/ holds one file per part, read by `load`:

- opener.yaml: speech rates per language, the 30-second limit, and cue patterns for the
  five opener checks of SPIN.md (introduced_self, stated_purpose, named_pain, asked_for_time;
  within_30_seconds is computed from the rates).
- spin.yaml: how a question is recognised and whether it is open or closed, the four SPIN
  types with definitions, weighted cue groups and counter-groups per language, and which
  signals make a question a non-SPIN one (small talk, asking for time, a next step...).
- signals.yaml: cue patterns for what the rep did besides asking (pitch, value point, small
  talk, greeting, thanks, acknowledgement, asking to repeat, summary, meta, goodbye, hard
  close, off topic) and for next steps (proposal cues, concrete time expressions, forms such
  as call, meeting, demo, visit, case study); `context` holds what is read from the
  conversation around the turn (the customer naming a pain or a payoff, repeats, rapport).
- flags.yaml: the flags the coach can raise and their thresholds.
- tips.yaml: a short tip per flag, per missed opener check and per SPIN type, in zh and en,
  and the priority that picks one tip per turn. Tips may use the placeholders in TIP_FIELDS.
- scenarios.yaml: the two scenarios (cold_call, discovery) and their stages.
- learned.yaml: where the learned layer may decide and the model file it reads (optional:
  without the file the coach reads with the rules alone).

Every pattern is a Python regular expression matched case-insensitively; they are compiled
once at load time, and a pattern that does not compile is reported with its file and field.
"""

from __future__ import annotations

import re
import string
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from app.coach import learned
from app.coach.learned import LearnedModel
from app.coach.text import halfwidth
from app.playbook.errors import PlaybookError
from app.playbook.files import read_yaml
from app.playbook.lookahead import compile_finders, compile_with_lookahead, lower_case_only
from app.playbook.persona import Language

FOLDER = "coach"
LANGUAGES: tuple[Language, ...] = get_args(Language)
SpinKind = Literal["situation", "problem", "implication", "need_payoff"]
SPIN_KINDS: tuple[SpinKind, ...] = get_args(SpinKind)
OpenerCheckName = Literal[
    "introduced_self", "stated_purpose", "named_pain", "asked_for_time", "within_30_seconds"
]
OPENER_CHECKS: tuple[OpenerCheckName, ...] = get_args(OpenerCheckName)
FlagName = Literal[
    "premature_pitch",
    "closed_question",
    "multiple_questions",
    "too_long",
    "no_question",
    "too_many_points",
    "vague_next_step",
    "no_rapport",
]
FLAG_NAMES: tuple[FlagName, ...] = get_args(FlagName)
# Signals that can make a question a non-SPIN one (spin null) or exempt a turn from no_question.
SignalName = Literal[
    "small_talk",
    "greeting",
    "thanks",
    "acknowledgement",
    "repeat_request",
    "asked_for_time",
    "next_step",
    "pitch",
]
# Values a tip may quote, e.g. "Keep it under {max_words} words."
TIP_FIELDS = frozenset(
    {
        "estimated_seconds",
        "limit_seconds",
        "max_words",
        "max_chars",
        "question_count",
        "max_value_points",
    }
)
REGEX_FLAGS = re.IGNORECASE
# Texts of earlier turns whose match a cue group remembers (`Patterns.found_earlier`).
EARLIER_REMEMBERED = 8192


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, REGEX_FLAGS)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from exc
    return pattern


Pattern = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __getitem__(self, language: Language) -> str:
        text: str = getattr(self, language)
        return text


class Patterns(_Strict):
    """Regexes per language; each language's list is compiled once into one alternation."""

    zh: list[Pattern] = Field(default_factory=list)
    en: list[Pattern] = Field(default_factory=list)

    def model_post_init(self, context: Any, /) -> None:
        self.compiled  # noqa: B018 - compile at load time, so a bad alternation fails early
        self.ascii_finders  # noqa: B018

    @cached_property
    def compiled(self) -> dict[str, re.Pattern[str] | None]:
        return {
            lang: compile_with_lookahead("|".join(f"(?:{p})" for p in items), REGEX_FLAGS)
            if items
            else None
            for lang, items in (("zh", self.zh), ("en", self.en))
        }

    def search(self, text: str, language: Language) -> re.Match[str] | None:
        rx = self.compiled[language]
        return rx.search(text) if rx is not None else None

    @cached_property
    def finders(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        """Per language, regexes one of which matches exactly when the alternation does."""
        return {
            lang: compile_finders(items, REGEX_FLAGS)
            for lang, items in (("zh", self.zh), ("en", self.en))
        }

    @cached_property
    def ascii_finders(self) -> dict[str, tuple[re.Pattern[str], ...] | None]:
        """Per language, case-sensitive finders for an ASCII text lower-cased (about twice as
        fast), when the patterns allow it (`lower_case_only`)."""
        return {
            lang: compile_finders(items, REGEX_FLAGS & ~re.IGNORECASE)
            if lower_case_only(items)
            else None
            for lang, items in (("zh", self.zh), ("en", self.en))
        }

    def found(self, text: str, language: Language) -> bool:
        finders = self.ascii_finders[language] if text.isascii() else None
        if finders is None:
            finders = self.finders[language]
        else:
            text = text.lower()
        for rx in finders:
            if rx.search(text) is not None:
                return True
        return False

    @cached_property
    def _earlier(self) -> dict[tuple[str, str], bool]:
        return {}

    def found_earlier(self, text: str, language: Language) -> bool:
        """Whether an earlier turn of the conversation matches, as written (remembered: every
        later turn of the call asks again of the same text)."""
        key = (text, language)
        hit = self._earlier.get(key)
        if hit is None:
            if len(self._earlier) >= EARLIER_REMEMBERED:
                self._earlier.clear()
            hit = self._earlier[key] = self.search(halfwidth(text), language) is not None
        return hit

    def phrase(self, text: str, language: Language, max_gap: int = 6) -> str | None:
        """The first run of matches no more than `max_gap` characters apart, as one phrase
        ("Tuesday" and "10am" in "next Tuesday at 10am" give "Tuesday at 10am")."""
        rx = self.compiled[language]
        if rx is None:
            return None
        start = end = -1
        for m in rx.finditer(text):
            if start < 0:
                start, end = m.start(), m.end()
            elif m.start() - end <= max_gap:
                end = max(end, m.end())
            else:
                break
        return text[start:end] if start >= 0 else None


class CueGroup(Patterns):
    """Patterns that add `weight` to a SPIN type's score once if any of them matches."""

    weight: float = Field(gt=0, le=20)
    note: str = ""


# ---- opener.yaml -------------------------------------------------------------------------


class SpeechRates(_Strict):
    zh_chars_per_second: float = Field(gt=0, le=20)
    en_words_per_second: float = Field(gt=0, le=10)


class OpenerCues(_Strict):
    introduced_self: Patterns
    stated_purpose: Patterns
    named_pain: Patterns
    asked_for_time: Patterns

    def of(self, check: str) -> Patterns:
        patterns: Patterns = getattr(self, check)
        return patterns


class OpenerRules(_Strict):
    limit_seconds: float = Field(gt=0, le=600)
    # The opener's purpose line is not a pitch; a claim longer than this is one.
    purpose_max_seconds: float = Field(default=8, gt=0, le=60)
    speech_rates: SpeechRates
    checks: OpenerCues
    description: Bilingual | None = None


# ---- spin.yaml ---------------------------------------------------------------------------


class QuestionCues(_Strict):
    """How a sentence is recognised as a question and whether it is open or closed.

    A sentence is a question when `marks` or `requests` match. Its openness is read from its
    last clause that any of requests/closed/quantity/open matches (its first, in the languages
    of `first_clause`), tested in that order: requests and open mean open, closed and quantity
    (one value) mean closed; a question no cue matches is closed.
    """

    marks: Patterns
    requests: Patterns
    closed: Patterns
    quantity: Patterns
    open: Patterns
    clause_split: Pattern
    sentence_split: Pattern
    first_clause: list[Language] = Field(default_factory=list)

    @cached_property
    def _sentence_rx(self) -> re.Pattern[str]:
        return re.compile(self.sentence_split)

    @cached_property
    def _clause_rx(self) -> re.Pattern[str]:
        return re.compile(self.clause_split)

    def sentences(self, text: str) -> list[str]:
        return [s for s in (p.strip() for p in self._sentence_rx.split(text)) if s]

    def clauses(self, sentence: str) -> list[str]:
        return [c for c in (p.strip() for p in self._clause_rx.split(sentence)) if c]


class SpinTypeRules(_Strict):
    label: Bilingual
    definition: Bilingual
    cues: list[CueGroup] = Field(min_length=1)
    counter: list[CueGroup] = Field(default_factory=list)


class NonSpinRules(_Strict):
    definition: Bilingual
    # A question showing one of these signals scores the weight for "no SPIN type".
    signal_weights: dict[SignalName, float]


class SpinRules(_Strict):
    questions: QuestionCues
    types: dict[SpinKind, SpinTypeRules]
    non_spin: NonSpinRules
    # A question with no cue for any type is taken as a situation question.
    default_type: SpinKind
    # Resolves equal scores; "none" stands for no SPIN type.
    tie_order: list[SpinKind | Literal["none"]]
    # The method's own words asked bare ("Problem?", 难点?): a label, not a question.
    bare_labels: dict[Language, frozenset[str]] = Field(default_factory=dict)

    @cached_property
    def tie_rank(self) -> dict[str, int]:
        return {str(kind): i for i, kind in enumerate(self.tie_order)}


# ---- signals.yaml ------------------------------------------------------------------------


class NextStepCues(_Strict):
    # A next step is proposed when a form is named together with a proposal cue or a time.
    proposal: Patterns
    concrete_time: Patterns
    forms: dict[str, Patterns] = Field(min_length=1)


class ContextCues(_Strict):
    """What the coach reads from the conversation around a rep turn."""

    # The customer names a pain / states what a solution is worth, in their own words.
    customer_pain: Patterns
    customer_payoff: Patterns
    # The rep ties a claim to what the customer said ("the 40k you mentioned", 您刚才说的).
    value_link: Patterns
    # Share of character n-grams an answered earlier question must share to be asked again.
    repeat_min_similarity: float = Field(gt=0, le=1)
    # Share of a summary's content words the customer said before: below it, the rep restates
    # something the customer never said, which is not a summary.
    summary_min_echo: float = Field(default=0.0, ge=0, le=1)
    # Rep turns of rapport; small talk after them (or after business began) is off topic.
    rapport_turns: int = Field(ge=0, le=20)


class SignalCues(_Strict):
    pitch: Patterns
    value_point: Patterns
    small_talk: Patterns
    greeting: Patterns
    thanks: Patterns
    acknowledgement: Patterns
    repeat_request: Patterns
    next_step: NextStepCues
    summary: Patterns
    thanks_for_time: Patterns
    meta: Patterns
    goodbye: Patterns
    hard_close: Patterns
    off_topic: Patterns
    context: ContextCues


# ---- flags.yaml --------------------------------------------------------------------------


class TooLong(_Strict):
    max_words: int = Field(gt=0, description="English words in one turn")
    max_chars: int = Field(gt=0, description="Chinese characters in one turn")


class FlagRules(_Strict):
    too_long: TooLong
    multiple_questions: int = Field(ge=2, description="questions in one turn that raise the flag")
    max_value_points: int = Field(ge=1, description="product points per turn (manual: 1-2)")
    no_question_exempt: list[SignalName] = Field(default_factory=list)
    enabled: list[FlagName]
    # What the pages call each flag, in both languages.
    labels: dict[FlagName, Bilingual] = Field(default_factory=dict)


# ---- tips.yaml ---------------------------------------------------------------------------


class TipRules(_Strict):
    flags: dict[FlagName, Bilingual]
    opener: dict[OpenerCheckName, Bilingual]
    opener_complete: Bilingual
    # After a good turn: what to do next, by the SPIN type just asked.
    next_move: dict[SpinKind, Bilingual]
    default: Bilingual
    # Which tip wins when several apply: flag names and "opener.<check>" entries.
    priority: list[str] = Field(min_length=1)


# ---- scenarios.yaml ----------------------------------------------------------------------


class Stage(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Bilingual
    goal: Bilingual


class ScenarioRules(_Strict):
    label: Bilingual
    # The first rep turn is checked as a 30-second opener.
    opener_on_first_turn: bool = False
    # Rep turns at the start that should build rapport before business (manual 三(二) 1).
    rapport_turns: int = Field(default=0, ge=0, le=10)
    stages: list[Stage] = Field(min_length=1)


# ---- learned.yaml ------------------------------------------------------------------------

LearnedBehaviour = Literal[
    "small_talk",
    "acknowledgement",
    "summary",
    "value_point",
    "pitch",
    "hard_close",
    "off_topic",
    "meta",
    "goodbye",
    "next_step",
]


class LearningRules(_Strict):
    """Where the learned layer may decide and where the rules stand (app/coach/learned.py)."""

    model_file: str = Field(pattern=r"^[\w.-]+\.json$")
    spin_rules_win_at: float = Field(gt=0, le=100)
    rules_decide: list[LearnedBehaviour] = Field(default_factory=list)
    # Behaviours where a rule cue found stands (the learned layer may add, not remove).
    rules_stand: list[LearnedBehaviour] = Field(default_factory=list)
    # Behaviours where the cue of signals.yaml stands when it matches the turn (narrower than
    # `rules_stand`: the rules' own reading may add more, from the conversation).
    cues_stand: list[Literal["off_topic", "hard_close"]] = Field(default_factory=list)
    # Behaviours the learned layer may add only where one of these signals.yaml cues matches
    # the turn (a goodbye says goodbye or thanks: "好的,都记下了" late in a call is no goodbye).
    needs_cue: dict[LearnedBehaviour, list[Literal["goodbye", "thanks_for_time", "thanks"]]] = (
        Field(default_factory=dict)
    )
    # Behaviours that ask no SPIN question when the reading ends with them (SPIN.md: a remark
    # off the topic, words to the program, a summary checked back, a close, a next step).
    no_spin_with: list[LearnedBehaviour] = Field(default_factory=list)
    # A behaviour head says yes from this probability on (0.5 for a head not listed).
    thresholds: dict[LearnedBehaviour, Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=dict
    )
    # Whether words to the program (meta) are also off the topic: SPIN.md lists "the simulator
    # itself" among off-topic remarks, and labellers split on it ("learned": the head decides).
    meta_off_topic: Literal["never", "always", "learned"] = "never"

    def threshold(self, behaviour: str) -> float:
        """The probability from which a behaviour head says yes."""
        return cast("dict[str, float]", self.thresholds).get(behaviour, 0.5)

    # Pairs of behaviours labellers never mark together: the likelier one stands.
    exclusive: list[tuple[LearnedBehaviour, LearnedBehaviour]] = Field(default_factory=list)
    # Word lists the learned layer sees as features (`k.<name>`); alone they decide nothing.
    cues: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], Patterns] = Field(default_factory=dict)


class CoachRules(_Strict):
    opener: OpenerRules
    spin: SpinRules
    signals: SignalCues
    flags: FlagRules
    tips: TipRules
    scenarios: dict[Literal["cold_call", "discovery"], ScenarioRules]
    learning: LearningRules
    # The trained model named by learning.model_file, when that file exists.
    learned: LearnedModel | None = None


SECTIONS: dict[str, str] = {
    "opener": "opener.yaml",
    "spin": "spin.yaml",
    "signals": "signals.yaml",
    "flags": "flags.yaml",
    "tips": "tips.yaml",
    "scenarios": "scenarios.yaml",
    "learning": "learned.yaml",
}


class _Scenarios(_Strict):
    scenarios: dict[Literal["cold_call", "discovery"], ScenarioRules]


def _section(name: str, data: dict[str, Any], path: Path) -> Any:
    """One file validated as its CoachRules field; errors name the file and the field."""
    try:
        if name == "scenarios":
            return _Scenarios.model_validate({"scenarios": data}).scenarios
        model = CoachRules.model_fields[name].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        if name == "scenarios":
            loc = loc[1:]
        raise PlaybookError(str(path), ".".join(loc) or "(root)", err["msg"]) from exc


def _check_complete(rules: CoachRules, dir: Path) -> None:
    """Cross-file checks: every SPIN type, scenario, flag and missed check has what it needs."""
    folder = dir / FOLDER
    spin_file, tips_file = str(folder / SECTIONS["spin"]), str(folder / SECTIONS["tips"])
    for kind in SPIN_KINDS:
        if kind not in rules.spin.types:
            raise PlaybookError(spin_file, "types", f"missing SPIN type {kind!r}")
        if kind not in rules.tips.next_move:
            raise PlaybookError(tips_file, "next_move", f"missing tip for {kind!r}")
    for scenario in ("cold_call", "discovery"):
        if scenario not in rules.scenarios:
            raise PlaybookError(
                str(folder / SECTIONS["scenarios"]), "(root)", f"missing {scenario}"
            )
    for flag in rules.flags.enabled:
        if flag not in rules.tips.flags:
            raise PlaybookError(tips_file, "flags", f"missing tip for flag {flag!r}")
    for check in OPENER_CHECKS:
        if check not in rules.tips.opener:
            raise PlaybookError(tips_file, "opener", f"missing tip for check {check!r}")
    known = {*FLAG_NAMES, *(f"opener.{c}" for c in OPENER_CHECKS)}
    for i, entry in enumerate(rules.tips.priority):
        if entry not in known:
            raise PlaybookError(tips_file, f"priority.{i}", f"unknown entry {entry!r}")
    for flag in rules.flags.enabled:
        if flag not in rules.tips.priority:
            raise PlaybookError(tips_file, "priority", f"flag {flag!r} has no place")
    formatter = string.Formatter()
    tips: list[tuple[str, Bilingual]] = [
        *((f"flags.{k}", v) for k, v in rules.tips.flags.items()),
        *((f"opener.{k}", v) for k, v in rules.tips.opener.items()),
        *((f"next_move.{k}", v) for k, v in rules.tips.next_move.items()),
        ("opener_complete", rules.tips.opener_complete),
        ("default", rules.tips.default),
    ]
    for where, tip in tips:
        for lang in LANGUAGES:
            try:
                names = {f for _, f, _, _ in formatter.parse(tip[lang]) if f is not None}
            except ValueError as exc:
                raise PlaybookError(tips_file, f"{where}.{lang}", str(exc)) from exc
            unknown = names - TIP_FIELDS
            if unknown:
                raise PlaybookError(
                    tips_file,
                    f"{where}.{lang}",
                    f"unknown placeholder {sorted(unknown)[0]!r}; use {sorted(TIP_FIELDS)}",
                )


def load(dir: Path) -> CoachRules:
    """Read and validate playbook/coach/*.yaml under the playbook folder `dir`."""
    folder = dir / FOLDER
    parts: dict[str, Any] = {}
    for name, file in SECTIONS.items():
        path = folder / file
        if not path.is_file():
            raise PlaybookError(str(path), "(file)", "missing")
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise PlaybookError(str(path), "(root)", "must be a mapping")
        parts[name] = _section(name, data, path)
    rules = CoachRules(**parts)
    _check_complete(rules, dir)
    model_path = folder / rules.learning.model_file
    try:
        rules.learned = learned.load_model(model_path)
    except (ValueError, ValidationError) as exc:
        raise PlaybookError(str(model_path), "(file)", f"not a model file: {exc}") from exc
    return rules
