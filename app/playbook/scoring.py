"""The scorecard rubric, loaded from playbook/scoring.yaml.

Each criterion id names one rule implemented in app/needs/scorecard.py; the YAML gives its
label, maximum, scenarios, thresholds (`params`) and comment templates. Loading checks that
every rule gets the thresholds it reads and that templates only use the placeholders the
rule fills, so a typo fails at start-up instead of in a rep's scorecard.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.coach.schemas import Scenario
from app.playbook.files import load_section, parse_section
from app.playbook.persona import Language

FILE = "scoring.yaml"

CriterionId = Literal[
    "opener",
    "rapport",
    "spin_coverage",
    "spin_order",
    "implication_depth",
    "open_questions",
    "talk_ratio",
    "premature_pitch",
    "value_points",
    "next_step",
    "discovery_coverage",
    "conduct",
    "listening",
]
CommentLevel = Literal["good", "partial", "poor"]
OpenerCheckId = Literal[
    "introduced_self", "stated_purpose", "named_pain", "asked_for_time", "within_30_seconds"
]

# What each rule reads from `params` and which placeholders its comments may use.
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "rapport": ("late_fraction",),
    "spin_order": ("min_questions",),
    "implication_depth": ("target_questions",),
    "open_questions": ("full_at", "zero_at"),
    "talk_ratio": ("full_at", "zero_at"),
    "premature_pitch": ("penalty_per_pitch",),
    "value_points": ("limit", "min_shared_tokens"),
    "next_step": ("deferred_fraction", "vague_fraction"),
    "discovery_coverage": ("full_at",),
    "conduct": ("penalty_per_turn",),
    "listening": ("summary_share", "summary_min_shared", "summary_min_support"),
}
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "opener": frozenset({"passed", "missing", "seconds"}),
    "rapport": frozenset({"first_business"}),
    "spin_coverage": frozenset({"asked", "missing"}),
    "spin_order": frozenset({"out_of_order", "total", "min_questions"}),
    "implication_depth": frozenset({"count", "target", "revealed"}),
    "open_questions": frozenset({"ratio", "open", "closed"}),
    "talk_ratio": frozenset({"ratio"}),
    "premature_pitch": frozenset({"count"}),
    "value_points": frozenset({"tied", "untied", "count", "limit"}),
    "next_step": frozenset({"time", "form"}),
    "discovery_coverage": frozenset({"found", "total"}),
    "conduct": frozenset({"count", "off_topic", "meta", "repeats", "hard_closes"}),
    "listening": frozenset({"summaries", "ignored", "statements"}),
}
# Every comment may also say how much of the call got answered (engagement).
ENGAGEMENT_PLACEHOLDERS = frozenset({"answered", "engaged_at"})
# `{name_s}` after a count is "s" unless the count is 1: "{count} question{count_s}".
PLURAL = "_s"


def _with_plurals(names: set[str] | frozenset[str]) -> frozenset[str]:
    return frozenset(names) | {name + PLURAL for name in names}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Label(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_(self, language: Language) -> str:
        return self.zh if language == "zh" else self.en


class Comments(_Strict):
    good: Label
    partial: Label
    poor: Label
    # For criteria scaled by engagement: the rep did nothing wrong here, but too few of their
    # questions got an answer for the points to count ({answered} of {engaged_at}).
    thin: Label | None = None

    def pick(self, level: CommentLevel) -> Label:
        return {"good": self.good, "partial": self.partial, "poor": self.poor}[level]


class Criterion(_Strict):
    id: CriterionId
    label: Label
    max_points: float = Field(gt=0, le=100)
    scenarios: list[Scenario] = Field(min_length=1)
    params: dict[str, float] = Field(default_factory=dict)
    # Points scale with engagement: a criterion a rep "passes" by asking nothing (no pitch,
    # no misconduct, a low talk ratio) pays in full only once enough questions got answers.
    engagement: bool = False
    comments: Comments

    @model_validator(mode="after")
    def _params_and_placeholders(self) -> Criterion:
        missing = [p for p in REQUIRED_PARAMS.get(self.id, ()) if p not in self.params]
        if missing:
            raise ValueError(f"criterion {self.id!r} needs params: {', '.join(missing)}")
        if self.engagement and self.comments.thin is None:
            raise ValueError(f"criterion {self.id!r} is scaled by engagement: add comments.thin")
        allowed = _with_plurals(PLACEHOLDERS[self.id] | ENGAGEMENT_PLACEHOLDERS)
        labels = [self.comments.pick(level) for level in ("good", "partial", "poor")]
        if self.comments.thin is not None:
            labels.append(self.comments.thin)
        for label in labels:
            for text in (label.zh, label.en):
                used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                unknown = sorted(used - allowed)
                if unknown:
                    raise ValueError(
                        f"a comment of {self.id!r} uses unknown placeholders "
                        f"{', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
                    )
        return self


class Band(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]{0,19}$")
    min_total: float = Field(ge=0, le=100)
    label: Label


class CommentLevels(_Strict):
    good: float = Field(default=0.8, gt=0, le=1)
    partial: float = Field(default=0.4, ge=0, le=1)


class SpeechRate(_Strict):
    zh_chars_per_second: float = Field(default=4.0, gt=0)
    en_words_per_second: float = Field(default=2.5, gt=0)


class Engagement(_Strict):
    """How many answered SPIN questions make a conversation count in full."""

    full_at: int = Field(default=4, ge=1, le=20)


class Deduction(_Strict):
    """Points taken off the total for each turn that games or leaves the call (off-topic,
    meta or gibberish, a repeat, a hard close before any need-payoff), beyond `free_turns`
    (one slip is not gaming). Shown in the scorecard as a line with negative points and
    `max_points` 0, citing each turn; the other criteria's maxima still add up to 100."""

    id: str = Field(default="misconduct", pattern=r"^[a-z][a-z_]{0,29}$")
    label: Label
    points_per_turn: float = Field(ge=0, le=100)
    free_turns: int = Field(default=1, ge=0, le=20)
    # placeholders: {count} {charged} {points} {free}
    comments: Comments

    @model_validator(mode="after")
    def _placeholders(self) -> Deduction:
        allowed = _with_plurals({"count", "charged", "points", "free"})
        for level in ("good", "partial", "poor"):
            label = self.comments.pick(level)
            for text in (label.zh, label.en):
                used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                if used - allowed:
                    raise ValueError(
                        f"the deduction's comments use unknown {sorted(used - allowed)}"
                    )
        return self


