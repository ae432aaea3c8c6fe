"""All queries on practice sessions, turns and comments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.coach.schemas import Coaching
from app.review.models import Comment
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import SessionQuery


def visible_to(user: User) -> Select[PracticeSession, str]:
    """Sessions with their rep's name, restricted to what the user may read."""
    stmt = select(PracticeSession, User.username).join(User, User.id == PracticeSession.rep_id)
    if user.role == "rep":
        return stmt.where(PracticeSession.rep_id == user.id)
    if user.role == "trainer" and user.team_id is not None:
        return stmt.where(User.team_id == user.team_id)
    return stmt


async def get_visible(
    db: AsyncSession, *, user: User, session_id: str
) -> tuple[PracticeSession, str] | None:
    row = (await db.execute(visible_to(user).where(PracticeSession.id == session_id))).first()
    return (row[0], row[1]) if row else None


async def list_visible(
    db: AsyncSession,
    *,
    user: User,
    query: SessionQuery | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[PracticeSession, str]]:
    q = query or SessionQuery()
    stmt = visible_to(user)
    if q.rep:
        stmt = stmt.where(User.username == q.rep)
    if q.persona_id:
        stmt = stmt.where(PracticeSession.persona_id == q.persona_id)
    if q.scenario:
        stmt = stmt.where(PracticeSession.scenario == q.scenario)
    if q.since:
        stmt = stmt.where(PracticeSession.created_at >= q.since)
    if q.until:
        stmt = stmt.where(PracticeSession.created_at <= q.until)
    if q.min_score is not None:
        stmt = stmt.where(PracticeSession.total_score >= q.min_score)
    if q.max_score is not None:
        stmt = stmt.where(PracticeSession.total_score <= q.max_score)
    column: Any = {
        "created_at": PracticeSession.created_at,
        "score": PracticeSession.total_score,
        "rep": User.username,
        "persona": PracticeSession.persona_id,
    }.get(q.order.lstrip("-"), PracticeSession.created_at)
    direction = column.desc() if q.order.startswith("-") else column.asc()
    stmt = stmt.order_by(direction, PracticeSession.id)
    return [(r[0], r[1]) for r in (await db.execute(stmt.limit(limit).offset(offset))).all()]


async def turns_of(db: AsyncSession, *, session_id: str) -> list[Turn]:
    stmt = select(Turn).where(Turn.session_id == session_id).order_by(Turn.seq)
    return list((await db.execute(stmt)).scalars())


async def retries_of(db: AsyncSession, *, session_id: str) -> list[PracticeSession]:
    """The sessions that retry this one, oldest first."""
    stmt = (
        select(PracticeSession)
        .where(PracticeSession.retry_of == session_id)
        .order_by(PracticeSession.created_at, PracticeSession.id)
    )
    return list((await db.execute(stmt)).scalars())


async def last_seq(db: AsyncSession, *, session_id: str) -> int:
    stmt = select(func.max(Turn.seq)).where(Turn.session_id == session_id)
    return int((await db.execute(stmt)).scalar_one() or 0)


async def comments_of(db: AsyncSession, *, session_id: str) -> list[tuple[Comment, str | None]]:
    stmt = (
        select(Comment, User.username)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.session_id == session_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [(r[0], r[1]) for r in (await db.execute(stmt)).all()]


async def rep_coaching_by_rep(db: AsyncSession, *, user: User) -> list[tuple[str, Coaching | None]]:
    """(rep name, coaching) for every rep turn of the sessions the user may read."""
    sessions = visible_to(user).with_only_columns(PracticeSession.id, User.username).subquery()
    stmt = (
        select(sessions.c.username, Turn.coaching)
        .join(sessions, sessions.c.id == Turn.session_id)
        .where(Turn.speaker == "rep")
    )
    return [(r[0], r[1]) for r in (await db.execute(stmt)).all()]


async def turn_at(db: AsyncSession, *, session_id: str, seq: int) -> Turn | None:
    stmt = select(Turn).where(Turn.session_id == session_id, Turn.seq == seq)
    found: Turn | None = await db.scalar(stmt)
    return found
