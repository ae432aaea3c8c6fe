"""A trainer's correction of the coach's reading of one rep turn."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.coach.schemas import Behaviours, Coaching, NextStepSignal, Openness, SpinType
from app.roleplay.schemas import TurnOut


class NextStepPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposed: bool | None = None
    has_concrete_time: bool | None = None
    time_text: str | None = Field(default=None, max_length=200)


class SignalsPatch(BaseModel):
    """Only the behaviours given are corrected; the others keep the coach's reading."""

    model_config = ConfigDict(extra="forbid")

    small_talk: bool | None = None
    acknowledgement: bool | None = None
    summary: bool | None = None
    value_point: bool | None = None
    pitch: bool | None = None
    hard_close: bool | None = None
    off_topic: bool | None = None
    meta: bool | None = None
    goodbye: bool | None = None
    repeat_of: int | None = Field(default=None, ge=1)
    next_step: NextStepPatch | None = None


class LabelIn(BaseModel):
    """`PUT .../turns/{seq}/label`: a field left out keeps the coach's (or the last) reading;
    `"spin": null` says the turn is not a SPIN question."""

    model_config = ConfigDict(extra="forbid")

    spin: SpinType | None = None
    question: Openness | None = None
    signals: SignalsPatch | None = None


class LabelSignals(Behaviours):
    @classmethod
    def of(cls, reading: Coaching | None) -> LabelSignals:
        """The behaviours of the coach's reading, as a label states them."""
        if reading is None:
            return cls()
        return cls.model_validate(reading.signals.model_dump(include=set(cls.model_fields)))


class TrainerLabel(BaseModel):
    spin: SpinType | None
    question: Openness | None
    signals: LabelSignals
    by: str | None
    at: datetime

    def agrees_with(self, reading: Coaching | None) -> dict[str, bool]:
        """Per aspect, whether the coach's reading says what the trainer says."""
        coach_signals = LabelSignals.of(reading)
        mine, theirs = self.signals.model_dump(), coach_signals.model_dump()
        mine["next_step"] = _step_key(self.signals.next_step)
        theirs["next_step"] = _step_key(coach_signals.next_step)
        return {
            "spin": reading is not None and reading.spin == self.spin,
            "question": reading is not None and reading.question == self.question,
            "signals": mine == theirs,
        }


def _step_key(step: NextStepSignal) -> tuple[bool, bool]:
    # The time's exact wording is not a disagreement; whether one was proposed, and with a time, is.
    return step.proposed, step.has_concrete_time


class LabelledTurnOut(TurnOut):
    trainer_label: TrainerLabel | None = None
