"""A transcript as the pure domains (coach, customer state, needs, scoring) see it: no DB types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.coach.schemas import Coaching
from app.playbook.persona import FactKind, PublicTopic

Speaker = Literal["rep", "customer"]
# A hidden fact's kind, or `public`: what a buyer tells anyone who asks (no SPIN gating).
RevealedKind = FactKind | Literal["public"]


class RevealedFact(BaseModel):
    """A persona fact the customer disclosed in one turn (hidden, or public on its topic)."""

    kind: RevealedKind
    id: str
    text: str
    problem_id: str | None = None
    topic: PublicTopic | None = None


class StepOffer(BaseModel):
    """A next step as the customer holds it: the time it offered instead (a counter) or the time
    agreed, with the step's form and the rep turn that first proposed it."""

    time: str
    form: str | None = None
    proposed_seq: int | None = None
    # The rep's time the customer could not make (a counter only).
    declined: str | None = None


class TranscriptTurn(BaseModel):
    seq: int
    speaker: Speaker
    text: str
    coaching: Coaching | None = None
    # Customer turns only: what the state machine allowed and what the customer did.
    revealed: list[RevealedFact] = Field(default_factory=list)
    act: str | None = None
    # Customer turns only: the step it countered with or agreed to (its time and form).
    next_step: StepOffer | None = None
