"""The web pages: sign-in, practice (start, chat, summary) and the trainer's review.

Pages read and write through the domain services, as the API does; the chat page's script
sends turns to the API's SSE route (see app/roleplay/sse.py) with the cookie session and the
`X-CSRF-Token` header. Every form post carries the CSRF token (app/web/security.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.security import create_token
from app.coach.schemas import Coaching
from app.deps import PlaybookDep, SessionDep, SessionMakerDep, SettingsDep
from app.errors import AppError, NotFound
from app.needs import service as needs_service
from app.personas import service as persona_service
from app.playbook.persona import Persona
from app.review import service as review_service
from app.roleplay import repository as roleplay_repository
from app.roleplay import service as roleplay_service
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.schemas import CommentOut, SessionQuery
from app.web import charts, progress
from app.web.catalogue import Translator, as_language
from app.web.security import (
    MaybeUser,
    PageUser,
    csrf_ok,
    is_trainer,
    safe_next,
    set_language_cookie,
    sign_in,
    sign_out,
    ui_language,
)
from app.web.templating import render

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form()]
OptionalField = Annotated[str | None, Form()]
SCENARIOS = ("cold_call", "discovery")
SORTABLE = ("created_at", "rep", "persona", "score")


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
            coaching=Coaching.model_validate(t.coaching) if t.coaching else None,
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


# --- signing in and out, the language switch ------------------------------------------------


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


# --- practice: start, chat, finish, summary -------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def start_page(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """Persona cards and the scenario choice; the rep's own practice personas first."""
    personas = await persona_service.list_personas(db, playbook, user=user)
    own = await persona_service.owned_ids(db, user=user)
    recent = await roleplay_repository.list_visible(
        db, user=user, query=SessionQuery(rep=user.username), limit=8
    )
    scenario = request.query_params.get("scenario")
    return render(
        request,
        "start.html",
        {
            "personas": personas,
            "own": own,
            "recent": [s for s, _ in recent],
            "scenario": scenario if scenario in SCENARIOS else "discovery",
        },
        user=user,
    )


@router.post("/practice")
async def start_practice(
    request: Request,
    db: SessionDep,
    playbook: PlaybookDep,
    settings: SettingsDep,
    user: PageUser,
    persona_id: Field = "",
    scenario: Field = "discovery",
    csrf_token: Field = "",
) -> Response:
    """Create a session with the chosen persona and scenario, then open the chat."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    try:
        session = await roleplay_service.create_session(
            db,
            playbook,
            user=user,
            persona_id=persona_id,
            scenario=scenario if scenario in SCENARIOS else "discovery",  # type: ignore[arg-type]
            engine=settings.llm,
        )
    except NotFound:
        return not_found(request, user)
    await db.commit()
    return redirect(f"/practice/{session.id}")


async def own_session(db: SessionDep, user: User, session_id: str) -> PracticeSession | None:
    """The caller's own session (admins: any); None when it is not theirs to practise."""
    try:
        session, _ = await roleplay_service.get_session(db, user=user, session_id=session_id)
    except NotFound:
        return None
    if session.rep_id != user.id and user.role != "admin":
        return None
    return session


@router.get("/practice/{session_id}", response_class=HTMLResponse)
async def chat_page(request: Request, session_id: str, db: SessionDep, user: PageUser) -> Response:
    """The conversation: transcript, coaching, trackers; the script streams new turns."""
    session = await own_session(db, user, session_id)
    if session is None:
        if is_trainer(user):
            return redirect(f"/review/sessions/{session_id}")
        return not_found(request, user)
    turns = await roleplay_repository.turns_of(db, session_id=session_id)
    coachings = [t.coaching for t in turns if t.speaker == "rep"]
    state = session.state or {}
    t = Translator(ui_language(request))
    script_strings = t.subset(
        "chat.", "coach.", "spin.", "flag.", "opener.", "patience.", "tracker."
    )
    return render(
        request,
        "chat.html",
        {
            "session": session,
            "persona": roleplay_service.persona_of(session),
            "turns": turn_views(turns),
            "tracker": progress.spin_tracker(coachings),
            "opener": progress.opener_checklist(coachings),
            "spin_order": progress.SPIN_ORDER,
            "opener_checks": progress.OPENER_CHECKS,
            "patience": state.get("patience"),
            "max_patience": state.get("max_patience") or state.get("patience"),
            "script_strings": script_strings,
        },
        user=user,
    )


