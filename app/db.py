"""Declarative base with a naming convention, engine and session factories.

SQLite runs in WAL mode with foreign keys on and a busy timeout; every transaction takes the
write lock at BEGIN (BEGIN IMMEDIATE) so concurrent writers queue instead of failing with
"database is locked" on a lock upgrade. A turn's writes on SQLite also queue in process
(`write_lock`): a writer waiting in SQLite's busy handler sleeps in steps of up to 100 ms
instead of waking when the lock frees.
"""

from __future__ import annotations

import asyncio
import socket
import weakref
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, event, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases.

    PostgreSQL keeps the zone (timestamptz); SQLite has none, so values are stored as naive UTC
    and read back with UTC attached. Naive values passed in are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# SQLSTATE classes of a database that cannot serve us: connection exception, unknown database,
# refused authorisation, too many connections, shutting down.
_UNAVAILABLE_SQLSTATES = ("08", "3D000", "28", "53", "57P")


def unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or has gone away (as opposed to a bad statement)."""
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError):
        return True  # asyncpg raises these unwrapped while connecting
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    code = str(getattr(exc.orig, "sqlstate", None) or "")
    return code.startswith(_UNAVAILABLE_SQLSTATES)


def describe_unavailable(url: str, exc: BaseException) -> str:
    """One line naming the database (without its password) and why it does not answer."""
    where = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"cannot reach the database {where}: {reason[0] if reason else type(exc).__name__}"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 10.0,
    **kwargs: Any,
) -> AsyncEngine:
    """The async engine; the pool sizes apply to PostgreSQL (SQLite opens a file per connection)."""
    if not is_sqlite(url):
        return create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            **kwargs,
        )
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see the "begin" hook below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# One lock per SQLite engine (its file) and event loop; PostgreSQL takes row locks instead.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def write_lock(engine: AsyncEngine) -> AbstractAsyncContextManager[object]:
    """What a short write transaction holds from before its BEGIN to after its COMMIT: on
    SQLite an in-process lock, so writers wake in turn as each commits rather than sleep in
    SQLite's busy handler; on PostgreSQL nothing."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    loop = asyncio.get_running_loop()
    held = _WRITE_LOCKS.get(engine.sync_engine)
    if held is None or held[0] is not loop:
        held = _WRITE_LOCKS[engine.sync_engine] = (loop, asyncio.Lock())
    return held[1]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
