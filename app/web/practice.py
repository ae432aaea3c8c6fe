"""The rep's practice pages: start, chat (the script streams turns through the API's SSE route,
app/roleplay/sse.py, with the cookie session and the `X-CSRF-Token` header), finish, summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.models import User
from app.auth.service import TokenClaims
from app.deps import PlaybookDep, SessionDep, SessionMakerDep, SettingsDep
from app.errors import AppError, Conflict, NotFound
from app.hygiene import has_visible
from app.needs import service as needs_service
from app.personas import service as persona_service
from app.playbook.customer import DIFFICULTIES
from app.review import service as review_service
from app.roleplay import retry
from app.roleplay import service as roleplay_service
from app.roleplay.models import PracticeSession
from app.roleplay.schemas import SessionQuery
from app.web import charts, labels, progress
from app.web.catalogue import Translator
from app.web.common import SCENARIOS, Field, csrf_refused, not_found, redirect, turn_views
from app.web.security import PageUser, PageUserBetweenTurns, csrf_ok, is_trainer, ui_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)
# When the rep last read their trainer's comments (the newest one's time), for "new" marks.
COMMENTS_SEEN_COOKIE = "salescoach_comments_seen"


@router.get("/", response_class=HTMLResponse)
async def start_page(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """Persona cards and the scenario choice; the rep's own practice personas first."""
    personas = await persona_service.list_personas(db, playbook, user=user)
    own = await persona_service.owned_ids(db, user=user)
    recent = await roleplay_service.list_sessions(
        db, user=user, query=SessionQuery(rep=user.username), limit=8
    )
    scenario = request.query_params.get("scenario")
    notes = (await review_service.rep_progress(db, user=user, stored_records=None, recent=0))[
        "comments"
    ]
    seen = request.cookies.get(COMMENTS_SEEN_COOKIE, "")
    new_comments = sum(1 for n in notes if n["comment"].created_at.isoformat() > seen)
    return render(
        request,
        "start.html",
        {
            "personas": personas,
            "own": own,
            "recent": [s for s, _ in recent],
            "scenario": scenario if scenario in SCENARIOS else "discovery",
            "difficulties": DIFFICULTIES,
            "new_comments": new_comments,
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
    difficulty: Field = "normal",
    csrf_token: Field = "",
) -> Response:
    """Create a session with the chosen persona, scenario and difficulty, then open the chat."""
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
            difficulty=difficulty if difficulty in DIFFICULTIES else "normal",
        )
    except NotFound:
        return not_found(request, user)
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
async def chat_page(
    request: Request, session_id: str, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """The conversation: transcript, coaching, trackers; the script streams new turns."""
    session = await own_session(db, user, session_id)
    if session is None:
        if is_trainer(user):
            return redirect(f"/review/sessions/{session_id}")
        return not_found(request, user)
    turns = await roleplay_service.turns_of(db, session_id=session_id)
    coachings = [t.coaching for t in turns if t.speaker == "rep"]
    state = session.state or {}
    language = ui_language(request)
    t = Translator(language)
    script_strings = t.subset(
        "chat.", "coach.", "spin.", "flag.", "opener.", "patience.", "tracker."
    )
    script_strings.update(labels.flag_labels(playbook, language))
    persona = roleplay_service.persona_of(session)
    return render(
        request,
        "chat.html",
        {
            "session": session,
            "persona": persona,
            "brief": labels.call_brief(playbook, persona, session.scenario, language),
            "difficulty": state.get("difficulty", "normal"),
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
    maker: SessionMakerDep,
    playbook: PlaybookDep,
    settings: SettingsDep,
    user: PageUserBetweenTurns,
    text: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Field = "",
) -> Response:
    """The chat form without JavaScript: run the turn whole, then show the page again."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    if not has_visible(text):
        return redirect(f"/practice/{session_id}#composer")
    try:
        async for _ in roleplay_service.run_turn(
            maker,
            playbook,
            request.app.state.customer_engine,
            caller=TokenClaims(user.id, user.token_version),
            session_id=session_id,
            text=text.strip(),
            on_ended=needs_service.finisher(playbook, request.app.state.chat_model),
            lease_seconds=settings.lease_seconds,
            memos=request.app.state.memos,
        ):
            pass
    except NotFound:
        return not_found(request, user)
    except Conflict:
        return redirect(f"/practice/{session_id}/summary")
    except AppError:
        return redirect(f"/practice/{session_id}?failed=1")
    return redirect(f"/practice/{session_id}#composer")


@router.post("/practice/{session_id}/finish")
async def finish_practice(
    request: Request,
    session_id: str,
    maker: SessionMakerDep,
    playbook: PlaybookDep,
    settings: SettingsDep,
    user: PageUserBetweenTurns,
    csrf_token: Field = "",
) -> Response:
    """End the session, save its scorecard and needs record, and open the summary."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    try:
        await needs_service.finish_between_turns(
            maker,
            playbook,
            request.app.state.chat_model,
            user=user,
            session_id=session_id,
            lease_seconds=settings.lease_seconds,
        )
    except NotFound:
        return not_found(request, user)
    return redirect(f"/practice/{session_id}/summary")


@router.post("/practice/{session_id}/retry")
async def retry_practice(
    request: Request,
    session_id: str,
    db: SessionDep,
    playbook: PlaybookDep,
    settings: SettingsDep,
    user: PageUser,
    from_seq: Field = "",
    csrf_token: Field = "",
) -> Response:
    """Restart one of your sessions from a rep turn and open the new session's chat."""
    if not csrf_ok(request, csrf_token):
        return csrf_refused(request, user)
    try:
        session = await retry.retry_session(
            db,
            playbook,
            user=user,
            session_id=session_id,
            from_seq=int(from_seq) if from_seq.strip().isdigit() else 0,
            engine=settings.llm,
        )
    except NotFound:
        return not_found(request, user)
    except retry.NotARepTurn:
        return redirect(f"/practice/{session_id}/summary")
    return redirect(f"/practice/{session.id}")


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
    turns = await roleplay_service.turns_of(db, session_id=session_id)
    missed = playbook.moves.missed
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
            "missed_labels": {k: v.label[ui_language(request)] for k, v in missed.items()},
            "rep_seqs": {t.seq for t in turns if t.speaker == "rep"},
            "retry_panel": await retry.panel(db, session),
            "link_to": lambda sid: f"/practice/{sid}/summary",
        },
        user=user,
    )