@router.post("/practice/{session_id}/turns")
async def send_turn_without_script(
    request: Request,
    session_id: str,
    db: SessionDep,
    maker: SessionMakerDep,
    playbook: PlaybookDep,
    user: PageUser,
    text: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Field = "",
) -> Response:
    """The chat form without JavaScript: run the turn whole, then show the page again."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    session = await own_session(db, user, session_id)
    if session is None:
        return not_found(request, user)
    await db.commit()  # the turn takes the session lock with its own DB sessions
    if session.status != "active":
        return redirect(f"/practice/{session_id}/summary")
    if text.strip():
        try:
            async for _ in roleplay_service.run_turn(
                maker,
                playbook,
                request.app.state.customer_engine,
                user=user,
                session_id=session_id,
                text=text.strip(),
                on_ended=needs_service.finisher(playbook, request.app.state.chat_model),
            ):
                pass
        except AppError:
            return redirect(f"/practice/{session_id}?failed=1")
    return redirect(f"/practice/{session_id}#composer")


@router.post("/practice/{session_id}/finish")
async def finish_practice(
    request: Request,
    session_id: str,
    db: SessionDep,
    playbook: PlaybookDep,
    user: PageUser,
    csrf_token: Field = "",
) -> Response:
    """End the session, save its scorecard and needs record, and open the summary."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    session = await own_session(db, user, session_id)
    if session is None:
        return not_found(request, user)
    await needs_service.finish_between_turns(
        db, request.app.state.engine, playbook, session, request.app.state.chat_model
    )
    return redirect(f"/practice/{session_id}/summary")


