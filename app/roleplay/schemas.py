from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.coach.schemas import Coaching, Scenario
from app.hygiene import VisibleText
from app.playbook.customer import Difficulty


class SessionCreate(BaseModel):
    persona_id: str = Field(min_length=1, max_length=64)
    scenario: Scenario = "discovery"
    difficulty: Difficulty = "normal"


class SessionQuery(BaseModel):
    """Filters and order for listing sessions (the API's query string, the review page's form)."""

    rep: str | None = None
    persona_id: str | None = None
    scenario: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_score: float | None = None
    max_score: float | None = None
    order: str = Field("-created_at", pattern=r"^-?(created_at|score|rep|persona)$")


class TurnCreate(BaseModel):
    text: VisibleText = Field(min_length=1, max_length=4000)


class TurnOut(BaseModel):
    seq: int
    speaker: Literal["rep", "customer"]
    text: str
    created_at: datetime
    coaching: Coaching | None = None
    prompt_version: str | None = None


class CommentOut(BaseModel):
    id: int
    author: str | None
    turn_seq: int | None
    text: str
    created_at: datetime


class SessionOut(BaseModel):
    id: str
    persona_id: str
    persona_name: str
    scenario: Scenario
    language: str
    status: Literal["active", "ended"]
    rep: str
    engine: str
    created_at: datetime
    ended_at: datetime | None = None
    total_score: float | None = None
    patience: int | None = None
    # Set on a retry: the session it restarts and the rep turn it restarts from.
    retry_of: str | None = None
    retry_from_seq: int | None = None
    turns: list[TurnOut] | None = None
    comments: list[CommentOut] | None = None
    scorecard: dict[str, Any] | None = None
    needs_record: dict[str, Any] | None = None


class TurnResult(BaseModel):
    rep_turn: TurnOut
    customer_turn: TurnOut
    status: Literal["active", "ended"]


class RetryCreate(BaseModel):
    from_seq: int = Field(ge=1, le=1_000_000)


class CommentCreate(BaseModel):
    text: VisibleText = Field(min_length=1, max_length=4000)
    turn_seq: int | None = Field(default=None, ge=1)
