from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep, TrainerUser
from app.review import service
from app.roleplay import service as roleplay_service
from app.roleplay.schemas import CommentCreate, CommentOut

router = APIRouter(tags=["review"])


@router.post("/sessions/{session_id}/comments", status_code=201)
async def add_comment(
    session_id: str, body: CommentCreate, db: SessionDep, user: TrainerUser
) -> CommentOut:
    """Comment on a session or one of its turns (trainers and admins)."""
    return await service.add_comment(
        db, user=user, session_id=session_id, text=body.text, turn_seq=body.turn_seq
    )


@router.get("/sessions/{session_id}/comments")
async def list_comments(session_id: str, db: SessionDep, user: CurrentUser) -> list[CommentOut]:
    """Comments on a session the caller may read."""
    await roleplay_service.get_session(db, user=user, session_id=session_id)
    return await service.comments(db, session_id=session_id)


@router.get("/review/team")
async def team_overview(db: SessionDep, user: TrainerUser) -> list[dict[str, Any]]:
    """Per rep: sessions, average score, SPIN mix and score trend (trainers and admins)."""
    return await service.team_overview(db, user=user)
