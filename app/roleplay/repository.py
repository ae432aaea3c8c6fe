"""All queries on practice sessions, turns and comments."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    JSON,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.coach.schemas import Coaching
from app.review.models import Comment
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import SessionQuery

# Core statements for the two writes of every turn: no unit-of-work flush.
_TURNS = cast(Table, Turn.__table__)
_SESSIONS = cast(Table, PracticeSession.__table__)
_USERS = cast(Table, User.__table__)


def visible_to(user: User) -> Select[PracticeSession, str]:
    """Sessions with their rep's name, restricted to what the user may read."""
    stmt = select(PracticeSession, User.username).join(User, User.id == PracticeSession.rep_id)
    if user.role == "rep":
        return stmt.where(PracticeSession.rep_id == user.id)
    if user.role == "trainer" and user.team_id is not None:
        return stmt.where(User.team_id == user.team_id)
    return stmt


async def get_visible(
    db: AsyncSession, *, user: User, session_id: str
) -> tuple[PracticeSession, str] | None:
    row = (await db.execute(visible_to(user).where(PracticeSession.id == session_id))).first()
    return (row[0], row[1]) if row else None


async def list_visible(
    db: AsyncSession,
    *,
    user: User,
    query: SessionQuery | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[PracticeSession, str]]:
    q = query or SessionQuery()
    stmt = visible_to(user)
    if q.rep:
        stmt = stmt.where(User.username == q.rep)
    if q.persona_id:
        stmt = stmt.where(PracticeSession.persona_id == q.persona_id)
    if q.scenario:
        stmt = stmt.where(PracticeSession.scenario == q.scenario)
    if q.since:
        stmt = stmt.where(PracticeSession.created_at >= q.since)
    if q.until:
        stmt = stmt.where(PracticeSession.created_at <= q.until)
    if q.min_score is not None:
        stmt = stmt.where(PracticeSession.total_score >= q.min_score)
    if q.max_score is not None:
        stmt = stmt.where(PracticeSession.total_score <= q.max_score)
    column: Any = {
        "created_at": PracticeSession.created_at,
        "score": PracticeSession.total_score,
        "rep": User.username,
        "persona": PracticeSession.persona_id,
    }.get(q.order.lstrip("-"), PracticeSession.created_at)
    direction = column.desc() if q.order.startswith("-") else column.asc()
    stmt = stmt.order_by(direction, PracticeSession.id)
    return [(r[0], r[1]) for r in (await db.execute(stmt.limit(limit).offset(offset))).all()]


async def turns_of(db: AsyncSession, *, session_id: str) -> list[Turn]:
    stmt = select(Turn).where(Turn.session_id == session_id).order_by(Turn.seq)
    return list((await db.execute(stmt)).scalars())


async def retries_of(db: AsyncSession, *, session_id: str) -> list[PracticeSession]:
    """The sessions that retry this one, oldest first."""
    stmt = (
        select(PracticeSession)
        .where(PracticeSession.retry_of == session_id)
        .order_by(PracticeSession.created_at, PracticeSession.id)
    )
    return list((await db.execute(stmt)).scalars())


async def last_seq(db: AsyncSession, *, session_id: str) -> int:
    stmt = select(func.max(Turn.seq)).where(Turn.session_id == session_id)
    return int((await db.execute(stmt)).scalar_one() or 0)


