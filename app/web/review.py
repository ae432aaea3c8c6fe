"""The trainer's review: the session list with filters, one session with comments and the
trainer's corrections of the coach, the team."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.coach.labelled import BEHAVIOURS
from app.deps import PlaybookDep, SessionDep
from app.errors import AppError, NotFound
from app.hygiene import has_visible
from app.personas import service as persona_service
from app.review import service as review_service
from app.review.schemas import LabelIn
from app.roleplay import retry
from app.roleplay import service as roleplay_service
from app.roleplay.schemas import SessionQuery
from app.web import charts
from app.web.common import (
    SCENARIOS,
    Field,
    csrf_refused,
    not_found,
    redirect,
    trainers_only,
    turn_views,
)
from app.web.security import PageUser, csrf_ok, is_trainer
from app.web.templating import render

router = APIRouter(include_in_schema=False)

SORTABLE = ("created_at", "rep", "persona", "score")


@dataclass
class SessionFilters:
    rep: str = ""
    persona_id: str = ""
    scenario: str = ""
    since: str = ""
    until: str = ""
    min_score: str = ""
    max_score: str = ""
    order: str = "-created_at"

    @classmethod
    def from_query(cls, query: dict[str, str]) -> SessionFilters:
        found = cls(**{k: query.get(k, "").strip() for k in cls.__dataclass_fields__})
        if found.order.removeprefix("-") not in SORTABLE:
            found.order = "-created_at"
        if found.scenario not in SCENARIOS:
            found.scenario = ""
        return found

    def query(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    def sort_link(self, column: str) -> str:
        """Sorting by a column: descending first, then flip on the next click."""
        order = column if self.order == f"-{column}" else f"-{column}"
        return "?" + self.query(order=order)

    def sort_state(self, column: str) -> str:
        if self.order == column:
            return "ascending"
        if self.order == f"-{column}":
            return "descending"
        return "none"

    def session_query(self) -> SessionQuery:
        return SessionQuery(
            rep=self.rep or None,
            persona_id=self.persona_id or None,
            scenario=self.scenario or None,
            since=_day_start(self.since),
            until=_day_end(self.until),
            min_score=_number(self.min_score),
            max_score=_number(self.max_score),
            order=self.order,
        )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _day_start(value: str) -> datetime | None:
    day = _day(value)
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def _day_end(value: str) -> datetime | None:
    day = _day(value)
    if day is None or day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _number(value: str) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


@router.get("/review", response_class=HTMLResponse)
async def review_list(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """Sessions of the trainer's team, filtered and sorted."""
    if not is_trainer(user):
        return trainers_only(request, user)
    filters = SessionFilters.from_query(dict(request.query_params))
    rows = await roleplay_service.list_sessions(
        db, user=user, query=filters.session_query(), limit=200
    )
    everyone = await roleplay_service.list_sessions(
        db, user=user, query=SessionQuery(order="rep"), limit=1000
    )
    personas = await persona_service.list_personas(db, playbook, user=user)
    return render(
        request,
        "review_list.html",
        {
            "rows": retry.beside_originals(rows),
            "filters": filters,
            "reps": sorted({name for _, name in everyone}),
            "personas": personas,
            "scenarios": SCENARIOS,
        },
        user=user,
    )


@router.get("/review/sessions/{session_id}", response_class=HTMLResponse)
async def review_session(
    request: Request, session_id: str, db: SessionDep, user: PageUser
) -> Response:
    """A session's transcript with its coaching, comments and a comment form on every turn."""
    if not is_trainer(user):
        return trainers_only(request, user)
    try:
        session, rep = await roleplay_service.get_session(db, user=user, session_id=session_id)
    except NotFound:
        return not_found(request, user)
    turns = await roleplay_service.turns_of(db, session_id=session_id)
    comments = await review_service.comments(db, session_id=session_id)
    return render(
        request,
        "review_session.html",
        {
            "session": session,
            "rep": rep,
            "persona": roleplay_service.persona_of(session),
            "turns": turn_views(turns, comments),
            "labels": await review_service.labels_of(db, session_id=session_id),
            "behaviours": BEHAVIOURS,
            "session_comments": [c for c in comments if c.turn_seq is None],
            "saved": request.query_params.get("saved"),
            "labelled": request.query_params.get("labelled"),
            "retry_panel": await retry.panel(db, session),
            "link_to": lambda sid: f"/review/sessions/{sid}",
        },
        user=user,
    )


