"""The web UI's cookie session and CSRF protection (double submit).

The session cookie `salescoach_session` holds the same signed JWT as a bearer token (HttpOnly,
SameSite=Lax). The CSRF cookie `salescoach_csrf` holds a random token that every form repeats
in a hidden `csrf_token` field and every script call in the `X-CSRF-Token` header; a post
whose copy differs from the cookie is refused. The token is also set before sign-in, so the
login form itself is protected, and renewed at sign-in.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response

from app.auth.models import User
from app.config import Settings
from app.deps import CSRF_COOKIE, SESSION_COOKIE, SessionDep, SettingsDep, user_from_token
from app.web.catalogue import UiLanguage, as_language, from_accept_language

LANGUAGE_COOKIE = "salescoach_lang"
YEAR_SECONDS = 365 * 24 * 3600


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one that `remember_csrf` will set."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = new_csrf_token()
        request.state.new_csrf = token
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request had to mint a token."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        set_csrf_cookie(request, response, token)


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest((sent or "").encode(), expected.encode())


def sign_in(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    # A fresh CSRF token per signed-in session, so a token seen before sign-in is worthless.
    set_csrf_cookie(request, response, new_csrf_token())


def sign_out(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="lax")


def ui_language(request: Request) -> UiLanguage:
    """The language chosen with the switch, else the browser's."""
    return as_language(request.cookies.get(LANGUAGE_COOKIE)) or from_accept_language(
        request.headers.get("accept-language")
    )


def set_language_cookie(request: Request, response: Response, language: UiLanguage) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=YEAR_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything pointing off-site becomes the start page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def optional_page_user(
    request: Request, db: SessionDep, settings: SettingsDep
) -> User | None:
    return await user_from_token(db, settings, request.cookies.get(SESSION_COOKIE))


async def page_user(
    request: Request, user: Annotated[User | None, Depends(optional_page_user)]
) -> User:
    """The signed-in user, or a redirect to the login page that comes back here."""
    if user is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            303, "sign in first", headers={"Location": f"/login?next={quote(back)}"}
        )
    return user


PageUser = Annotated[User, Depends(page_user)]


async def page_user_between_turns(db: SessionDep, user: PageUser) -> User:
    """`PageUser` for pages whose work runs in a DB session of its own (app/deps.py
    `get_user_between_turns`): the request's read transaction ends here."""
    await db.commit()
    return user


PageUserBetweenTurns = Annotated[User, Depends(page_user_between_turns)]
MaybeUser = Annotated[User | None, Depends(optional_page_user)]


def is_trainer(user: User) -> bool:
    return user.role in ("trainer", "admin")


def _secure(request: Request) -> bool:
    """Secure cookies over HTTPS (seen directly or through a trusted proxy), or when configured."""
    settings: Settings = request.app.state.settings
    return request.url.scheme == "https" or settings.secure_cookies
