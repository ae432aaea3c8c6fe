"""The coaching object of CONTRACT.md, plus the signals other domains read from a rep turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from pydantic import BaseModel, Field

from app.playbook.persona import FactKind, Language

SpinType = Literal["situation", "problem", "implication", "need_payoff"]
SPIN_ORDER: tuple[SpinType, ...] = get_args(SpinType)
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


class Behaviours(BaseModel):
    """The behaviours of SPIN.md, judged in the conversation so far (`/coach/analyze` fills what
    one utterance alone allows). `repeat_of` is the seq of the earlier rep turn asked again.
    A trainer's label states exactly these."""

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


class Signals(Behaviours):
    """What the rep did in this turn, beyond the SPIN label; read by the customer and the scorer:
    the behaviours, and the measures the coach takes along the way."""

    question_count: int = 0
    # No words to the customer at all: emoji only, keyboard mashing ("qwkjh zzxv", "😀😀").
    noise: bool = False
    # A SPIN question asking for one value ("how much did that cost?"): closed by SPIN.md,
    # yet it invites the customer to give the fact.
    asks_value: bool = False
    estimated_seconds: float = 0.0
    # What the turn's questions are about (the whole turn when it asks nothing): its Latin
    # words lowercased and its runs of Han characters, in order. The customer matches these
    # against the persona's facts, so it never reads the rep's raw text.
    topic: list[str] = Field(default_factory=list)


class Coaching(BaseModel):
    language: Language
    spin: SpinType | None = None
    question: Openness | None = None
    flags: list[str] = Field(default_factory=list)
    opener: OpenerCheck | None = None
    tip: str = ""
    signals: Signals = Field(default_factory=Signals)


class Revealed(BaseModel):
    """A fact the customer disclosed in a turn (from the customer state machine)."""

    # `public`: what any buyer tells (budget, who decides...), not a SPIN fact.
    kind: FactKind | Literal["public"]
    text: str = ""


class EarlierTurn(BaseModel):
    """A turn before the one being read: rep turns with the coach's stored reading, customer
    turns with the facts they revealed."""

    seq: int
    speaker: Literal["rep", "customer"]
    text: str
    coaching: Coaching | None = None
    revealed: list[Revealed] = Field(default_factory=list)


class CoachContext(BaseModel):
    """The conversation so far, as the coach reads a rep turn in it (pure data, no I/O).

    `earlier` holds the turns before this one in order. `problem_known` and `rep_turn_index`
    can be given without turns (a terminal session, a test); `of` derives them from the turns.
    """

    scenario: Scenario | None = None
    earlier: list[EarlierTurn] = Field(default_factory=list)
    problem_known: bool = False
    rep_turn_index: int = 0

    @classmethod
    def of(cls, scenario: Scenario | None, earlier: Sequence[EarlierTurn]) -> CoachContext:
        turns = list(earlier)
        return cls(
            scenario=scenario,
            earlier=turns,
            problem_known=any(f.kind == "problem" for t in turns for f in t.revealed),
            rep_turn_index=sum(1 for t in turns if t.speaker == "rep"),
        )

    @property
    def rep_turns(self) -> list[EarlierTurn]:
        return [t for t in self.earlier if t.speaker == "rep"]

    @property
    def customer_turns(self) -> list[EarlierTurn]:
        return [t for t in self.earlier if t.speaker == "customer"]

    def revealed(self, kind: FactKind) -> bool:
        return any(f.kind == kind for t in self.earlier for f in t.revealed)

    @property
    def stage(self) -> SpinType | None:
        """The furthest SPIN type the rep has asked so far (S -> P -> I -> N)."""
        asked = {t.coaching.spin for t in self.rep_turns if t.coaching and t.coaching.spin}
        return next((k for k in reversed(SPIN_ORDER) if k in asked), None)
