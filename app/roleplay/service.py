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
from typing import Any, cast

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.service import TokenClaims
from app.coach import analyzer as coach
from app.coach import tips
from app.coach.schemas import CoachContext, Coaching, EarlierTurn, Scenario
from app.db import utcnow, write_lock
from app.errors import AppError, Conflict, NotFound
from app.personas import service as persona_service
from app.playbook.customer import Difficulty
from app.playbook.loader import Playbook
from app.playbook.persona import Persona
from app.review.models import Comment
from app.roleplay import locking, repository
from app.roleplay.engine import CustomerEngine, InstantEngine, ReplyContext
from app.roleplay.memo import SessionMemo, SessionMemos, transcript
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import SessionQuery, TurnOut
from app.roleplay.state import CustomerState, Decision, decide, initial_state
from app.roleplay.transcript import TranscriptTurn

__all__ = ["transcript"]  # re-exported: other domains read turns through this service

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


@dataclass
class _Plan:
    """A new rep turn worked out before its transaction (pure): its reading and the customer's
    decision, from the memo as it stood at `last_seq`."""

    last_seq: int
    state: dict[str, Any]
    rep: TurnOut
    decision: Decision
    ctx: ReplyContext


async def run_turn(
    maker: async_sessionmaker[AsyncSession],
    playbook: Playbook,
    engine: CustomerEngine,
    *,
    caller: TokenClaims,
    session_id: str,
    text: str,
    on_ended: SessionEnded | None = None,
    lease_seconds: float = LEASE_SECONDS,
    memos: SessionMemos | None = None,
) -> AsyncIterator[TurnEvent]:
    """One rep turn and the customer's reply, serialised per session (app/roleplay/locking.py).

    The stream owns its DB session: it outlives the request, and its model call runs with no
    transaction open, so it commits each step itself. The coach and the customer's decision are
    worked out from the session's memo before the transaction, so the row lock (SQLite: the
    write lock) is held for the statements only; the transaction checks the memo was current.
    An instant engine (no I/O) needs no model call: its turn is one transaction, and its
    events follow the commit. On SQLite, when the memo is current, that transaction does not
    read the session first: one UPDATE claims the turn with every check (`_quick_turn`)."""
    memos = SessionMemos(size=1) if memos is None else memos
    replier = _instant(engine)
    instant = replier is not None
    async with locking.local_lock(session_id):
        memo = memos.get(session_id)
        plan = None
        if memo is not None and memo.rep_id == caller.user_id:
            plan = _plan(playbook, memo, text, session_id)
        quick = None
        if replier is not None and plan is not None and repository.claims_are_safe(maker):
            quick = await _quick_turn(maker, replier, plan, caller=caller, session_id=session_id)
        if quick is not None:
            assert plan is not None  # a quick turn is the memo's plan
            rep, decision = plan.rep, plan.decision
            deltas, reply, rows, state_after = quick
            session_status = "active"
            memos.add(session_id, rows, state_after)
        else:
            async with maker() as db:
                session, last_seq = await _hold_for_turn(db, caller=caller, session_id=session_id)
                if plan is None or plan.last_seq != last_seq or plan.state != session.state:
                    memo = await memos.load(db, session, last_seq)
                    # None: the rep resends the last turn, which the customer never answered.
                    plan = _plan(playbook, memo, text, session_id) or await _resend(
                        db, playbook, memo, session_id
                    )
                rep, decision, ctx = plan.rep, plan.decision, plan.ctx
                rows = [_row(session_id, rep)] if rep.seq > last_seq else []
                coaching = rep.coaching
                assert coaching is not None  # rep turns always carry their reading
                if replier is not None:
                    try:
                        deltas = replier.deltas(ctx)
                    except Exception:
                        # The rep's words are kept for a resend.
                        await repository.add_turns(db, rows)
                        await db.commit()
                        raise
                else:
                    # Store the rep turn before the model runs (a failing model keeps it), take the
                    # lease and free the row.
                    await repository.add_turns(db, rows)
                    token = locking.take_lease(session, lease_seconds)
                    await db.commit()
                    memos.add(session_id, rows, session.state)
                    rows = []
                    async with locking.leased(db, maker, session_id, token):
                        yield TurnEvent(
                            "coaching", {"seq": rep.seq, **coaching.model_dump(mode="json")}
                        )
                        deltas = []
                        async for delta in engine.stream(ctx):
                            deltas.append(delta)
                            yield TurnEvent("token", {"text": delta})
                        session = await _still_held(db, session_id, token)

                reply = TurnOut(
                    seq=rep.seq + 1,
                    speaker="customer",
                    text="".join(deltas).strip(),
                    created_at=utcnow(),
                    prompt_version=engine.prompt_version,
                )
                state_after = decision.state.model_dump(mode="json")
                rows.append(_row(session_id, reply, _reply_meta(decision, state_after)))
                await repository.add_turns(db, rows)
                values: dict[str, Any] = {"state": state_after}
                if decision.state.ended:
                    values.update(status="ended", ended_at=utcnow())
                if instant:
                    await repository.save_session(db, session, **values)
                elif decision.state.ended and on_ended is not None:
                    # The goodbye is stored before the records are made (they may call a model);
                    # the lease keeps the session meanwhile.
                    await repository.save_session(db, session, **values)
                    await db.commit()
                else:
                    await repository.save_session(
                        db, session, **values, lease=None, lease_until=None
                    )
                if decision.state.ended and on_ended is not None:
                    await repository.persona_json(db, session)
                    await on_ended(
                        db, session, await repository.turns_of(db, session_id=session_id)
                    )
                    if not instant:
                        locking.end_lease(session)
                await db.commit()
                memos.add(session_id, rows, state_after)
                session_status = session.status

    rep_json = rep.model_dump(mode="json")
    if instant:
        yield TurnEvent("coaching", {"seq": rep.seq, **rep_json["coaching"]})
        for delta in deltas:
            yield TurnEvent("token", {"text": delta})
    customer = reply.model_dump(mode="json")
    yield TurnEvent("customer_turn", customer)
    yield TurnEvent(
        "done",
        {
            "status": session_status,
            "rep_turn": rep_json,
            "customer_turn": customer,
            "patience": decision.state.patience,
        },
    )


