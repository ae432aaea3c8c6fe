"""The pre-meeting prep page: the research form (Appendix 2) and priority scores (Appendix 1),
answered with the score, band, opener, questions, a printable prep sheet and "practise now"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.auth.models import User
from app.deps import PlaybookDep, SessionDep
from app.errors import AppError
from app.playbook.customer import DIFFICULTIES
from app.playbook.loader import Playbook
from app.prep import service as prep_service
from app.prep.schemas import PrepForm
from app.web.catalogue import Translator
from app.web.common import SCENARIOS, csrf_refused
from app.web.security import PageUser, csrf_ok, ui_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)
PAIN_FIELDS = 3
TEXT_FIELDS = (
    "company",
    "industry",
    "company_size",
    "annual_revenue",
    "contact_name",
    "contact_title",
    "decision_role",
    "recent_news",
    "call_goal",
    "rep_name",
    "rep_company",
    "offering",
    "language",
)


def _form_page(
    request: Request,
    playbook: Playbook,
    user: User,
    *,
    values: dict[str, Any],
    errors: list[str],
    status_code: int = 200,
) -> HTMLResponse:
    language = ui_language(request)
    return render(
        request,
        "prep.html",
        {
            "values": values,
            "errors": errors,
            "dimensions": prep_service.dimensions(playbook, language),
            "pain_fields": PAIN_FIELDS,
            "roles": ("decision_maker", "influencer", "user", "gatekeeper"),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/prep", response_class=HTMLResponse)
async def prep_page(request: Request, playbook: PlaybookDep, user: PageUser) -> Response:
    """The research form with the priority dimensions and their scoring guides."""
    values: dict[str, Any] = {"language": ui_language(request), "rep_name": user.username}
    return _form_page(request, playbook, user, values=values, errors=[])


def _errors(exc: ValidationError, t: Translator) -> list[str]:
    lines = []
    for e in exc.errors():
        field = ".".join(str(p) for p in e["loc"]) or "form"
        name = field.split(".")[0]
        label = t(f"prep.field.{name}") if t.has(f"prep.field.{name}") else t("prep.field.form")
        kind = e["type"]
        known = f"prep.error.{kind}"
        lines.append(f"{label}: {t(known) if t.has(known) else t('prep.error.invalid')}")
    return lines


@router.post("/prep", response_class=HTMLResponse)
async def submit_prep(
    request: Request, db: SessionDep, playbook: PlaybookDep, user: PageUser
) -> Response:
    """Score the prospect, draft the opener and questions, and create the practice persona;
    a form with errors comes back with everything the rep typed."""
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf_token", ""))):
        return csrf_refused(request, user)
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in TEXT_FIELDS}
    values["suspected_pains"] = [str(v).strip() for v in form.getlist("suspected_pains")]
    t = Translator(ui_language(request))
    priority: dict[str, int] = {}
    errors: list[str] = []
    for dimension in playbook.prep.dimensions:
        raw = str(form.get(f"priority.{dimension.id}", "")).strip()
        values[f"priority.{dimension.id}"] = raw
        if not raw:
            continue
        if not raw.isdecimal() or not 0 <= int(raw) <= dimension.max_points:
            label = dimension.label.get(t.language) or dimension.id
            errors.append(t("prep.error.points", label=label, max=dimension.max_points))
            continue
        priority[dimension.id] = int(raw)
    data = {k: v for k, v in values.items() if not k.startswith("priority.") and v != ""}
    data["suspected_pains"] = [p for p in values["suspected_pains"] if p]
    try:
        prep_form = PrepForm.model_validate({**data, "priority": priority})
    except ValidationError as exc:
        errors += _errors(exc, t)
    if errors:
        return _form_page(request, playbook, user, values=values, errors=errors, status_code=200)
    try:
        result = await prep_service.create_prep(db, playbook, form=prep_form, user=user)
    except AppError as exc:
        detail = exc.detail if isinstance(exc.detail, str) else t("prep.error.generic")
        return _form_page(request, playbook, user, values=values, errors=[detail])
    band_label = t(f"level.{result.priority_band}")
    return render(
        request,
        "prep_result.html",
        {
            "result": result,
            "form": prep_form,
            "band_label": band_label,
            "scenarios": SCENARIOS,
            "difficulties": DIFFICULTIES,
        },
        user=user,
    )
