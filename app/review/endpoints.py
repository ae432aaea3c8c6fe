from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.deps import CurrentUser, SessionDep, TrainerUser
from app.review import service
from app.review.schemas import LabelIn, LabelledTurnOut
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


@router.put("/sessions/{session_id}/turns/{seq}/label")
async def label_turn(
    session_id: str,
    seq: Annotated[int, Path(ge=1, le=1_000_000)],
    body: LabelIn,
    db: SessionDep,
    user: TrainerUser,
) -> LabelledTurnOut:
    """Correct the coach's reading of one rep turn (trainers and admins)."""
    return await service.label_turn(db, user=user, session_id=session_id, seq=seq, body=body)


@router.get("/review/agreement")
async def coach_agreement(db: SessionDep, user: TrainerUser) -> dict[str, Any]:
    """How often trainers agreed with the coach on the rep turns they labelled."""
    return await service.agreement(db, user=user)
