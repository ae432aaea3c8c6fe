"""Signing in and out, and the UI language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import service as auth_service
from app.deps import SessionDep, SettingsDep
from app.errors import AppError
from app.hygiene import MIN_PASSWORD_LENGTH
from app.web.catalogue import as_language
from app.web.common import Field, csrf_refused, redirect
from app.web.security import (
    MaybeUser,
    PageUser,
    csrf_ok,
    safe_next,
    set_language_cookie,
    sign_in,
    sign_out,
)
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    """The sign-in form."""
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error_key": None})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password and start a cookie session."""
    context = {"next": safe_next(next), "username": username}
    if not csrf_ok(request, csrf_token):
        return render(
            request, "login.html", {**context, "error_key": "login.csrf"}, status_code=403
        )
    try:
        found = await auth_service.sign_in(
            db,
            username=username,
            password=password,
            address=request.client.host if request.client else None,
            settings=settings,
        )
    except auth_service.TooManyAttempts as exc:
        page = render(
            request,
            "login.html",
            {**context, "error_key": "login.throttled", "error_args": _minutes(exc.seconds)},
            status_code=429,
        )
        page.headers["Retry-After"] = str(exc.seconds)
        return page
    except AppError:
        return render(
            request, "login.html", {**context, "error_key": "login.failed"}, status_code=401
        )
    response = redirect(safe_next(next))
    sign_in(request, response, auth_service.token_for(found, settings), settings.token_minutes * 60)
    return response


def _minutes(seconds: int) -> dict[str, int]:
    return {"minutes": max(1, -(-seconds // 60))}


@router.post("/logout")
async def logout(
    request: Request, db: SessionDep, user: MaybeUser, csrf_token: Field = ""
) -> Response:
    """Sign out everywhere: this cookie session and every other token of the user stop working."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    if user is not None:
        await auth_service.revoke_tokens(db, user=user)
    response = redirect("/login")
    sign_out(request, response)
    return response


@router.post("/language")
async def switch_language(
    request: Request, user: MaybeUser, lang: Field = "", csrf_token: Field = "", next: Field = "/"
) -> Response:
    """Remember the UI language in a cookie and go back to the page."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    response = redirect(safe_next(next))
    chosen = as_language(lang)
    if chosen is not None:
        set_language_cookie(request, response, chosen)
    return response


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request, user: PageUser) -> Response:
    """The form to change one's password."""
    context = {"error_key": None, "done": False, "min_length": MIN_PASSWORD_LENGTH}
    return render(request, "password.html", context, user=user)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Field = "",
) -> Response:
    """Change the password; every other session and token of the user stops working, this
    browser gets a fresh cookie session."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    error_key, args, status, retry = None, {}, 200, None
    try:
        await auth_service.change_password(
            db,
            user=user,
            current=current_password,
            new=new_password,
            address=request.client.host if request.client else None,
            settings=settings,
        )
    except auth_service.TooManyAttempts as exc:
        error_key, args, status, retry = "login.throttled", _minutes(exc.seconds), 429, exc.seconds
    except AppError as exc:
        wrong = exc.status_code == 403
        error_key = "password.wrong" if wrong else "password.invalid"
        args = {} if wrong else {"min": MIN_PASSWORD_LENGTH}
        status = 403 if wrong else 422
    context = {
        "error_key": error_key,
        "error_args": args,
        "done": error_key is None,
        "min_length": MIN_PASSWORD_LENGTH,
    }
    page = render(request, "password.html", context, user=user, status_code=status)
    if retry is not None:
        page.headers["Retry-After"] = str(retry)
    if error_key is None:
        sign_in(request, page, auth_service.token_for(user, settings), settings.token_minutes * 60)
    return page