PRIORITIES = ("must", "expected", "optional")


@router.get("/progress", response_class=HTMLResponse)
async def progress_page(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """The rep's own progress: scores over time, SPIN mix, where points are lost, comments."""
    data = await review_service.rep_progress(db, user=user, stored_records=needs_service.stored)
    seen = request.cookies.get(COMMENTS_SEEN_COOKIE, "")
    language = ui_language(request)
    scores = data["scores"]
    response = render(
        request,
        "progress.html",
        {
            **data,
            "chart": charts.trend_chart(
                [(when.strftime("%m-%d %H:%M"), score) for when, score, _ in scores],
                width=560,
                height=200,
            ),
            "mix": charts.spin_mix(data["spin_mix"], width=320),
            "average": round(sum(s for _, s, _ in scores) / len(scores), 1) if scores else None,
            "seen": seen,
            "lost_labels": {
                e["id"]: labels.PlaybookLabels(playbook, language).criterion(e["id"], e["label"])
                for e in data["lost"]
            },
        },
        user=user,
    )
    newest = data["comments"][0]["comment"].created_at.isoformat() if data["comments"] else ""
    if newest:
        response.set_cookie(
            COMMENTS_SEEN_COOKIE, newest, max_age=365 * 86400, httponly=True, samesite="lax"
        )
    return response
