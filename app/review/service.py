"""Trainer review: comments on sessions and turns, and team figures."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.errors import AppError
from app.review.models import Comment
from app.roleplay import repository as roleplay_repository
from app.roleplay import service as roleplay_service
from app.roleplay.schemas import CommentOut, SessionQuery


async def comments(db: AsyncSession, *, session_id: str) -> list[CommentOut]:
    rows = await roleplay_repository.comments_of(db, session_id=session_id)
    return [
        CommentOut(id=c.id, author=name, turn_seq=c.turn_seq, text=c.text, created_at=c.created_at)
        for c, name in rows
    ]


async def add_comment(
    db: AsyncSession, *, user: User, session_id: str, text: str, turn_seq: int | None
) -> CommentOut:
    await roleplay_service.get_session(db, user=user, session_id=session_id)
    if turn_seq is not None and turn_seq > await roleplay_repository.last_seq(
        db, session_id=session_id
    ):
        raise AppError(f"turn {turn_seq} does not exist in this session", 422)
    comment = Comment(session_id=session_id, author_id=user.id, turn_seq=turn_seq, text=text)
    db.add(comment)
    await db.flush()
    await db.refresh(comment)
    return CommentOut(
        id=comment.id,
        author=user.username,
        turn_seq=turn_seq,
        text=text,
        created_at=comment.created_at,
    )


async def team_overview(db: AsyncSession, *, user: User) -> list[dict[str, Any]]:
    """Per rep: sessions, finished sessions, average score, SPIN mix and scores in time order."""
    rows = await roleplay_repository.list_visible(
        db, user=user, query=SessionQuery(order="created_at"), limit=10_000
    )
    reps: dict[str, dict[str, Any]] = {}
    for session, rep in rows:
        entry = reps.setdefault(
            rep, {"rep": rep, "sessions": 0, "finished": 0, "scores": [], "spin": Counter()}
        )
        entry["sessions"] += 1
        if session.total_score is not None:
            entry["finished"] += 1
            entry["scores"].append(round(session.total_score, 1))
    for rep, coaching in await roleplay_repository.rep_coaching_by_rep(db, user=user):
        if rep in reps:
            reps[rep]["spin"][(coaching.spin if coaching else None) or "none"] += 1
    out = []
    for entry in reps.values():
        scores = entry["scores"]
        out.append(
            {
                "rep": entry["rep"],
                "sessions": entry["sessions"],
                "finished": entry["finished"],
                "average_score": round(sum(scores) / len(scores), 1) if scores else None,
                "trend": scores,
                "spin_mix": dict(entry["spin"]),
            }
        )
    return sorted(out, key=lambda e: e["rep"])
