from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.coach.column import CoachingColumn
from app.coach.schemas import Coaching, Scenario
from app.db import Base, UTCDateTime, utcnow
from app.playbook.persona import Language


class PracticeSession(Base):
    __tablename__ = "practice_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    persona_id: Mapped[str] = mapped_column(String(64), index=True)
    # The persona as it was when the session started, so later edits do not rewrite history.
    persona: Mapped[dict[str, Any]] = mapped_column(JSON)
    scenario: Mapped[Scenario] = mapped_column(String(20))
    language: Mapped[Language] = mapped_column(String(5))
    status: Mapped[Literal["active", "ended"]] = mapped_column(String(10), default="active")
    engine: Mapped[str] = mapped_column(String(100), default="scripted")
    # The customer state machine (revealed facts, trust, patience) as JSON.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A turn (or a finish) in flight across its model call: who holds it and until when
    # (app/roleplay/locking.py).
    lease: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A retry restarts an earlier session from one of its rep turns (`retry_from_seq`).
    retry_of: Mapped[str | None] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="SET NULL"), index=True
    )
    retry_from_seq: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_practice_sessions_created_at", "created_at"),)


class Turn(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[Literal["rep", "customer"]] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    # Rep turns: the coach's reading, computed once and read back typed.
    coaching: Mapped[Coaching | None] = mapped_column(CoachingColumn)
    # Customer turns: revealed facts and the act the state machine chose.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_turns_session_id_seq"),)
