"""Rules for the needs record, loaded from playbook/needs.yaml.

Priority cues sort needs into must / expected / optional from the customer's own words
(manual 三(二) step 3), need-type cues and the potential / follow-up tables produce the CRM
tags of 三(一) step 4, and the match thresholds say how much of a text the customer's turn
must contain for it to count as said there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.playbook.files import load_section, parse_section
from app.playbook.persona import Language, Priority

Level = Literal["high", "medium", "low"]
NextStepState = Literal["agreed", "deferred", "none"]

FILE = "needs.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cues(_Strict):
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    def for_language(self, language: Language) -> list[str]:
        return self.zh if language == "zh" else self.en

    def all(self) -> list[str]:
        return [*self.zh, *self.en]


class PriorityCue(Cues):
    priority: Priority


class Label(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_(self, language: Language) -> str:
        return self.zh if language == "zh" else self.en


class NeedType(Cues):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label


class PotentialPoints(_Strict):
    problem: float = 1
    implication: float = 1
    need_payoff: float = 2
    must_need: float = 2
    next_step_agreed: float = 3
    next_step_deferred: float = 1
    decision_maker: float = 1
    hung_up: float = -3


class PotentialRules(_Strict):
    points: PotentialPoints = Field(default_factory=PotentialPoints)
    high_from: float
    medium_from: float

    @model_validator(mode="after")
    def _ordered(self) -> PotentialRules:
        if self.medium_from > self.high_from:
            raise ValueError("medium_from must not exceed high_from")
        return self

    def level(self, points: float) -> Level:
        if points >= self.high_from:
            return "high"
        if points >= self.medium_from:
            return "medium"
        return "low"


class NextStepActs(_Strict):
    accepted: list[str] = Field(default_factory=lambda: ["accept_next_step"])
    deferred: list[str] = Field(default_factory=lambda: ["defer_next_step", "counter_next_step"])


class MatchThresholds(_Strict):
    fact_support: float = Field(default=0.6, gt=0, le=1)
    refine_support: float = Field(default=0.6, gt=0, le=1)


class NextActionTexts(_Strict):
    """Appendix 3 next-action lines; placeholders {time} {form} {proposal}."""

    agreed: Label
    deferred: Label
    none: Label

    def for_state(self, state: NextStepState) -> Label:
        return {"agreed": self.agreed, "deferred": self.deferred, "none": self.none}[state]


class NeedsRules(_Strict):
    priority_cues: list[PriorityCue] = Field(min_length=1)
    need_types: list[NeedType] = Field(min_length=1)
    potential: PotentialRules
    follow_up: dict[Level, dict[NextStepState, Level]]
    non_answer_acts: list[str] = Field(default_factory=list)
    # Hedges and fillers: a customer turn made only of these discloses nothing.
    evasions: Cues = Field(default_factory=Cues)
    next_step_acts: NextStepActs = Field(default_factory=NextStepActs)
    match: MatchThresholds = Field(default_factory=MatchThresholds)
    next_action: NextActionTexts

    def with_evasions(self, zh: list[str], en: list[str]) -> NeedsRules:
        """These rules with more evasions (the role-played customer's own lines)."""
        more = Cues(zh=[*self.evasions.zh, *zh], en=[*self.evasions.en, *en])
        return self.model_copy(update={"evasions": more})

    @model_validator(mode="after")
    def _complete_follow_up(self) -> NeedsRules:
        for level in ("high", "medium", "low"):
            row = self.follow_up.get(level)
            if row is None:
                raise ValueError(f"follow_up needs a row for potential level {level!r}")
            missing = [s for s in ("agreed", "deferred", "none") if s not in row]
            if missing:
                raise ValueError(f"follow_up.{level} misses {', '.join(missing)}")
        ids = [t.id for t in self.need_types]
        if len(ids) != len(set(ids)):
            raise ValueError("need_types ids must be unique")
        return self

    def need_type(self, type_id: str) -> NeedType | None:
        return next((t for t in self.need_types if t.id == type_id), None)


def parse(data: Any, source: str) -> NeedsRules:
    return parse_section(NeedsRules, data, source)


def load(dir: Path) -> NeedsRules:
    return load_section(NeedsRules, dir / FILE)