@router.post("/review/sessions/{session_id}/turns/{seq}/label")
async def label_turn(
    request: Request, session_id: str, seq: int, db: SessionDep, user: PageUser
) -> Response:
    """Save a trainer's correction of the coach's reading of one rep turn."""
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf_token", ""))):
        return csrf_refused(request, user)
    if not is_trainer(user):
        return trainers_only(request, user)
    try:
        body = label_from_form(
            {k: str(v) for k, v in form.multi_items()}, form.getlist("behaviour")
        )
        await review_service.label_turn(db, user=user, session_id=session_id, seq=seq, body=body)
    except NotFound:
        return not_found(request, user)
    except (AppError, ValidationError):
        return redirect(f"/review/sessions/{session_id}#turn-{seq}")
    return redirect(f"/review/sessions/{session_id}?labelled={seq}#turn-{seq}")


def label_from_form(fields: dict[str, str], checked: Sequence[object]) -> LabelIn:
    """The correction form states the whole reading: every behaviour unticked is false."""
    ticked = {str(b) for b in checked}
    time_text = fields.get("time_text", "").strip() or None
    return LabelIn.model_validate(
        {
            "spin": fields.get("spin") or None,
            "question": fields.get("question") or None,
            "signals": {
                **{b: b in ticked for b in BEHAVIOURS},
                "repeat_of": fields.get("repeat_of") or None,
                "next_step": {
                    "proposed": "next_step" in ticked,
                    "has_concrete_time": "next_step" in ticked and time_text is not None,
                    "time_text": time_text if "next_step" in ticked else None,
                },
            },
        }
    )


@router.post("/review/sessions/{session_id}/comments")
async def add_comment(
    request: Request,
    session_id: str,
    db: SessionDep,
    user: PageUser,
    text: Annotated[str, Form(max_length=4000)] = "",
    turn_seq: Field = "",
    csrf_token: Field = "",
) -> Response:
    """Save a trainer's comment on a turn (or on the whole session)."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    if not is_trainer(user):
        return trainers_only(request, user)
    seq = (
        int(turn_seq) if turn_seq.isdecimal() and turn_seq.isascii() and int(turn_seq) > 0 else None
    )
    anchor = f"#turn-{seq}" if seq else "#session-comments"
    if not has_visible(text):
        return redirect(f"/review/sessions/{session_id}{anchor}")
    try:
        await review_service.add_comment(
            db, user=user, session_id=session_id, text=text.strip(), turn_seq=seq
        )
    except NotFound:
        return not_found(request, user)
    except AppError:
        return redirect(f"/review/sessions/{session_id}#session-comments")
    return redirect(f"/review/sessions/{session_id}?saved={seq or 0}{anchor}")


@router.get("/review/team", response_class=HTMLResponse)
async def team_page(request: Request, db: SessionDep, user: PageUser) -> Response:
    """Per rep: sessions, average score, SPIN mix and the score trend."""
    if not is_trainer(user):
        return trainers_only(request, user)
    overview = await review_service.team_overview(db, user=user)
    agreement = await review_service.agreement(db, user=user)
    rows = [
        {
            **entry,
            "chart": charts.trend_chart(
                [(f"#{i}", float(v)) for i, v in enumerate(entry["trend"], 1)]
            ),
            "mix": charts.spin_mix(entry["spin_mix"]),
        }
        for entry in overview
    ]
    return render(request, "team.html", {"rows": rows, "agreement": agreement}, user=user)