def _instant(engine: CustomerEngine) -> InstantEngine | None:
    """The engine as an instant one when it composes its replies in process (`deltas`). What
    an isinstance against the runtime protocol checks, without its cost (45 µs a turn)."""
    return cast(InstantEngine, engine) if callable(getattr(engine, "deltas", None)) else None


async def _quick_turn(
    maker: async_sessionmaker[AsyncSession],
    replier: InstantEngine,
    plan: _Plan,
    *,
    caller: TokenClaims,
    session_id: str,
) -> tuple[list[str], TurnOut, list[dict[str, Any]], dict[str, Any]] | None:
    """An instant engine's turn on a current memo, in a transaction of two writes: the state
    after the turn, claimed with every check `_hold_for_turn` and the memo's freshness make
    (`repository.advance_turn`), and both turns. Returns (deltas, reply, rows, state after);
    None, with nothing written, when the claim fails or the turn needs the full path (the
    session ends, the engine fails): the full path then reads the session and decides."""
    decision = plan.decision
    if decision.state.ended:
        return None  # the session's records are made on the full path
    try:
        deltas = replier.deltas(plan.ctx)
    except Exception:
        return None  # the full path keeps the rep's words and reports the failure
    reply = TurnOut(
        seq=plan.rep.seq + 1,
        speaker="customer",
        text="".join(deltas).strip(),
        created_at=utcnow(),
        prompt_version=replier.prompt_version,
    )
    state_after = decision.state.model_dump(mode="json")
    rows = [_row(session_id, plan.rep), _row(session_id, reply, _reply_meta(decision, state_after))]
    # Everything above is worked out before the write lock, which covers the statements only.
    async with write_lock(repository.engine_of(maker)), maker() as db:
        claimed = await repository.advance_turn(
            db,
            session_id=session_id,
            user_id=caller.user_id,
            token_version=caller.version,
            last_seq=plan.last_seq,
            state=state_after,
        )
        if not claimed:
            return None
        await repository.add_turns(db, rows)
        await db.commit()
    return deltas, reply, rows, state_after


