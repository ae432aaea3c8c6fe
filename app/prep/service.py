"""Pre-meeting prep (manual 三(一) steps 1-2, Appendices 1-2): a practice persona owned by the rep,
the customer-priority score and band, a drafted 30-second opener and open opening questions."""

from __future__ import annotations

import re
import uuid

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.errors import AppError
from app.personas import service as persona_service
from app.playbook.loader import Playbook
from app.playbook.persona import Language, Persona
from app.playbook.prep import PriorityBand
from app.playbook.prep_templates import LanguageTemplates
from app.prep.schemas import Dimension, PrepForm, PrepResult


def dimensions(playbook: Playbook, language: Language) -> list[Dimension]:
    return [
        Dimension(
            id=d.id,
            label=d.label.get(language) or next(iter(d.label.values())),
            max_points=d.max_points,
            guide=d.guide.get(language) or next(iter(d.guide.values())),
        )
        for d in playbook.prep.dimensions
    ]


def priority_score(playbook: Playbook, scores: dict[str, int]) -> tuple[int, PriorityBand]:
    limits = {d.id: d.max_points for d in playbook.prep.dimensions}
    for key, value in scores.items():
        if key not in limits:
            raise AppError(f"unknown priority dimension {key!r}; known: {', '.join(limits)}", 422)
        if not 0 <= value <= limits[key]:
            raise AppError(f"priority {key!r} must be between 0 and {limits[key]}", 422)
    total = sum(scores.values())
    band = playbook.prep.band(total)
    return total, band


def _topic(pain: str) -> str:
    """A short noun phrase for questions: the pain up to its first clause break."""
    return re.split(r"[,,。.;;]", pain, maxsplit=1)[0].strip() or pain


def pain_phrases(pain: str, t: LanguageTemplates) -> dict[str, str]:
    """`pain`, `pain_topic` and `pain_about` for the templates, so they read naturally whether
    the rep wrote a clause ("housekeeping scheduling is manual") or a noun phrase."""
    first = _topic(pain)
    words = first.split()
    verbs = {v.lower() for v in t.clause_verbs}
    cut = next((i for i, w in enumerate(words) if w.lower() in verbs), None)
    clause = cut is not None and cut > 0
    topic = " ".join(words[:cut]) if clause else first
    about = (t.about_clause if clause else t.about_phrase).format(pain=pain)
    return {"pain": pain, "pain_topic": topic, "pain_about": about}


def build_persona(form: PrepForm, playbook: Playbook, owner: User) -> Persona:
    t: LanguageTemplates = getattr(playbook.prep_templates, form.language)
    values = form.model_dump()
    situation = []
    for i, tpl in enumerate(t.situation, start=1):
        source = {1: form.company_size, 2: form.annual_revenue, 3: form.recent_news}.get(i, "x")
        if source:
            situation.append(
                {"id": f"s{i}", "text": tpl.text.format(**values), "keywords": tpl.keywords}
            )
    pains = [p.strip() for p in form.suspected_pains if p.strip()] or [
        form.call_goal or form.industry
    ]
    problems = []
    for i, pain in enumerate(pains, start=1):
        words = [w for w in re.findall(r"\w+", pain) if len(w) > 1][:6]
        phrases = pain_phrases(pain, t)
        if t.pain_situation:
            # How that work is done today: a situation question about the pain's topic finds it.
            situation.append(
                {
                    "id": f"s-p{i}",
                    "text": t.pain_situation.format(**phrases),
                    "keywords": words,
                }
            )
        problems.append(
            {
                "id": f"p{i}",
                "text": t.problem.format(**phrases),
                "keywords": words,
                "implications": [
                    {"id": f"i{i}", "text": t.implication.format(**phrases), "keywords": words}
                ],
                "need_payoffs": [
                    {
                        "id": f"n{i}",
                        "text": t.need_payoff.format(**phrases),
                        "priority": ("must", "expected", "optional")[min(i - 1, 2)],
                        "keywords": words,
                    }
                ],
            }
        )
    slug = re.sub(r"[^a-z0-9]+", "-", form.company.lower()).strip("-")[:30] or "prospect"
    persona = {
        "id": f"prep-{slug}-{uuid.uuid4().hex[:6]}",
        "language": form.language,
        "name": form.contact_name or t.default_contact,
        "title": form.contact_title or t.default_title,
        "company": form.company,
        "industry": form.industry,
        "company_size": form.company_size,
        "annual_revenue": form.annual_revenue,
        "decision_role": form.decision_role,
        "personality": playbook.prep_templates.personality_by_role[form.decision_role],
        "difficulty": "medium",
        "background": form.recent_news,
        "offering": form.offering,
        "call_goal": form.call_goal,
        "situation": situation or [{"id": "s1", "text": t.situation[0].text.format(**values)}],
        "problems": problems,
        "public": [
            {
                "topic": pt.topic,
                "text": pt.for_role(form.decision_role).format(**values),
                "keywords": pt.keywords,
            }
            for pt in t.public
        ],
        "owner": owner.username,
    }
    try:
        return Persona.model_validate(persona)
    except ValidationError as exc:
        raise AppError("the prep form's texts are too long for a practice persona", 422) from exc


