from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.deps import (
    Caller,
    CurrentUser,
    PlaybookDep,
    SessionDep,
    SettingsDep,
)
from app.errors import AppError
from app.needs import service as needs_service
from app.review import service as review_service
from app.roleplay import retry, service, sse
from app.roleplay.models import PracticeSession
from app.roleplay.schemas import (
    RetryCreate,
    SessionCreate,
    SessionOut,
    SessionQuery,
    TurnCreate,
    TurnResult,
)

router = APIRouter(prefix="/sessions", tags=["sessions"])


def session_out(session: PracticeSession, rep: str, **extra: Any) -> SessionOut:
    return SessionOut(
        id=session.id,
        persona_id=session.persona_id,
        persona_name=str(session.persona.get("name", session.persona_id)),
        scenario=session.scenario,
        language=session.language,
        status=session.status,
        rep=rep,
        engine=session.engine,
        created_at=session.created_at,
        ended_at=session.ended_at,
        total_score=session.total_score,
        patience=(session.state or {}).get("patience"),
        retry_of=session.retry_of,
        retry_from_seq=session.retry_from_seq,
        **extra,
    )


@router.post("", status_code=201)
async def create_session(
    body: SessionCreate,
    db: SessionDep,
    playbook: PlaybookDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> SessionOut:
    """Start a practice session with a persona and a scenario."""
    session = await service.create_session(
        db,
        playbook,
        user=user,
        persona_id=body.persona_id,
        scenario=body.scenario,
        engine=settings.llm,
        difficulty=body.difficulty,
    )
    return session_out(session, user.username, turns=[])


@router.get("")
async def list_sessions(
    db: SessionDep,
    user: CurrentUser,
    query: Annotated[SessionQuery, Query()],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SessionOut]:
    """Sessions visible to the caller: a rep's own, a trainer's team's, all for admins."""
    rows = await service.list_sessions(db, user=user, query=query, limit=limit, offset=offset)
    return [session_out(s, name) for s, name in rows]


@router.get("/{session_id}")
async def get_session(
    session_id: str, db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> SessionOut:
    """A session with all its turns in order, its comments and, once ended, its records."""
    session, rep = await service.get_session(db, user=user, session_id=session_id)
    turns = await service.turns_of(db, session_id=session_id)
    saved = await needs_service.stored(db, session_id)
    return session_out(
        session,
        rep,
        turns=[service.turn_out(t) for t in turns],
        comments=await review_service.comments(db, session_id=session_id),
        scorecard=saved[0].model_dump(mode="json") if saved else None,
        needs_record=saved[1].model_dump(mode="json") if saved else None,
    )


@router.post("/{session_id}/retry", status_code=201)
async def retry_session(
    session_id: str,
    body: RetryCreate,
    db: SessionDep,
    playbook: PlaybookDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> SessionOut:
    """Restart one of your sessions from a rep turn: a new active session, marked as its retry."""
    session = await retry.retry_session(
        db, playbook, user=user, session_id=session_id, from_seq=body.from_seq, engine=settings.llm
    )
    turns = await service.turns_of(db, session_id=session.id)
    return session_out(session, user.username, turns=[service.turn_out(t) for t in turns])


@router.post("/{session_id}/turns", response_model=TurnResult)
async def post_turn(
    session_id: str,
    body: TurnCreate,
    request: Request,
    caller: Caller,
    accept: Annotated[str, Header()] = "application/json",
) -> Any:
    """Send a rep turn; answers its coaching and the customer's reply (SSE when asked for)."""
    # The app's parts are read from its state here, not as dependencies: each dependency
    # FastAPI solves costs a turn tens of microseconds, and these need nothing but the app.
    state = request.app.state
    events = service.run_turn(
        state.sessionmaker,
        state.playbook,
        state.customer_engine,
        caller=caller,
        session_id=session_id,
        text=body.text,
        on_ended=needs_service.finisher(state.playbook, state.chat_model),
        lease_seconds=state.settings.lease_seconds,
        memos=state.memos,
    )
    if "text/event-stream" in accept:
        # The first event comes once the rep turn is stored: a 404 or 409 is still a status.
        first = await anext(events)
        return StreamingResponse(
            sse.stream(events, first),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    done: dict[str, Any] | None = None
    async for item in events:
        if item.event == "done":
            done = item.data
    if done is None:
        raise AppError("the turn did not complete; send it again", 502)
    # The events hold JSON-ready data already: answered as it is, not validated a second time.
    return JSONResponse({key: done[key] for key in ("rep_turn", "customer_turn", "status")})
