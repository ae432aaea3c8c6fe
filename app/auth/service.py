from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ROLES, Team, User
from app.auth.security import hash_password, verify_password
from app.errors import AppError, Conflict


async def get_by_username(db: AsyncSession, *, username: str) -> User | None:
    return (await db.execute(select(User).where(User.username == username))).scalar_one_or_none()


async def get_by_id(db: AsyncSession, *, user_id: int) -> User | None:
    return await db.get(User, user_id)


async def get_or_create_team(db: AsyncSession, *, name: str) -> Team:
    team = (await db.execute(select(Team).where(Team.name == name))).scalar_one_or_none()
    if team is None:
        team = Team(name=name)
        db.add(team)
        await db.flush()
    return team


async def create_user(
    db: AsyncSession, *, username: str, password: str, role: str, team: str | None = None
) -> User:
    if role not in ROLES:
        raise AppError(f"role must be one of {', '.join(ROLES)}", 422)
    if not username.strip() or len(username) > 100:
        raise AppError("username must be 1 to 100 characters", 422)
    if not password:
        raise AppError("password must not be empty", 422)
    if await get_by_username(db, username=username):
        raise Conflict(f"user {username!r} already exists")
    team_id = (await get_or_create_team(db, name=team)).id if team else None
    user = User(
        username=username, password_hash=hash_password(password), role=role, team_id=team_id
    )
    db.add(user)
    await db.flush()
    return user


async def authenticate(db: AsyncSession, *, username: str, password: str) -> User | None:
    user = await get_by_username(db, username=username)
    if not verify_password(password, user.password_hash if user else None):
        return None
    return user


async def count_users(db: AsyncSession) -> int:
    return len((await db.execute(select(User.id).limit(1))).all())
