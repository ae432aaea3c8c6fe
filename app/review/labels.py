"""Trainer corrections as labelled data, in data/labelled/'s conversation format.

Each session with at least one corrected rep turn becomes one conversation: every turn in
order, so the reading keeps its context; a corrected rep turn carries the trainer's labels
(spin, question, behaviours, next_step, repeat_of) and who labelled it when; a rep turn no
trainer corrected is marked `context_only: true` and is not a training example.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.coach.labelled import BEHAVIOURS
from app.coach.schemas import Openness, SpinType
from app.db import utcnow
from app.review.models import TurnLabel
from app.review.schemas import LabelSignals
from app.roleplay.models import PracticeSession, Turn


class NextStepLabel(BaseModel):
    time: str | None = None


class LabelledTurn(BaseModel):
    """One turn of a labelled conversation: a customer line, or a rep line with its labels."""

    model_config = ConfigDict(extra="allow")

    rep: str | None = None
    customer: str | None = None
    spin: SpinType | None = None
    question: Openness | None = None
    behaviours: list[str] = Field(default_factory=list)
    next_step: NextStepLabel | None = None
    repeat_of: int | None = None
    context_only: bool = False

    @field_validator("behaviours")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(BEHAVIOURS))
        if unknown:
            raise ValueError(f"unknown behaviours: {', '.join(unknown)}")
        return value


class LabelledConversation(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    scenario: Literal["cold_call", "discovery"]
    language: Literal["zh", "en"] | None = None
    customer: dict[str, str] = Field(default_factory=dict)
    turns: list[LabelledTurn]


class LabelledBatch(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: str
    language: Literal["zh", "en"] | None = None
    written_by: str
    tuned_on: bool
    split: Literal["train", "holdout"]
    conversations: list[LabelledConversation]


def rep_labels(signals: LabelSignals) -> dict[str, Any]:
    """The behaviours, next step and repeat of a label, as the labelled format writes them."""
    step = signals.next_step
    return {
        "behaviours": [b for b in BEHAVIOURS if getattr(signals, b)],
        "next_step": {"time": step.time_text if step.has_concrete_time else None}
        if step.proposed
        else None,
        "repeat_of": signals.repeat_of,
    }


async def export_batch(
    db: AsyncSession, *, language: str | None = None, since: datetime | None = None
) -> dict[str, Any]:
    """Every session holding a trainer correction, as one labelled batch (a YAML-ready dict)."""
    labelled = select(Turn.session_id).join(TurnLabel, TurnLabel.turn_id == Turn.id)
    if since is not None:
        labelled = labelled.where(TurnLabel.labelled_at >= since)
    stmt = select(PracticeSession).where(PracticeSession.id.in_(labelled.distinct()))
    if language:
        stmt = stmt.where(PracticeSession.language == language)
    sessions = list((await db.scalars(stmt.order_by(PracticeSession.created_at))).all())
    conversations = [await _conversation(db, s) for s in sessions]
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return {
        "batch": f"trainer_labels_{language or 'all'}_{stamp}",
        **({"language": language} if language else {}),
        "written_by": "trainers' corrections of the coach, exported by `salescoach labels export`",
        "tuned_on": False,
        "split": "train",
        "conversations": conversations,
    }


async def _conversation(db: AsyncSession, session: PracticeSession) -> dict[str, Any]:
    rows = await db.execute(
        select(Turn, TurnLabel, User.username)
        .outerjoin(TurnLabel, TurnLabel.turn_id == Turn.id)
        .outerjoin(User, User.id == TurnLabel.labelled_by)
        .where(Turn.session_id == session.id)
        .order_by(Turn.seq)
    )
    persona = session.persona or {}
    turns: list[dict[str, Any]] = []
    for turn, label, trainer in rows.all():
        if turn.speaker == "customer":
            turns.append({"customer": turn.text})
        elif label is None:
            turns.append({"rep": turn.text, "context_only": True})
        else:
            turns.append(
                {
                    "rep": turn.text,
                    "spin": label.spin,
                    "question": label.question,
                    **rep_labels(LabelSignals.model_validate(label.signals or {})),
                    "labelled_by": trainer,
                    "labelled_at": label.labelled_at.isoformat(),
                }
            )
    return {
        "id": session.id,
        "scenario": session.scenario,
        "language": session.language,
        "customer": {
            k: str(persona[k]) for k in ("name", "title", "company", "industry") if k in persona
        },
        "turns": turns,
    }
