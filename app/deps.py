"""Annotated dependency aliases shared by every router."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.service import TokenClaims
from app.config import Settings
from app.errors import AppError
from app.playbook.loader import Playbook

SESSION_COOKIE = "salescoach_session"
CSRF_COOKIE = "salescoach_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# App-state getters are coroutines: FastAPI runs a plain `def` dependency in a worker thread.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


async def get_db(
    maker: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)],
) -> AsyncIterator[AsyncSession]:
    """The request's session, the one owner of its transaction: it commits once the route has
    returned (before the response is sent, so a redirect never outruns its write) and rolls back
    on any error. Services only flush."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_playbook(request: Request) -> Playbook:
    playbook: Playbook = request.app.state.playbook
    return playbook


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
SessionMakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
PlaybookDep = Annotated[Playbook, Depends(get_playbook)]


async def user_from_token(db: AsyncSession, settings: Settings, token: str | None) -> User | None:
    """The user of a bearer token or cookie session still valid (not revoked, not disabled)."""
    return await auth_service.user_of_token(db, token=token, settings=settings) if token else None


def _check_csrf(request: Request) -> None:
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise AppError("missing or wrong CSRF token", 403)


def _not_authenticated() -> AppError:
    return AppError("not authenticated", 401, {"WWW-Authenticate": "Bearer"})


async def get_current_user(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2)],
) -> User:
    """The user of a bearer token, or of the web UI's cookie session (with a CSRF check)."""
    if bearer:
        user = await user_from_token(db, settings, bearer)
    else:
        user = await user_from_token(db, settings, request.cookies.get(SESSION_COOKIE))
        if user is not None:
            _check_csrf(request)
    if user is None:
        raise _not_authenticated()
    return user


async def get_caller(
    request: Request,
    bearer: Annotated[str | None, Depends(oauth2)],
) -> TokenClaims:
    """What the caller's token says (a cookie session: with the CSRF check), for a route that
    reads the user in a transaction of its own and checks it there (`auth_service.holds`):
    a turn reads the user with the session, in one statement. The settings are read from the
    app's state, not as a dependency (one fewer for a turn to solve)."""
    settings: Settings = request.app.state.settings
    claims = auth_service.claims_of(bearer or request.cookies.get(SESSION_COOKIE), settings)
    if claims is None:
        raise _not_authenticated()
    if not bearer:
        _check_csrf(request)
    return claims


CurrentUser = Annotated[User, Depends(get_current_user)]
Caller = Annotated[TokenClaims, Depends(get_caller)]


async def get_user_between_turns(db: SessionDep, user: CurrentUser) -> User:
    """The caller of a route whose work runs in a DB session of its own (a turn, a finish).
    The request's transaction, a read so far, ends here: the work must not wait on it (SQLite's
    write lock) nor hold a second pooled connection beside its own."""
    await db.commit()
    return user


UserBetweenTurns = Annotated[User, Depends(get_user_between_turns)]


def require_role(*roles: str) -> Callable[[User], Coroutine[Any, Any, User]]:
    async def _guard(user: CurrentUser) -> User:
        if user.role not in roles:
            raise AppError(f"this needs the role {' or '.join(roles)}", 403)
        return user

    return _guard


TrainerUser = Annotated[User, Depends(require_role("trainer", "admin"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]
