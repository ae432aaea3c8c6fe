"""The trainer's persona editor: paste YAML or JSON, edit stored personas, copy playbook ones."""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.models import User
from app.deps import PlaybookDep, SessionDep
from app.errors import AppError
from app.personas import service as persona_service
from app.playbook.persona import Persona
from app.web.catalogue import Translator
from app.web.common import Field, csrf_refused, not_found, redirect, trainers_only
from app.web.security import PageUser, csrf_ok, is_trainer, ui_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)


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
    """The pasted text as data (JSON first, then YAML), or the errors to show; a syntax error
    names its line and column."""
    try:
        return json.loads(source), []
    except (ValueError, RecursionError):
        pass
    try:
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or t("personas.parse_error.unknown")
        if mark is None:
            return None, [t("personas.parse_error", problem=problem)]
        where = t("personas.parse_error.at", line=mark.line + 1, column=mark.column + 1)
        return None, [f"{where}: {t('personas.parse_error', problem=problem)}"]
    except yaml.YAMLError as exc:
        return None, [t("personas.parse_error", problem=str(exc).splitlines()[0])]
    except RecursionError:
        return None, [t("personas.parse_error", problem=t("personas.parse_error.deep"))]
    if not isinstance(data, dict):
        return None, [t("personas.not_object")]
    # YAML aliases can expand a small paste into a huge persona that every rep would download.
    size = len(json.dumps(data, ensure_ascii=False, default=str))
    if size > PERSONA_MAX_CHARS:
        return None, [t("personas.too_large", size=size, limit=PERSONA_MAX_CHARS)]
    return data, []


def persona_errors(detail: Any, t: Translator) -> list[str]:
    """A persona validation error (the API's 422 detail) as one line per field; an empty
    `situation` or `problems` list says what a persona needs."""
    if not isinstance(detail, list):
        return [str(detail)]
    lines = []
    for e in detail:
        if not isinstance(e, dict):
            continue
        path = ".".join(str(p) for p in e.get("loc", [])) or "persona"
        known = f"personas.error.{path}.{e.get('type', '')}"
        lines.append(f"{path}: {t(known) if t.has(known) else e.get('msg', '')}")
    return lines


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
            errors = persona_errors(exc.detail, t)
    if errors or persona is None:
        # 200, not 422: the browser would log a failed document load for a page that worked.
        return await _personas_view(
            request, db, playbook, user, source=source, errors=errors, replacing=replacing or None
        )
    done = "updated" if replacing else "created"
    return redirect(f"/review/personas?{done}={persona.id}")
