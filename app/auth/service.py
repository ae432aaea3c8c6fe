"""Users: creating them, signing in (with throttling), tokens that can be revoked."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import hygiene
from app.auth import throttle
from app.auth.models import ROLES, Team, User
from app.auth.security import create_token, decode_token, hash_password, verify_password
from app.config import Settings
from app.db import utcnow
from app.errors import AppError, Conflict


def normal_username(raw: str) -> str:
    """The stored form of a username, or 422 saying what is wrong with it."""
    try:
        return hygiene.username(raw)
    except ValueError as exc:
        raise AppError(str(exc), 422) from exc


def checked_password(password: str) -> str:
    try:
        return hygiene.check_password(password)
    except ValueError as exc:
        raise AppError(str(exc), 422) from exc


async def get_by_username(db: AsyncSession, *, username: str) -> User | None:
    """The user of a name as typed (any case or width), or None."""
    try:
        name = hygiene.username(username)
    except ValueError:
        return None
    return (await db.execute(select(User).where(User.username == name))).scalar_one_or_none()


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
    name = normal_username(username)
    checked_password(password)
    if await get_by_username(db, username=name):
        raise Conflict(f"user {name!r} already exists")
    team_id = (await get_or_create_team(db, name=team)).id if team else None
    user = User(username=name, password_hash=hash_password(password), role=role, team_id=team_id)
    db.add(user)
    await db.flush()
    return user


async def authenticate(db: AsyncSession, *, username: str, password: str) -> User | None:
    """The user when the password is right and the account is enabled."""
    user = await get_by_username(db, username=username)
    if not verify_password(password, user.password_hash if user else None):
        return None
    return user if user is not None and user.disabled_at is None else None


class TooManyAttempts(AppError):
    """Sign-in refused for a while (429 with Retry-After)."""

    status_code = 429

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"too many failed sign-ins: try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )
        self.seconds = seconds


async def sign_in(
    db: AsyncSession, *, username: str, password: str, address: str | None, settings: Settings
) -> User:
    """The user of a correct, unthrottled sign-in; 429 while throttled, 401 otherwise."""
    attempt = throttle.Attempt.of(username, address)
    wait = await throttle.retry_after(db, attempt=attempt, settings=settings)
    if wait:
        raise TooManyAttempts(wait)
    user = await authenticate(db, username=username, password=password)
    if user is None:
        await throttle.record_failure(db, attempt=attempt, settings=settings)
        raise AppError("wrong username or password", 401, {"WWW-Authenticate": "Bearer"})
    await throttle.forget(db, attempt=attempt)
    return user


async def change_password(
    db: AsyncSession,
    *,
    user: User,
    current: str,
    new: str,
    address: str | None,
    settings: Settings,
) -> None:
    """A new password when the current one is right (throttled like a sign-in); every earlier
    token and cookie session of the user stops working."""
    attempt = throttle.Attempt.of(user.username, address)
    wait = await throttle.retry_after(db, attempt=attempt, settings=settings)
    if wait:
        raise TooManyAttempts(wait)
    if not verify_password(current, user.password_hash):
        await throttle.record_failure(db, attempt=attempt, settings=settings)
        await db.refresh(user)  # the early commit expired it; the caller still shows it
        raise AppError("the current password is wrong", 403)
    await set_password(db, user=user, password=new)


def token_for(user: User, settings: Settings) -> str:
    return create_token(
        user.id, user.role, settings.secret_key, settings.token_minutes, user.token_version
    )


@dataclass(frozen=True)
class TokenClaims:
    """What a valid, unexpired token says: whose it is and which token version it carries."""

    user_id: int
    version: int


# Tokens verified lately, by the token itself (its signature included) and the key: every
# request of a client brings the same token, and verifying it costs a tenth of a millisecond.
# Only valid tokens are kept; their expiry is checked again on every use.
_VERIFIED: dict[tuple[str, str], tuple[TokenClaims, int]] = {}
_VERIFIED_SIZE = 4096


def claims_of(token: str | None, settings: Settings) -> TokenClaims | None:
    if not token:
        return None
    known = _VERIFIED.get((token, settings.secret_key))
    if known is not None:
        return known[0] if known[1] > time.time() else None
    claims: dict[str, Any] | None = decode_token(token, settings.secret_key)
    if claims is None or not str(claims["sub"]).isdigit():
        return None
    found = TokenClaims(int(claims["sub"]), int(claims.get("ver", 0)))
    if len(_VERIFIED) >= _VERIFIED_SIZE:
        _VERIFIED.clear()
    _VERIFIED[(token, settings.secret_key)] = (found, int(claims["exp"]))
    return found


def holds(claims: TokenClaims, user: User | None) -> bool:
    """The token still holds for its user: not revoked since, the user not disabled."""
    return user is not None and user.disabled_at is None and claims.version == user.token_version


async def user_of_token(db: AsyncSession, *, token: str, settings: Settings) -> User | None:
    """The user a token was made for, unless it was revoked since or the user is disabled."""
    claims = claims_of(token, settings)
    if claims is None:
        return None
    user = await get_by_id(db, user_id=claims.user_id)
    return user if holds(claims, user) else None


async def revoke_tokens(db: AsyncSession, *, user: User) -> None:
    """Make every token and cookie session of the user worthless (sign-out everywhere)."""
    user.token_version += 1
    await db.flush()


async def set_password(db: AsyncSession, *, user: User, password: str) -> None:
    """A new password; earlier tokens and cookie sessions stop working."""
    user.password_hash = hash_password(checked_password(password))
    await revoke_tokens(db, user=user)


async def disable(db: AsyncSession, *, user: User) -> None:
    user.disabled_at = utcnow()
    await revoke_tokens(db, user=user)


async def enable(db: AsyncSession, *, user: User) -> None:
    user.disabled_at = None
    await db.flush()


async def count_users(db: AsyncSession) -> int:
    return len((await db.execute(select(User.id).limit(1))).all())
