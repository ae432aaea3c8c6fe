"""Trying a turn again: a new session that restarts an earlier one from one of its rep turns.

The retry holds copies of the turns before that rep turn (text, reading, what the customer
revealed) and the customer's state at that point, so the rep goes on live from there and
the customer remembers exactly what it had said. The state is the one stored with the last
customer turn before `from_seq` (every customer turn keeps the state after it); for turns
stored before that was kept, it is rebuilt by replaying the state machine over the stored
readings, with the facts revealed taken from what was stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.coach.schemas import Scenario
from app.db import utcnow
from app.errors import AppError, NotFound
from app.playbook.customer import CustomerRules
from app.playbook.loader import Playbook
from app.playbook.persona import Persona
from app.roleplay import repository
from app.roleplay import service as roleplay_service
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.state import CustomerState, decide, initial_state


class NotARepTurn(AppError):
    status_code = 422


def state_before(
    turns: list[Turn], persona: Persona, scenario: Scenario, rules: CustomerRules
) -> CustomerState:
    """The customer's state after the last customer turn of `turns` (all before the retry)."""
    answered = [t for t in turns if t.speaker == "customer"]
    if not answered:
        return initial_state(persona, rules)
    stored = (answered[-1].meta or {}).get("state")
    if stored is not None:
        return CustomerState.model_validate(stored)
    state = initial_state(persona, rules)
    by_seq = {t.seq: t for t in turns}
    for turn in turns:
        reply = by_seq.get(turn.seq + 1)
        if turn.speaker != "rep" or turn.coaching is None or reply is None:
            continue
        state = decide(state, persona, turn.coaching, scenario, rules, seq=turn.seq).state
        said = [t for t in turns if t.seq <= reply.seq]
        revealed = [f["id"] for t in said for f in (t.meta or {}).get("revealed", [])]
        state.revealed = list(dict.fromkeys(revealed))
    return state


async def retry_session(
    db: AsyncSession,
    playbook: Playbook,
    *,
    user: User,
    session_id: str,
    from_seq: int,
    engine: str,
) -> PracticeSession:
    """A new active session for `user` holding the turns before rep turn `from_seq` of their
    session `session_id` and the customer's state at that point."""
    original, _ = await roleplay_service.get_session(db, user=user, session_id=session_id)
    if original.rep_id != user.id and user.role != "admin":
        # Trainers read reps' sessions but do not practise in them.
        raise NotFound("session not found")
    turns = await repository.turns_of(db, session_id=session_id)
    start = next((t for t in turns if t.seq == from_seq), None)
    if start is None or start.speaker != "rep":
        rep_seqs = ", ".join(str(t.seq) for t in turns if t.speaker == "rep") or "none"
        raise NotARepTurn(
            f"from_seq must be one of this session's rep turns (rep turns: {rep_seqs})"
        )
    before = [t for t in turns if t.seq < from_seq]
    persona = roleplay_service.persona_of(original)
    state = state_before(before, persona, original.scenario, playbook.customer)
    retry = PracticeSession(
        id=str(uuid.uuid4()),
        rep_id=original.rep_id,
        persona_id=original.persona_id,
        persona=original.persona,
        scenario=original.scenario,
        language=original.language,
        status="active",
        engine=engine,
        state=state.model_dump(mode="json"),
        created_at=utcnow(),
        retry_of=original.id,
        retry_from_seq=from_seq,
    )
    db.add(retry)
    for t in before:
        db.add(
            Turn(
                session_id=retry.id,
                seq=t.seq,
                speaker=t.speaker,
                text=t.text,
                coaching=t.coaching.model_copy(deep=True) if t.coaching else None,
                meta=t.meta,
                prompt_version=t.prompt_version,
                created_at=t.created_at,
            )
        )
    await db.flush()
    return retry


@dataclass
class RetryView:
    """A retry beside its original: the rep turn tried again and the customer's answer, in each."""

    id: str
    from_seq: int
    status: str
    total_score: float | None
    created_at: datetime
    original_rep: str | None
    original_reply: str | None
    retry_rep: str | None
    retry_reply: str | None


@dataclass
class RetryPanel:
    origin: PracticeSession | None  # the session this one retries, when it is a retry
    retries: list[RetryView]


async def panel(db: AsyncSession, session: PracticeSession) -> RetryPanel:
    """The session's original (when it is a retry) and its retries, each beside the original."""
    origin = await db.get(PracticeSession, session.retry_of) if session.retry_of else None
    retries = await repository.retries_of(db, session_id=session.id)
    if not retries:
        return RetryPanel(origin, [])
    said = {t.seq: t.text for t in await repository.turns_of(db, session_id=session.id)}
    views: list[RetryView] = []
    for r in retries:
        start = r.retry_from_seq or 1
        again = {t.seq: t.text for t in await repository.turns_of(db, session_id=r.id)}
        views.append(
            RetryView(
                id=r.id,
                from_seq=start,
                status=r.status,
                total_score=r.total_score,
                created_at=r.created_at,
                original_rep=said.get(start),
                original_reply=said.get(start + 1),
                retry_rep=again.get(start),
                retry_reply=again.get(start + 1),
            )
        )
    return RetryPanel(origin, views)


def beside_originals(
    rows: list[tuple[PracticeSession, str]],
) -> list[tuple[PracticeSession, str]]:
    """The listed sessions with each retry moved right after its original (when listed too),
    retries of one original oldest first; the rest keep their order."""
    listed = {s.id for s, _ in rows}
    retries: dict[str, list[tuple[PracticeSession, str]]] = {}
    for row in rows:
        if row[0].retry_of in listed:
            retries.setdefault(str(row[0].retry_of), []).append(row)
    ordered: list[tuple[PracticeSession, str]] = []

    def place(row: tuple[PracticeSession, str]) -> None:
        ordered.append(row)
        for retry in sorted(retries.get(row[0].id, []), key=lambda r: r[0].created_at):
            place(retry)

    for row in rows:
        if row[0].retry_of not in listed:
            place(row)
    return ordered
