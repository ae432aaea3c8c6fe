"""Signing in and out, and the UI language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import service as auth_service
from app.auth.security import create_token
from app.deps import SessionDep, SettingsDep
from app.web.catalogue import as_language
from app.web.common import Field, csrf_refused, redirect
from app.web.security import MaybeUser, csrf_ok, safe_next, set_language_cookie, sign_in, sign_out
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
    found = await auth_service.authenticate(db, username=username, password=password)
    if found is None:
        return render(
            request, "login.html", {**context, "error_key": "login.failed"}, status_code=401
        )
    response = redirect(safe_next(next))
    token = create_token(found.id, found.role, settings.secret_key, settings.token_minutes)
    sign_in(request, response, token, settings.token_minutes * 60)
    return response


@router.post("/logout")
async def logout(request: Request, user: MaybeUser, csrf_token: Field = "") -> Response:
    """End the cookie session."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
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
