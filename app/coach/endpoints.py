"""POST /coach/analyze: the coach on one utterance, stateless (CONTRACT.md)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.coach import analyzer
from app.coach.schemas import CoachContext, Coaching, Scenario
from app.deps import CurrentUser, PlaybookDep
from app.hygiene import VisibleText
from app.playbook.persona import Language

router = APIRouter(prefix="/coach", tags=["coach"])


class AnalyzeRequest(BaseModel):
    text: VisibleText = Field(min_length=1, max_length=4000)
    language: Language | None = None
    scenario: Scenario | None = None
    opener: bool = False


@router.post("/analyze")
async def analyze(body: AnalyzeRequest, playbook: PlaybookDep, user: CurrentUser) -> Coaching:
    """Coach one rep utterance: SPIN type, openness, flags, opener checks and a tip."""
    # Stateless: the utterance is read as the first rep turn of the scenario, no problem known.
    context = CoachContext(scenario=body.scenario) if body.scenario else None
    return analyzer.analyze(
        body.text, playbook.coach, language=body.language, context=context, opener=body.opener
    )