async def comments_of(db: AsyncSession, *, session_id: str) -> list[tuple[Comment, str | None]]:
    stmt = (
        select(Comment, User.username)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.session_id == session_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [(r[0], r[1]) for r in (await db.execute(stmt)).all()]


async def rep_coaching_by_rep(db: AsyncSession, *, user: User) -> list[tuple[str, Coaching | None]]:
    """(rep name, coaching) for every rep turn of the sessions the user may read."""
    sessions = visible_to(user).with_only_columns(PracticeSession.id, User.username).subquery()
    stmt = (
        select(sessions.c.username, Turn.coaching)
        .join(sessions, sessions.c.id == Turn.session_id)
        .where(Turn.speaker == "rep")
    )
    return [(r[0], r[1]) for r in (await db.execute(stmt)).all()]


async def turn_at(db: AsyncSession, *, session_id: str, seq: int) -> Turn | None:
    stmt = select(Turn).where(Turn.session_id == session_id, Turn.seq == seq)
    found: Turn | None = await db.scalar(stmt)
    return found


async def turns_after(db: AsyncSession, *, session_id: str, seq: int) -> list[Turn]:
    stmt = select(Turn).where(Turn.session_id == session_id, Turn.seq > seq).order_by(Turn.seq)
    return list((await db.execute(stmt)).scalars())


# Built once: every turn runs it, and building a statement costs more than running it.
_SESSION_ID = bindparam("session_id", type_=String)
_LOCK_FOR_TURN = (
    select(
        PracticeSession,
        User,
        select(func.coalesce(func.max(Turn.seq), 0))
        .where(Turn.session_id == _SESSION_ID)
        .scalar_subquery(),
    )
    .join(User, User.id == bindparam("user_id", type_=Integer))
    .where(PracticeSession.id == _SESSION_ID)
    .options(defer(PracticeSession.persona))
    .with_for_update(of=PracticeSession)
    .execution_options(populate_existing=True)
)


async def lock_for_turn(
    db: AsyncSession, *, session_id: str, user_id: int
) -> tuple[PracticeSession, User, int] | None:
    """The session with its row locked (FOR UPDATE; SQLite's BEGIN IMMEDIATE holds the lock
    already), the caller, and the seq of the session's last turn (0: none yet), in one
    statement; None when either is missing. The persona snapshot is left unread (deferred)."""
    params = {"session_id": session_id, "user_id": user_id}
    row = (await db.execute(_LOCK_FOR_TURN, params)).first()
    if row is None:
        return None
    last_turn = int(row[2])
    if db.get_bind().dialect.name == "postgresql":
        # PostgreSQL computes the subquery on the snapshot taken before a waited-for row lock
        # was granted; a statement after the lock sees the turns committed meanwhile.
        last_turn = await last_seq(db, session_id=session_id)
    return row[0], row[1], last_turn


# The whole of a turn's claim in one statement (see `advance_turn`), built once.
_ADVANCE_SESSION_ID = bindparam("b_session_id", type_=String)
_ADVANCE_USER_ID = bindparam("b_user_id", type_=Integer)
_ADVANCE_TURN = (
    update(_SESSIONS)
    .where(
        _SESSIONS.c.id == _ADVANCE_SESSION_ID,
        _SESSIONS.c.rep_id == _ADVANCE_USER_ID,
        _SESSIONS.c.status == "active",
        _SESSIONS.c.lease.is_(None),
        select(func.coalesce(func.max(_TURNS.c.seq), 0))
        .where(_TURNS.c.session_id == _ADVANCE_SESSION_ID)
        .scalar_subquery()
        == bindparam("b_last_seq", type_=Integer),
        exists().where(
            _USERS.c.id == _ADVANCE_USER_ID,
            _USERS.c.disabled_at.is_(None),
            _USERS.c.token_version == bindparam("b_token_version", type_=Integer),
        ),
    )
    .values(state=bindparam("b_state", type_=JSON))
)


def engine_of(maker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine the maker's sessions are bound to."""
    return cast(AsyncEngine, maker.kw["bind"])


def claims_are_safe(maker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether `advance_turn` may claim a turn on this database: SQLite, whose transactions
    begin holding the write lock (app/db.py)."""
    bind = maker.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"


async def advance_turn(
    db: AsyncSession,
    *,
    session_id: str,
    user_id: int,
    token_version: int,
    last_seq: int,
    state: dict[str, Any],
) -> bool:
    """Store the customer's state after a new turn in one statement, only if the session is the
    user's own, active, held by no lease, its last turn is `last_seq`, and the user's token of
    `token_version` still holds; False (nothing written) otherwise.

    Safe only where a transaction takes the write lock before its first read (SQLite's BEGIN
    IMMEDIATE): on PostgreSQL a subquery does not see a turn committed while the row lock was
    awaited."""
    params = {
        "b_session_id": session_id,
        "b_user_id": user_id,
        "b_token_version": token_version,
        "b_last_seq": last_seq,
        "b_state": state,
    }
    result = await db.execute(_ADVANCE_TURN, params)
    return bool(cast(Any, result).rowcount == 1)


async def persona_json(db: AsyncSession, session: PracticeSession) -> dict[str, Any]:
    """The session's persona snapshot, read when first needed."""
    await db.refresh(session, ["persona"])
    return session.persona


async def save_session(db: AsyncSession, session: PracticeSession, **values: Any) -> None:
    """Update the session's columns in one statement (no unit-of-work flush); the loaded
    object shows the new values."""
    await db.execute(update(_SESSIONS).where(_SESSIONS.c.id == session.id).values(**values))
    for key, value in values.items():
        set_committed_value(session, key, value)


async def add_turns(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert turns in one statement, without loading them back."""
    if rows:
        await db.execute(insert(_TURNS), rows)
