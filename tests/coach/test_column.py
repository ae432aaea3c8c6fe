"""The stored reading: a rep turn's coaching goes into the database and comes back as `Coaching`."""

from __future__ import annotations

import httpx
from sqlalchemy import JSON, column, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.coach.schemas import Coaching, NextStepSignal, Signals
from app.roleplay.models import Turn
from tests.conftest import Account


async def _session(client: httpx.AsyncClient, rep: Account) -> str:
    r = await client.post(
        "/api/v1/sessions",
        json={"persona_id": "chen-logistics", "scenario": "discovery"},
        headers=rep.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_reading_round_trips_as_the_pydantic_model(
    client: httpx.AsyncClient, db: AsyncSession, rep: Account
) -> None:
    session_id = await _session(client, rep)
    reading = Coaching(
        language="zh",
        spin="problem",
        question="open",
        flags=["multiple_questions"],
        signals=Signals(
            summary=True,
            repeat_of=3,
            next_step=NextStepSignal(proposed=True, has_concrete_time=True, time_text="明天"),
        ),
    )
    db.add(Turn(session_id=session_id, seq=1, speaker="rep", text="……", coaching=reading))
    db.add(Turn(session_id=session_id, seq=2, speaker="customer", text="嗯", coaching=None))
    await db.commit()
    db.expunge_all()

    stored = (await db.execute(select(Turn).order_by(Turn.seq))).scalars().all()
    assert isinstance(stored[0].coaching, Coaching)
    assert stored[0].coaching == reading
    assert stored[1].coaching is None


async def test_a_reading_stored_before_new_fields_loads_with_their_defaults(
    client: httpx.AsyncClient, db: AsyncSession, rep: Account
) -> None:
    session_id = await _session(client, rep)
    db.add(Turn(session_id=session_id, seq=1, speaker="rep", text="hi", coaching=None))
    await db.commit()
    # An older row: no signals at all, written as plain JSON past the typed column.
    raw = table("turns", column("session_id"), column("coaching", JSON))
    old = {"language": "en", "spin": "situation", "question": "closed", "flags": [], "tip": ""}
    await db.execute(update(raw).where(raw.c.session_id == session_id).values(coaching=old))
    await db.commit()
    db.expunge_all()

    turn = (await db.execute(select(Turn).where(Turn.session_id == session_id))).scalar_one()
    assert turn.coaching is not None
    assert turn.coaching.spin == "situation"
    assert turn.coaching.signals == Signals()
