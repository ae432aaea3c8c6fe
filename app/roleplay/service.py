"""Practice sessions and turns: rep turn -> coach (pure) -> customer state -> engine -> stored turns.

A turn runs as a stream of events, consumed whole by the JSON route and forwarded by the SSE route:
`coaching` (the rep turn's coaching), `token` deltas, `customer_turn`, `done`. The rep turn is
committed before the engine runs, so a failing model never loses it; sending the same text again
answers that turn instead of adding a second one. The model call runs with no transaction open.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import User
from app.coach import analyzer as coach
from app.coach import tips
from app.coach.schemas import CoachContext, Coaching, EarlierTurn, Scenario
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.personas import service as persona_service
from app.playbook.customer import Difficulty
from app.playbook.loader import Playbook
from app.playbook.persona import Persona
from app.review.models import Comment
from app.roleplay import locking, repository
from app.roleplay.engine import CustomerEngine, ReplyContext
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import SessionQuery, TurnOut
from app.roleplay.state import CustomerState, decide, initial_state
from app.roleplay.transcript import RevealedFact, TranscriptTurn

# How long a turn may hold its session across the model call before another may take it over;
# longer than any model call with its retries (endpoints pass the configured figure).
LEASE_SECONDS = 120.0

# Called when the customer ends the call, with the transcript: saves the session's records.
SessionEnded = Callable[[AsyncSession, PracticeSession, list[Turn]], Awaitable[None]]


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
    difficulty: Difficulty = "normal",
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
        state=initial_state(persona, playbook.customer, difficulty).model_dump(mode="json"),
        created_at=utcnow(),
    )
    db.add(session)
    await db.flush()
    return session


async def hold(db: AsyncSession, *, user: User, session_id: str) -> PracticeSession:
    """The caller's own session (admins: any), its row locked for this transaction once no
    other turn or finish holds it; 404 when it is not the caller's to change."""
    session = await locking.lock_free_row(db, session_id)
    if session is None or (session.rep_id != user.id and user.role != "admin"):
        raise NotFound("session not found")
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


async def turns_of(db: AsyncSession, *, session_id: str) -> list[Turn]:
    """A session's turns in order (the caller has checked it may read the session)."""
    return await repository.turns_of(db, session_id=session_id)


async def list_sessions(
    db: AsyncSession,
    *,
    user: User,
    query: SessionQuery | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[PracticeSession, str]]:
    """Sessions visible to the user, with their rep's name."""
    return await repository.list_visible(db, user=user, query=query, limit=limit, offset=offset)


async def last_seq(db: AsyncSession, *, session_id: str) -> int:
    return await repository.last_seq(db, session_id=session_id)


async def comments_of(db: AsyncSession, *, session_id: str) -> list[tuple[Comment, str | None]]:
    return await repository.comments_of(db, session_id=session_id)


async def rep_coaching_by_rep(db: AsyncSession, *, user: User) -> list[tuple[str, Coaching | None]]:
    """(rep name, coaching) for every rep turn of the sessions the user may read."""
    return await repository.rep_coaching_by_rep(db, user=user)


def visible_ids(user: User) -> Select[tuple[str]]:
    """The ids of the sessions the user may read, to join in another domain's query."""
    return repository.visible_to(user).with_only_columns(PracticeSession.id)


# A finish spans a model call too: it takes the session the way a turn does.
between_turns = locking.local_lock
take_lease = locking.take_lease
end_lease = locking.end_lease
leased = locking.leased


async def run_turn(
    maker: async_sessionmaker[AsyncSession],
    playbook: Playbook,
    engine: CustomerEngine,
    *,
    user: User,
    session_id: str,
    text: str,
    on_ended: SessionEnded | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> AsyncIterator[TurnEvent]:
    """One rep turn and the customer's reply, serialised per session (app/roleplay/locking.py).

    The stream owns its DB session: it outlives the request, and its model call runs with no
    transaction open, so it commits each step itself."""
    async with locking.local_lock(session_id), maker() as db:
        session = await hold(db, user=user, session_id=session_id)
        if session.status != "active":
            raise Conflict("this session has ended; start a new one to practise again")
        turns = await repository.turns_of(db, session_id=session_id)
        rep_turn = _pending_retry(turns, text)
        if rep_turn is None:
            rep_turn = _rep_turn(playbook, session, turns, text)
            db.add(rep_turn)
            turns.append(rep_turn)
        token = locking.take_lease(session, lease_seconds)
        # Store the rep turn before the model runs (a failing model keeps it) and free the row.
        await db.commit()
        async with locking.leased(db, maker, session_id, token):
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

            session = await _still_held(db, session_id, token)
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
                if on_ended is not None:
                    # The goodbye is stored before the records are made (they may call a model);
                    # the lease keeps the session meanwhile.
                    await db.commit()
                    await on_ended(db, session, [*turns, reply])
            locking.end_lease(session)
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


def _rep_turn(playbook: Playbook, session: PracticeSession, turns: list[Turn], text: str) -> Turn:
    """The rep turn with its reading (the coach reads it once, in the conversation so far)."""
    history = transcript(turns)
    reading = coach.read(
        text, playbook.coach, coach_context(session.scenario, history), language=session.language
    )
    # The stored tip is the next best move in this conversation (app/coach/tips.py).
    reading.tip = tips.next_best_move(
        reading, history, persona_of(session), session.scenario, playbook
    ).text
    return Turn(
        session_id=session.id,
        seq=(turns[-1].seq if turns else 0) + 1,
        speaker="rep",
        text=text,
        coaching=reading,
        created_at=utcnow(),
    )


async def _still_held(db: AsyncSession, session_id: str, token: str) -> PracticeSession:
    """The session locked again after the model call, if this turn's lease still holds it."""
    session = await locking.lock_row(db, session_id)
    if session is None or session.lease != token:
        raise Conflict("the session moved on while the customer answered; reload it")
    return session


def _pending_retry(turns: list[Turn], text: str) -> Turn | None:
    """The last rep turn when the customer never answered it and the rep resends the same text."""
    if turns and turns[-1].speaker == "rep" and turns[-1].text == text:
        return turns[-1]
    return None