@router.get("/practice/{session_id}/summary", response_class=HTMLResponse)
async def summary_page(
    request: Request, session_id: str, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """Scorecard, needs record (Appendix 4), SPIN timeline and exports."""
    try:
        session, rep = await roleplay_service.get_session(db, user=user, session_id=session_id)
    except NotFound:
        return not_found(request, user)
    card, record = await needs_service.records(db, playbook, session)
    turns = await roleplay_repository.turns_of(db, session_id=session_id)
    comments = await review_service.comments(db, session_id=session_id)
    rep_turns = [(t.seq, t.text, t.coaching) for t in turns if t.speaker == "rep"]
    needs_by_priority = {p: [n for n in record.needs if n.priority == p] for p in PRIORITIES}
    return render(
        request,
        "summary.html",
        {
            "session": session,
            "rep": rep,
            "persona": roleplay_service.persona_of(session),
            "card": card,
            "record": record,
            "needs_by_priority": needs_by_priority,
            "timeline": charts.spin_timeline(rep_turns),
            "turns": turn_views(turns, comments),
            "session_comments": [c for c in comments if c.turn_seq is None],
            "own": session.rep_id == user.id,
        },
        user=user,
    )


PRIORITIES = ("must", "expected", "optional")


# --- the trainer's review -------------------------------------------------------------------


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
        if found.order.lstrip("-") not in SORTABLE:
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
    rows = await roleplay_repository.list_visible(
        db, user=user, query=filters.session_query(), limit=200
    )
    everyone = await roleplay_repository.list_visible(
        db, user=user, query=SessionQuery(order="rep"), limit=1000
    )
    personas = await persona_service.list_personas(db, playbook, user=user)
    return render(
        request,
        "review_list.html",
        {
            "rows": rows,
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
    turns = await roleplay_repository.turns_of(db, session_id=session_id)
    comments = await review_service.comments(db, session_id=session_id)
    return render(
        request,
        "review_session.html",
        {
            "session": session,
            "rep": rep,
            "persona": roleplay_service.persona_of(session),
            "turns": turn_views(turns, comments),
            "session_comments": [c for c in comments if c.turn_seq is None],
            "saved": request.query_params.get("saved"),
        },
        user=user,
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
    if not text.strip():
        return redirect(f"/review/sessions/{session_id}{anchor}")
    try:
        await review_service.add_comment(
            db, user=user, session_id=session_id, text=text.strip(), turn_seq=seq
        )
    except NotFound:
        return not_found(request, user)
    except AppError:
        return redirect(f"/review/sessions/{session_id}#session-comments")
    await db.commit()
    return redirect(f"/review/sessions/{session_id}?saved={seq or 0}{anchor}")


@router.get("/review/team", response_class=HTMLResponse)
async def team_page(request: Request, db: SessionDep, user: PageUser) -> Response:
    """Per rep: sessions, average score, SPIN mix and the score trend."""
    if not is_trainer(user):
        return trainers_only(request, user)
    overview = await review_service.team_overview(db, user=user)
    rows = [
        {
            **entry,
            "trend_points": charts.sparkline([float(v) for v in entry["trend"]]),
            "mix": charts.spin_mix(entry["spin_mix"]),
        }
        for entry in overview
    ]
    return render(request, "team.html", {"rows": rows}, user=user)


@router.get("/review/personas", response_class=HTMLResponse)
async def personas_page(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """The personas, and a form to add one from YAML or JSON."""
    if not is_trainer(user):
        return trainers_only(request, user)
    source, replacing = "", None
    edit = request.query_params.get("edit")
    if edit:
        try:
            persona = await persona_service.get_persona(db, playbook, persona_id=edit, user=user)
        except AppError:
            return not_found(request, user)
        data = persona.model_dump(mode="json", exclude_defaults=True)
        if edit in playbook.personas:
            # Playbook personas are files; the form starts a copy under a new id.
            data = {**data, "id": f"{edit}-copy"}
        else:
            replacing = edit
        source = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return await _personas_view(
        request, db, playbook, user, source=source, errors=[], replacing=replacing
    )


async def _personas_view(
    request: Request,
    db: SessionDep,
    playbook: PlaybookDep,
    user: User,
    *,
    source: str,
    errors: list[str],
    replacing: str | None = None,
) -> Response:
    personas = await persona_service.list_personas(db, playbook, user=user)
    return render(
        request,
        "personas.html",
        {
            "personas": personas,
            "from_playbook": set(playbook.personas),
            "source": source,
            "errors": errors,
            "created": request.query_params.get("created"),
            "updated": request.query_params.get("updated"),
            "replacing": replacing,
        },
        user=user,
    )


PERSONA_MAX_CHARS = 50_000


def parse_persona_source(source: str, t: Translator) -> tuple[Any, list[str]]:
    """The pasted text as data (JSON first, then YAML), or the errors to show."""
    try:
        return json.loads(source), []
    except (ValueError, RecursionError):
        pass
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        return None, [t("personas.parse_error", problem=str(exc).splitlines()[0])]
    except RecursionError:
        return None, [t("personas.parse_error", problem="nested too deeply")]
    if not isinstance(data, dict):
        return None, [t("personas.not_object")]
    # YAML aliases can expand a small paste into a huge persona that every rep would download.
    size = len(json.dumps(data, ensure_ascii=False, default=str))
    if size > PERSONA_MAX_CHARS:
        return None, [t("personas.too_large", size=size, limit=PERSONA_MAX_CHARS)]
    return data, []


def persona_errors(detail: Any) -> list[str]:
    """A persona validation error (the API's 422 detail) as one line per field."""
    if isinstance(detail, list):
        return [
            f"{'.'.join(str(p) for p in e.get('loc', [])) or 'persona'}: {e.get('msg', '')}"
            for e in detail
            if isinstance(e, dict)
        ]
    return [str(detail)]


@router.post("/review/personas", response_class=HTMLResponse)
async def create_persona(
    request: Request,
    db: SessionDep,
    playbook: PlaybookDep,
    user: PageUser,
    source: Annotated[str, Form(max_length=100_000)] = "",
    replacing: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Field = "",
) -> Response:
    """Validate the pasted persona and create it, or replace the stored one being edited;
    errors are shown beside the form, which keeps the text."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    if not is_trainer(user):
        return trainers_only(request, user)
    t = Translator(ui_language(request))
    data, errors = parse_persona_source(source, t)
    persona: Persona | None = None
    if not errors:
        try:
            if replacing:
                persona = persona_service.validate({**data, "id": replacing})
                await persona_service.update_persona(db, playbook, persona=persona, user=user)
            else:
                persona = persona_service.validate(data)
                await persona_service.create_persona(db, playbook, persona=persona, user=user)
        except AppError as exc:
            errors = persona_errors(exc.detail)
    if errors or persona is None:
        # 200, not 422: the browser would log a failed document load for a page that worked.
        return await _personas_view(
            request, db, playbook, user, source=source, errors=errors, replacing=replacing or None
        )
    await db.commit()
    done = "updated" if replacing else "created"
    return redirect(f"/review/personas?{done}={persona.id}")
