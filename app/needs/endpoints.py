from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.deps import (
    CurrentUser,
    PlaybookDep,
    SessionDep,
    SessionMakerDep,
    SettingsDep,
    UserBetweenTurns,
)
from app.needs import service
from app.roleplay import service as roleplay_service

router = APIRouter(prefix="/sessions", tags=["needs"])


@router.post("/{session_id}/finish")
async def finish(
    session_id: str,
    request: Request,
    maker: SessionMakerDep,
    playbook: PlaybookDep,
    settings: SettingsDep,
    user: UserBetweenTurns,
) -> dict[str, Any]:
    """End the session; answers its scorecard and needs record (saved)."""
    card, record = await service.finish_between_turns(
        maker,
        playbook,
        request.app.state.chat_model,
        user=user,
        session_id=session_id,
        lease_seconds=settings.lease_seconds,
    )
    return {
        "scorecard": card.model_dump(mode="json"),
        "needs_record": record.model_dump(mode="json"),
    }


@router.get("/{session_id}/needs-record")
async def needs_record(
    session_id: str, db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> dict[str, Any]:
    """The needs record (live while the session is active, saved once it ends)."""
    session, _ = await roleplay_service.get_session(db, user=user, session_id=session_id)
    _, record = await service.records(db, playbook, session)
    return record.model_dump(mode="json")


@router.get("/{session_id}/scorecard")
async def scorecard(
    session_id: str, db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> dict[str, Any]:
    """The scorecard (live while the session is active, saved once it ends)."""
    session, _ = await roleplay_service.get_session(db, user=user, session_id=session_id)
    card, _ = await service.records(db, playbook, session)
    return card.model_dump(mode="json")


EXPORT_TYPES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export in the format asked for",
        "content": {"application/json": {}, "text/markdown": {}, "text/csv": {}},
    }
}


@router.get("/{session_id}/export", responses=EXPORT_TYPES)
async def export(
    session_id: str,
    db: SessionDep,
    playbook: PlaybookDep,
    user: CurrentUser,
    format: Literal["json", "markdown", "csv"] = Query("json"),
) -> Response:
    """Transcript, coaching, scorecard and needs record as JSON, Markdown or CSV."""
    session, rep = await roleplay_service.get_session(db, user=user, session_id=session_id)
    bundle = await service.export_bundle(db, playbook, session, rep)
    body, media_type = service.render_export(bundle, format)
    ext = {"json": "json", "markdown": "md", "csv": "csv"}[format]
    headers = {"Content-Disposition": f'attachment; filename="session-{session_id}.{ext}"'}
    return Response(body, media_type=media_type, headers=headers)
