"""Serialising the turns of one session.

In one process an asyncio lock per session suffices (and spares SQLite a queue of writers).
Several processes sharing PostgreSQL also take a session-level advisory lock on a connection held
for the whole turn, so seqs stay gap-free and no turn is lost or doubled across processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def advisory_key(session_id: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:8], "big", signed=True)


@asynccontextmanager
async def turn_lock(engine: AsyncEngine, session_id: str) -> AsyncIterator[None]:
    lock = _locks.get(session_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[session_id] = lock
    async with lock:
        if engine.dialect.name != "postgresql":
            yield
            return
        async with engine.connect() as conn:
            key = advisory_key(session_id)
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()
