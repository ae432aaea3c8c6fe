"""Practice sessions and turns: rep turn -> coach (pure) -> customer state -> engine -> stored turns.

A turn runs as a stream of events, consumed whole by the JSON route and forwarded by the SSE route:
`coaching` (the rep turn's coaching), `token` deltas, `customer_turn`, `done`. The rep turn is
committed before the engine runs, so a failing model never loses it; sending the same text again
answers that turn instead of adding a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import User
from app.coach import analyzer as coach
from app.coach import tips
from app.coach.schemas import CoachContext, EarlierTurn, Scenario
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.personas import service as persona_service
from app.playbook.loader import Playbook
from app.playbook.persona import Persona
from app.roleplay import repository
from app.roleplay.engine import CustomerEngine, ReplyContext
from app.roleplay.locking import turn_lock
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import TurnOut
from app.roleplay.state import CustomerState, decide, initial_state
from app.roleplay.transcript import RevealedFact, TranscriptTurn


@dataclass
class TurnEvent:
    event: str  # coaching | token | customer_turn | done
    data: dict[str, Any]


def turn_out(turn: Turn) -> TurnOut:
    return TurnOut(
        seq=turn.seq,
        speaker=turn.speaker,
        text=turn.text,
        created_at=turn.created_at,
        coaching=turn.coaching,
        prompt_version=turn.prompt_version,
    )


def transcript(turns: list[Turn]) -> list[TranscriptTurn]:
    out = []
    for t in turns:
        meta = t.meta or {}
        out.append(
            TranscriptTurn(
                seq=t.seq,
                speaker=t.speaker,
                text=t.text,
                coaching=t.coaching,
                revealed=[RevealedFact.model_validate(f) for f in meta.get("revealed", [])],
                act=meta.get("act"),
            )
        )
    return out


def coach_context(scenario: Scenario, turns: list[TranscriptTurn]) -> CoachContext:
    """The conversation so far as the coach reads the next rep turn in it."""
    earlier = [EarlierTurn.model_validate(t, from_attributes=True) for t in turns]
    return CoachContext.of(scenario, earlier)


def persona_of(session: PracticeSession) -> Persona:
    return Persona.model_validate(session.persona)


async def create_session(
    db: AsyncSession,
    playbook: Playbook,
    *,
    user: User,
    persona_id: str,
    scenario: Scenario,
    engine: str,
) -> PracticeSession:
    persona = await persona_service.get_persona(db, playbook, persona_id=persona_id, user=user)
    session = PracticeSession(
        id=str(uuid.uuid4()),
        rep_id=user.id,
        persona_id=persona.id,
        persona=persona.model_dump(mode="json"),
        scenario=scenario,
        language=persona.language,
        status="active",
        engine=engine,
        state=initial_state(persona, playbook.customer).model_dump(mode="json"),
        created_at=utcnow(),
    )
    db.add(session)
    await db.flush()
    return session


async def get_session(
    db: AsyncSession, *, user: User, session_id: str
) -> tuple[PracticeSession, str]:
    """The session and its rep's name; 404 also when it exists but is not the caller's to read."""
    found = await repository.get_visible(db, user=user, session_id=session_id)
    if found is None:
        raise NotFound("session not found")
    return found


async def turn_at(db: AsyncSession, *, session_id: str, seq: int) -> Turn | None:
    """One turn of a session the caller has already been allowed to read."""
    return await repository.turn_at(db, session_id=session_id, seq=seq)


def ensure_own_active(session: PracticeSession, user: User) -> None:
    if session.rep_id != user.id and user.role != "admin":
        raise NotFound("session not found")
    if session.status != "active":
        raise Conflict("this session has ended; start a new one to practise again")


async def run_turn(
    maker: async_sessionmaker[AsyncSession],
    playbook: Playbook,
    engine: CustomerEngine,
    *,
    user: User,
    session_id: str,
    text: str,
    on_ended: Callable[[AsyncSession, PracticeSession], Awaitable[None]] | None = None,
) -> AsyncIterator[TurnEvent]:
    """One rep turn and the customer's reply, serialised per session (see module docstring)."""
    bind = maker.kw["bind"]
    async with turn_lock(bind, session_id):
        async with maker() as db:
            session, _ = await get_session(db, user=user, session_id=session_id)
            ensure_own_active(session, user)
            turns = await repository.turns_of(db, session_id=session_id)
            rep_turn = _pending_retry(turns, text)
            if rep_turn is None:
                history = transcript(turns)
                reading = coach.read(
                    text,
                    playbook.coach,
                    coach_context(session.scenario, history),
                    language=session.language,
                )
                # The stored tip is the next best move in this conversation (app/coach/tips.py).
                reading.tip = tips.next_best_move(
                    reading, history, persona_of(session), session.scenario, playbook
                ).text
                rep_turn = Turn(
                    session_id=session_id,
                    seq=(turns[-1].seq if turns else 0) + 1,
                    speaker="rep",
                    text=text,
                    coaching=reading,
                    created_at=utcnow(),
                )
                db.add(rep_turn)
                await db.commit()
                turns.append(rep_turn)
            coaching = rep_turn.coaching
            assert coaching is not None  # rep turns always carry their reading
            yield TurnEvent("coaching", {"seq": rep_turn.seq, **coaching.model_dump(mode="json")})

            persona = persona_of(session)
            state = CustomerState.model_validate(session.state)
            decision = decide(
                state, persona, coaching, session.scenario, playbook.customer, seq=rep_turn.seq
            )
            ctx = ReplyContext(
                persona=persona,
                scenario=session.scenario,
                language=session.language,
                decision=decision,
                history=transcript(turns[:-1]),
                rep_text=text,
                rules=playbook.customer,
                session_id=session_id,
            )
            parts: list[str] = []
            async for delta in engine.stream(ctx):
                parts.append(delta)
                yield TurnEvent("token", {"text": delta})

            reply = Turn(
                session_id=session_id,
                seq=rep_turn.seq + 1,
                speaker="customer",
                text="".join(parts).strip(),
                meta={
                    "revealed": [f.model_dump(mode="json") for f in decision.facts],
                    "act": decision.act,
                    "mood": decision.mood,
                    # The customer's state after this turn, so a retry can start from here.
                    "state": decision.state.model_dump(mode="json"),
                },
                prompt_version=engine.prompt_version,
                created_at=utcnow(),
            )
            db.add(reply)
            session.state = decision.state.model_dump(mode="json")
            if decision.state.ended:
                session.status = "ended"
                session.ended_at = utcnow()
            await db.commit()
            if decision.state.ended and on_ended is not None:
                await on_ended(db, session)
                await db.commit()
            customer = turn_out(reply).model_dump(mode="json")
            yield TurnEvent("customer_turn", customer)
            yield TurnEvent(
                "done",
                {
                    "status": session.status,
                    "rep_turn": turn_out(rep_turn).model_dump(mode="json"),
                    "customer_turn": customer,
                    "patience": decision.state.patience,
                },
            )


def _pending_retry(turns: list[Turn], text: str) -> Turn | None:
    """The last rep turn when the customer never answered it and the rep resends the same text."""
    if turns and turns[-1].speaker == "rep" and turns[-1].text == text:
        return turns[-1]
    return None
