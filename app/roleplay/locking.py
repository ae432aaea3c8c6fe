"""Serialising the turns (and the finish) of one session, with no connection held for a lock.

A turn has three steps: store the rep turn (a transaction), let the model answer (no transaction
open), store the reply (a transaction). What keeps two turns of a session from interleaving:

- In one process, an asyncio lock per session queues them (`local_lock`).
- In the database, each transaction of a turn starts by locking the session row
  (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers).
- Across the model call, a lease on that row (`lease`, a token, and `lease_until`) marks the
  session busy. It is written and cleared under the row lock and committed with the step that
  takes or ends it. Another process that finds a live lease waits with its transaction closed
  (short polls, holding no connection) and takes the row once the lease is cleared, or once it
  expired (a process that died mid-turn).

A step that finds its lease gone (it expired and another turn took over) stores nothing more.
Work under a lease that fails or is cancelled (the model failed, the client went away) clears
the lease at once (`leased`), so the rep's next turn does not wait for it to run out.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import User
from app.db import utcnow
from app.roleplay import repository
from app.roleplay.models import PracticeSession

log = logging.getLogger("salescoach.roleplay")
Row = TypeVar("Row")

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
_clearing: set[asyncio.Task[None]] = set()

FIRST_POLL = 0.02
MAX_POLL = 0.5


@asynccontextmanager
async def local_lock(session_id: str) -> AsyncIterator[None]:
    """This process's turns of one session, one at a time."""
    lock = _locks.get(session_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[session_id] = lock
    async with lock:
        yield


async def lock_row(db: AsyncSession, session_id: str) -> PracticeSession | None:
    """The session, its row locked until the transaction ends, its attributes fresh."""
    stmt = (
        select(PracticeSession)
        .where(PracticeSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def lock_free_row(db: AsyncSession, session_id: str) -> PracticeSession | None:
    """`lock_row` once no other live lease holds the session (waits with no transaction open)."""
    return await _when_free(db, lambda: lock_row(db, session_id), lambda session: session)


async def lock_free_turn(
    db: AsyncSession, *, session_id: str, user_id: int
) -> tuple[PracticeSession, User, int] | None:
    """`lock_free_row` for a turn: with the caller and the session's last seq, one statement."""
    return await _when_free(
        db,
        lambda: repository.lock_for_turn(db, session_id=session_id, user_id=user_id),
        lambda row: row[0],
    )


async def _when_free(
    db: AsyncSession,
    lock: Callable[[], Awaitable[Row | None]],
    session_of: Callable[[Row], PracticeSession],
) -> Row | None:
    delay = FIRST_POLL
    while True:
        row = await lock()
        if row is None or session_of(row).lease is None:
            return row
        left = (session_of(row).lease_until or utcnow()) - utcnow()
        if left <= timedelta(0):
            return row  # the holder died mid-turn; its lease has run out
        await db.rollback()  # wait holding neither the row lock nor a pooled connection
        await asyncio.sleep(min(delay, left.total_seconds()))
        delay = min(delay * 2, MAX_POLL)


def take_lease(session: PracticeSession, seconds: float) -> str:
    token = str(uuid.uuid4())
    session.lease = token
    session.lease_until = utcnow() + timedelta(seconds=seconds)
    return token


def end_lease(session: PracticeSession) -> None:
    session.lease = None
    session.lease_until = None


@asynccontextmanager
async def leased(
    db: AsyncSession, maker: async_sessionmaker[AsyncSession], session_id: str, token: str
) -> AsyncIterator[None]:
    """Work under the lease `token`, which `db` committed. If the work fails or is cancelled,
    `db`'s transaction is rolled back and the lease cleared, in a task and a DB session of its
    own, so a cancellation cannot cut the clearing short."""
    try:
        yield
    except BaseException:
        task = asyncio.create_task(_clear(maker, session_id, token))
        _clearing.add(task)
        task.add_done_callback(_clearing.discard)
        # Under cancellation these awaits may be cut short; the task goes on regardless.
        with suppress(BaseException):
            await db.rollback()  # frees the row the clearing locks
            await asyncio.shield(task)
        raise


async def _clear(maker: async_sessionmaker[AsyncSession], session_id: str, token: str) -> None:
    try:
        async with maker() as db:
            session = await lock_row(db, session_id)
            if session is not None and session.lease == token:
                end_lease(session)
            await db.commit()
    except Exception:
        log.warning("could not clear the lease of session %s; it runs out", session_id)