class ScoringRubric(_Strict):
    criteria: list[Criterion] = Field(min_length=1)
    deduction: Deduction | None = None
    engagement: Engagement = Field(default_factory=Engagement)
    bands: list[Band] = Field(min_length=1)
    opener_checks: dict[OpenerCheckId, Label]
    comment_levels: CommentLevels = Field(default_factory=CommentLevels)
    speech_rate: SpeechRate = Field(default_factory=SpeechRate)

    @model_validator(mode="after")
    def _consistent(self) -> ScoringRubric:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("criterion ids must be unique")
        if not any(b.min_total == 0 for b in self.bands):
            raise ValueError("one band must start at min_total 0")
        self.bands.sort(key=lambda b: b.min_total, reverse=True)
        if len(self.opener_checks) != 5:
            raise ValueError("opener_checks needs a label for each of the 5 opener checks")
        return self

    def band_for(self, total: float) -> Band:
        return next(b for b in self.bands if total >= b.min_total)

    def comment_level(self, fraction: float) -> CommentLevel:
        if fraction >= self.comment_levels.good:
            return "good"
        if fraction >= self.comment_levels.partial:
            return "partial"
        return "poor"


def parse(data: Any, source: str) -> ScoringRubric:
    return parse_section(ScoringRubric, data, source)


def load(dir: Path) -> ScoringRubric:
    return load_section(ScoringRubric, dir / FILE)
