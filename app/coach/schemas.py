"""The coaching object of CONTRACT.md, plus the signals other domains read from a rep turn."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.playbook.persona import Language

SpinType = Literal["situation", "problem", "implication", "need_payoff"]
Openness = Literal["open", "closed"]
Scenario = Literal["cold_call", "discovery"]


class OpenerCheck(BaseModel):
    introduced_self: bool
    stated_purpose: bool
    named_pain: bool
    asked_for_time: bool
    within_30_seconds: bool
    estimated_seconds: float


class NextStepSignal(BaseModel):
    """A proposed next step: a meeting, call, demo or material with (ideally) a concrete time."""

    proposed: bool = False
    has_concrete_time: bool = False
    time_text: str | None = None
    form: str | None = None


class Signals(BaseModel):
    """What the rep did in this turn, beyond the SPIN label; read by the customer and the scorer.

    The behaviours of SPIN.md, judged in the conversation so far (`/coach/analyze` fills what
    one utterance alone allows). `repeat_of` is the seq of the earlier rep turn asked again.
    """

    small_talk: bool = False
    acknowledgement: bool = False
    summary: bool = False
    value_point: bool = False
    pitch: bool = False
    hard_close: bool = False
    off_topic: bool = False
    meta: bool = False
    goodbye: bool = False
    repeat_of: int | None = None
    next_step: NextStepSignal = Field(default_factory=NextStepSignal)
    question_count: int = 0
    # A SPIN question asking for one value ("how much did that cost?"): closed by SPIN.md,
    # yet it invites the customer to give the fact.
    asks_value: bool = False
    estimated_seconds: float = 0.0


class CoachContext(BaseModel):
    """What the coach needs to know about the conversation so far (no I/O)."""

    scenario: Scenario | None = None
    problem_known: bool = False
    rep_turn_index: int = 0


class Coaching(BaseModel):
    language: Language
    spin: SpinType | None = None
    question: Openness | None = None
    flags: list[str] = Field(default_factory=list)
    opener: OpenerCheck | None = None
    tip: str = ""
    signals: Signals = Field(default_factory=Signals)
