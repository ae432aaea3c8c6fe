"""The floor of a turn: only the work no turn can avoid, on salescoach's own stack.

FastAPI, SQLAlchemy async, the same engine set-up (app/db.py) and the same migrated schema:
check the bearer token (HS256, as app/auth/security.py), validate the body (TurnCreate), read
the session row (the caller's own, with its last seq, in one statement), insert the rep turn and
a fixed customer reply, commit once, answer both turns as JSON. No coach, no customer, no lock.
bench/turns.py serves it with uvicorn beside salescoach and compares the two.

    SALESCOACH_DATABASE_URL=... SALESCOACH_SECRET_KEY=... uvicorn bench.floor:create_app --factory
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, select

from app.auth.security import decode_token
from app.db import create_engine, create_sessionmaker, utcnow
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import TurnCreate

REPLY = "Go on."
bearer = HTTPBearer()


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "seq": turn.seq,
        "speaker": turn.speaker,
        "text": turn.text,
        "created_at": turn.created_at.isoformat(),
    }


def create_app() -> FastAPI:
    engine = create_engine(os.environ["SALESCOACH_DATABASE_URL"])
    maker = create_sessionmaker(engine)
    secret = os.environ["SALESCOACH_SECRET_KEY"]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(title="floor", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/sessions/{session_id}/turns")
    async def post_turn(
        session_id: str,
        body: TurnCreate,
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> dict[str, Any]:
        claims = decode_token(credentials.credentials, secret)
        if claims is None or not str(claims["sub"]).isdigit():
            raise HTTPException(401, "not authenticated")
        last_seq = (
            select(func.coalesce(func.max(Turn.seq), 0))
            .where(Turn.session_id == session_id)
            .scalar_subquery()
        )
        stmt = select(PracticeSession, last_seq).where(
            PracticeSession.id == session_id, PracticeSession.rep_id == int(claims["sub"])
        )
        async with maker() as db:
            row = (await db.execute(stmt)).first()
            if row is None or row[0].status != "active":
                raise HTTPException(404, "session not found")
            now = utcnow()
            seq = int(row[1]) + 1
            rep = Turn(
                session_id=session_id, seq=seq, speaker="rep", text=body.text, created_at=now
            )
            reply = Turn(
                session_id=session_id, seq=seq + 1, speaker="customer", text=REPLY, created_at=now
            )
            db.add_all([rep, reply])
            await db.commit()
        return {"rep_turn": turn_json(rep), "customer_turn": turn_json(reply), "status": "active"}

    return app
