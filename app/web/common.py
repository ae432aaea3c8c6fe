"""What every page module shares: form field aliases, turn views, redirects and error pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth.models import User
from app.coach.schemas import Coaching
from app.roleplay.models import Turn
from app.roleplay.schemas import CommentOut
from app.web.templating import render

Field = Annotated[str, Form()]
OptionalField = Annotated[str | None, Form()]
SCENARIOS = ("cold_call", "discovery")


@dataclass
class TurnView:
    seq: int
    speaker: str
    text: str
    coaching: Coaching | None = None
    comments: list[CommentOut] = field(default_factory=list)


def turn_views(turns: list[Turn], comments: list[CommentOut] | None = None) -> list[TurnView]:
    by_seq: dict[int, list[CommentOut]] = {}
    for comment in comments or []:
        if comment.turn_seq is not None:
            by_seq.setdefault(comment.turn_seq, []).append(comment)
    return [
        TurnView(
            seq=t.seq,
            speaker="rep" if t.speaker == "rep" else "customer",
            text=t.text,
            coaching=t.coaching,
            comments=by_seq.get(t.seq, []),
        )
        for t in turns
    ]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(
    request: Request, user: User | None, status_code: int, title_key: str, body_key: str
) -> HTMLResponse:
    context = {"title_key": title_key, "body_key": body_key}
    return render(request, "error.html", context, user=user, status_code=status_code)


def csrf_refused(request: Request, user: User | None) -> HTMLResponse:
    return error_page(request, user, 403, "error.forbidden.title", "error.csrf")


def not_found(request: Request, user: User) -> HTMLResponse:
    return error_page(request, user, 404, "error.not_found.title", "error.not_found.body")


def trainers_only(request: Request, user: User) -> HTMLResponse:
    return error_page(request, user, 403, "error.forbidden.title", "error.forbidden.body")
