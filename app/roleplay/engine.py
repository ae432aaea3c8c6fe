"""The customer engine protocol shared by the scripted and the LLM engines.

The state machine (app/roleplay/state.py) has already decided what the customer does and which
facts may be said on this turn; an engine only phrases that decision, streaming text deltas.
An engine never reveals a fact that is not in `ctx.decision.facts` or already in the history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from app.coach.schemas import Scenario
from app.playbook.customer import CustomerRules
from app.playbook.persona import Language, Persona
from app.roleplay.state import Decision
from app.roleplay.transcript import TranscriptTurn


class ReplyContext(BaseModel):
    """Everything an engine may use to phrase one customer reply."""

    model_config = ConfigDict(frozen=True)

    persona: Persona
    scenario: Scenario
    language: Language
    decision: Decision
    history: list[TranscriptTurn]  # the turns before this rep turn, in order
    rep_text: str
    rules: CustomerRules
    session_id: str


class CustomerEngine(Protocol):
    name: str
    # The prompt template version (hash) behind each reply; None when no prompt is used.
    prompt_version: str | None

    def stream(self, ctx: ReplyContext) -> AsyncIterator[str]:
        """The customer's reply as text deltas; joined, they are the whole reply."""
        ...


@runtime_checkable
class InstantEngine(CustomerEngine, Protocol):
    """An engine that composes the whole reply in-process, without I/O, and cannot fail for
    want of a provider: its turn stores the rep turn and the reply in one transaction."""

    def deltas(self, ctx: ReplyContext) -> list[str]:
        """The reply as the deltas `stream` would yield."""
        ...
