"""Sign-in throttling, per user and per client address, shared by every server process.

Each failed sign-in (a wrong password, an unknown or disabled user) is a row in
`login_failures` under two keys: `user:NAME` (the name in its normal form, so case and width
variants count together) and `address:IP`. While a key has `limit` failures within the last
`window` seconds (SALESCOACH_LOGIN_USER_FAILURES, _ADDRESS_FAILURES, _WINDOW_SECONDS), a sign-in
on it answers 429 with `Retry-After`: the seconds until the oldest of those failures leaves the
window. The password is not checked meanwhile. A successful sign-in clears its user's failures.
A failure is committed at once, since the request that failed is rolled back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import hygiene
from app.auth.models import LoginFailure
from app.config import Settings
from app.db import utcnow


@dataclass(frozen=True)
class Attempt:
    """Who is signing in, as throttling counts them."""

    user_key: str
    address_key: str

    @classmethod
    def of(cls, username: str, address: str | None) -> Attempt:
        try:
            name = hygiene.username(username)
        except ValueError:
            name = username.casefold()[:100]
        return cls(f"user:{name}", f"address:{address or 'unknown'}"[:200])


async def _wait(db: AsyncSession, *, key: str, limit: int, window: timedelta, now: datetime) -> int:
    stmt = (
        select(LoginFailure.at)
        .where(LoginFailure.key == key, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    )
    recent = list((await db.execute(stmt)).scalars())
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


async def retry_after(db: AsyncSession, *, attempt: Attempt, settings: Settings) -> int:
    """Seconds this attempt must wait (0: it may go ahead)."""
    now, window = utcnow(), timedelta(seconds=settings.login_window_seconds)
    return max(
        await _wait(
            db, key=attempt.user_key, limit=settings.login_user_failures, window=window, now=now
        ),
        await _wait(
            db,
            key=attempt.address_key,
            limit=settings.login_address_failures,
            window=window,
            now=now,
        ),
    )


async def record_failure(db: AsyncSession, *, attempt: Attempt, settings: Settings) -> None:
    """Store the failure and commit it now: the request that failed is about to be rolled back,
    and the failure must outlive it. Nothing else of that request is kept."""
    await db.rollback()
    now = utcnow()
    db.add_all(
        [LoginFailure(key=attempt.user_key, at=now), LoginFailure(key=attempt.address_key, at=now)]
    )
    cutoff = now - timedelta(seconds=settings.login_window_seconds)
    await db.execute(delete(LoginFailure).where(LoginFailure.at <= cutoff))
    await db.commit()


async def forget(db: AsyncSession, *, attempt: Attempt) -> None:
    await db.execute(delete(LoginFailure).where(LoginFailure.key == attempt.user_key))
