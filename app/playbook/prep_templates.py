"""Templates that turn a rep's pre-meeting research into a practice persona, opener and questions."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from app.playbook.files import load_section
from app.playbook.persona import DecisionRole, Personality, PublicTopic

FILE = Path("prep") / "templates.yaml"


class SituationTemplate(BaseModel):
    text: str
    keywords: list[str] = Field(default_factory=list)


class PublicTemplate(BaseModel):
    """A public fact of the practice persona (what any buyer tells when asked)."""

    topic: PublicTopic
    text: str
    # The contact's decision role may change the answer (who decides, for instance).
    by_role: dict[DecisionRole, str] = Field(default_factory=dict)
    keywords: list[str] = Field(default_factory=list)

    def for_role(self, role: DecisionRole) -> str:
        return self.by_role.get(role, self.text)


class LanguageTemplates(BaseModel):
    default_contact: str
    default_title: str
    situation: list[SituationTemplate] = Field(min_length=1)
    # A situation fact per suspected pain: how that part of the work is done today.
    pain_situation: str = ""
    # Words that make a pain a clause ("scheduling is manual"), not a noun phrase.
    clause_verbs: list[str] = Field(default_factory=list)
    about_clause: str = "{pain}"
    about_phrase: str = "{pain}"
    problem: str
    implication: str
    need_payoff: str
    public: list[PublicTemplate] = Field(default_factory=list)
    opener: str
    questions: list[str] = Field(min_length=3, max_length=5)
    sheet_title: str


class PrepTemplates(BaseModel):
    personality_by_role: dict[DecisionRole, Personality]
    zh: LanguageTemplates
    en: LanguageTemplates


def load(dir: Path) -> PrepTemplates:
    return load_section(PrepTemplates, dir / FILE)