# The prep sheet's words for the form's choices: (English, Chinese), indexed by `zh`.
ROLE_LABELS = {
    "decision_maker": ("Decision maker", "决策人"),
    "influencer": ("Influencer", "影响者"),
    "user": ("User", "使用者"),
    "gatekeeper": ("Gatekeeper", "把关人"),
}
BAND_LABELS = {"high": ("high", "高"), "medium": ("medium", "中"), "low": ("low", "低")}


def prep_sheet(
    form: PrepForm, t: LanguageTemplates, score: int, band: str, opener: str, questions: list[str]
) -> str:
    zh = form.language == "zh"
    rows = [
        ("客户名称" if zh else "Company", form.company),
        ("行业" if zh else "Industry", form.industry),
        ("规模" if zh else "Size", form.company_size),
        ("年营收" if zh else "Annual revenue", form.annual_revenue),
        ("联系人" if zh else "Contact", f"{form.contact_name} {form.contact_title}".strip()),
        ("决策角色" if zh else "Decision role", ROLE_LABELS[form.decision_role][zh]),
        ("企业近况" if zh else "Recent news", form.recent_news),
        ("业务痛点" if zh else "Suspected pains", "; ".join(form.suspected_pains)),
        ("沟通目标" if zh else "Call goal", form.call_goal),
        ("优先级评分" if zh else "Priority score", f"{score} ({BAND_LABELS[band][zh]})"),
    ]
    lines = [f"# {t.sheet_title}: {form.company}", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in rows]
    lines += ["", "## " + ("30秒开场白" if zh else "30-second opener"), "", opener, ""]
    lines += ["## " + ("开放式开场问题" if zh else "Open opening questions"), ""]
    lines += [f"{i}. {q}" for i, q in enumerate(questions, start=1)]
    return "\n".join(lines) + "\n"


async def create_prep(
    db: AsyncSession, playbook: Playbook, *, form: PrepForm, user: User
) -> PrepResult:
    score, band = priority_score(playbook, form.priority)
    t: LanguageTemplates = getattr(playbook.prep_templates, form.language)
    persona = build_persona(form, playbook, user)
    await persona_service.create_persona(db, playbook, persona=persona, user=user, owner_id=user.id)
    pain = next((p.strip() for p in form.suspected_pains if p.strip()), form.industry)
    fill = {
        **form.model_dump(),
        **pain_phrases(pain, t),
        "rep_name": form.rep_name or user.username,
        "rep_company": form.rep_company or ("我们公司" if form.language == "zh" else "our company"),
        "offering": form.offering or ("解决方案" if form.language == "zh" else "solutions"),
    }
    opener = t.opener.format(**fill)
    questions = [q.format(**fill) for q in t.questions]
    return PrepResult(
        persona_id=persona.id,
        priority_score=score,
        priority_band=band,
        opener=opener,
        questions=questions,
        prep_sheet_markdown=prep_sheet(form, t, score, band, opener, questions),
    )