def _reply_meta(decision: Decision, state_after: dict[str, Any]) -> dict[str, Any]:
    """What the customer turn's row keeps of the decision behind it."""
    return {
        "revealed": [f.model_dump(mode="json") for f in decision.facts],
        "act": decision.act,
        "mood": decision.mood,
        "next_step": decision.next_step.model_dump(mode="json") if decision.next_step else None,
        # The customer's state after this turn, so a retry can start from here.
        "state": state_after,
    }


def _plan(playbook: Playbook, memo: SessionMemo, text: str, session_id: str) -> _Plan | None:
    """The new rep turn read in the memo's conversation and the customer's decision on it;
    None when the rep resends the last turn the customer never answered."""
    if _pending_retry(memo.turns, text) is not None:
        return None
    seq = memo.last_seq + 1
    reading = coach.read(
        text,
        playbook.coach,
        CoachContext.of(memo.scenario, memo.earlier),
        language=memo.language,
    )
    # The stored tip is the next best move in this conversation (app/coach/tips.py).
    reading.tip = tips.next_best_move(
        reading, memo.turns, memo.persona, memo.scenario, playbook, rep_text=text
    ).text
    rep = TurnOut(seq=seq, speaker="rep", text=text, created_at=utcnow(), coaching=reading)
    return _decided(playbook, memo, rep, memo.turns, session_id)


async def _resend(
    db: AsyncSession, playbook: Playbook, memo: SessionMemo, session_id: str
) -> _Plan:
    """The stored rep turn the rep sent again, and the customer's decision on it."""
    turn = await repository.turn_at(db, session_id=session_id, seq=memo.last_seq)
    assert turn is not None  # the memo holds stored turns only
    return _decided(playbook, memo, turn_out(turn), memo.turns[:-1], session_id)


def _decided(
    playbook: Playbook,
    memo: SessionMemo,
    rep: TurnOut,
    history: list[TranscriptTurn],
    session_id: str,
) -> _Plan:
    assert rep.coaching is not None  # rep turns always carry their reading
    decision = decide(
        CustomerState.model_validate(memo.state),
        memo.persona,
        rep.coaching,
        memo.scenario,
        playbook.customer,
        seq=rep.seq,
    )
    ctx = ReplyContext(
        persona=memo.persona,
        scenario=memo.scenario,
        language=memo.language,
        decision=decision,
        history=history,
        rep_text=rep.text,
        rules=playbook.customer,
        session_id=session_id,
    )
    return _Plan(memo.last_seq, memo.state, rep, decision, ctx)


async def _hold_for_turn(
    db: AsyncSession, *, caller: TokenClaims, session_id: str
) -> tuple[PracticeSession, int]:
    """The caller's own active session (admins: any), its row locked once no other turn or
    finish holds it, and its last seq; the caller is read and checked in the same statement."""
    found = await locking.lock_free_turn(db, session_id=session_id, user_id=caller.user_id)
    user = found[1] if found else await auth_service.get_by_id(db, user_id=caller.user_id)
    if not auth_service.holds(caller, user):
        raise AppError("not authenticated", 401, {"WWW-Authenticate": "Bearer"})
    if found is None:
        raise NotFound("session not found")
    session, user, last_seq = found
    if session.rep_id != user.id and user.role != "admin":
        raise NotFound("session not found")
    if session.status != "active":
        raise Conflict("this session has ended; start a new one to practise again")
    return session, last_seq


def _row(session_id: str, turn: TurnOut, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A turn as a row of the turns table."""
    return {
        "session_id": session_id,
        "seq": turn.seq,
        "speaker": turn.speaker,
        "text": turn.text,
        "coaching": turn.coaching,
        "meta": meta,
        "prompt_version": turn.prompt_version,
        "created_at": turn.created_at,
    }


async def _still_held(db: AsyncSession, session_id: str, token: str) -> PracticeSession:
    """The session locked again after the model call, if this turn's lease still holds it."""
    session = await locking.lock_row(db, session_id)
    if session is None or session.lease != token:
        raise Conflict("the session moved on while the customer answered; reload it")
    return session


def _pending_retry(turns: list[TranscriptTurn], text: str) -> TranscriptTurn | None:
    """The last rep turn when the customer never answered it and the rep resends the same text."""
    if turns and turns[-1].speaker == "rep" and turns[-1].text == text:
        return turns[-1]
    return None
