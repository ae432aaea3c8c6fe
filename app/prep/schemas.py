from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.playbook.persona import DecisionRole, Language


class PrepForm(BaseModel):
    """The background research form (Appendix 2) and the priority scores (Appendix 1)."""

    language: Language = "en"
    company: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=100)
    company_size: str = Field(default="", max_length=100)
    annual_revenue: str = Field(default="", max_length=100)
    contact_name: str = Field(default="", max_length=100)
    contact_title: str = Field(default="", max_length=100)
    decision_role: DecisionRole = "decision_maker"
    recent_news: str = Field(default="", max_length=600)
    suspected_pains: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=5
    )
    call_goal: str = Field(default="", max_length=500)
    rep_name: str = Field(default="", max_length=100)
    rep_company: str = Field(default="", max_length=200)
    offering: str = Field(default="", max_length=300)
    priority: dict[str, int] = Field(default_factory=dict)


class PrepResult(BaseModel):
    persona_id: str
    priority_score: int
    priority_band: Literal["high", "medium", "low"]
    opener: str
    questions: list[str]
    prep_sheet_markdown: str


class Dimension(BaseModel):
    id: str
    label: str
    max_points: int
    guide: str
