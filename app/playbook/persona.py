"""The persona schema of CONTRACT.md: a customer with hidden facts a rep must earn."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.hygiene import unwanted_at

Language = Literal["zh", "en"]
Personality = Literal["busy", "friendly", "skeptical", "analytical"]
DecisionRole = Literal["decision_maker", "influencer", "user", "gatekeeper"]
Priority = Literal["must", "expected", "optional"]
FactKind = Literal["situation", "problem", "implication", "need_payoff"]
# What a buyer tells anyone who asks (CONTRACT.md `public`), by topic.
PublicTopic = Literal[
    "decision_process",
    "budget",
    "timeline",
    "current_tools",
    "competitors",
    "stakeholders",
    "other",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class _Open(BaseModel):
    # Unknown fields are kept, not rejected (CONTRACT.md); `company_size: 10` is the text "10".
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class Fact(_Open):
    id: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=1000)
    keywords: list[str] = Field(default_factory=list)


class NeedPayoff(Fact):
    priority: Priority = "expected"


class Problem(Fact):
    implications: list[Fact] = Field(default_factory=list)
    need_payoffs: list[NeedPayoff] = Field(default_factory=list)


class PublicFact(_Open):
    """A fact the customer tells anyone who asks about its topic, without SPIN gating."""

    # Optional in a persona file; a missing id is filled as u1, u2, ... in file order.
    id: str = Field(default="", max_length=40)
    topic: PublicTopic = "other"
    text: str = Field(min_length=1, max_length=1000)
    keywords: list[str] = Field(default_factory=list)


class Objection(_Open):
    text: str = Field(min_length=1, max_length=1000)


# The persona card: what a rep may read before and during practice.
CARD_FIELDS = (
    "id",
    "language",
    "name",
    "title",
    "company",
    "industry",
    "company_size",
    "annual_revenue",
    "decision_role",
    "personality",
    "difficulty",
    "background",
    "offering",
    "call_goal",
)


class Persona(_Open):
    id: str
    language: Language
    name: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=100)
    company_size: str = ""
    annual_revenue: str = ""
    decision_role: DecisionRole = "decision_maker"
    personality: Personality = "friendly"
    difficulty: Literal["easy", "medium", "hard"] | None = None
    background: str = ""
    # The call brief: what the rep sells and the call's goal (prep personas fill both).
    offering: str = Field(default="", max_length=300)
    call_goal: str = Field(default="", max_length=500)
    situation: list[Fact] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    public: list[PublicFact] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        # A NUL in a fact would break every session that reveals it (no database stores it).
        where = unwanted_at(data, [])
        if where is not None:
            raise ValueError(
                f"control characters are not allowed (in {'.'.join(map(str, where)) or 'persona'})"
            )
        return data

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG.match(v):
            raise ValueError("must be a slug: lowercase letters, digits and hyphens, 2-63 chars")
        return v

    @model_validator(mode="after")
    def _unique_fact_ids(self) -> Persona:
        for i, fact in enumerate(self.public, start=1):
            if not fact.id:
                fact.id = f"u{i}"
        ids = [f.id for f in self.all_facts()] + [f.id for f in self.public]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"fact ids must be unique within a persona: {', '.join(dupes)}")
        return self

    def unplayable(self) -> list[str]:
        """The fields a rep needs and this persona leaves empty (CONTRACT.md: a persona must
        have at least one situation fact and one problem to be saved)."""
        return [name for name in ("situation", "problems") if not getattr(self, name)]

    def all_facts(self) -> list[Fact]:
        facts: list[Fact] = list(self.situation)
        for p in self.problems:
            facts.append(p)
            facts.extend(p.implications)
            facts.extend(p.need_payoffs)
        return facts

    def public_fact(self, fact_id: str) -> PublicFact | None:
        return next((f for f in self.public if f.id == fact_id), None)

    def fact_kind(self, fact_id: str) -> FactKind | None:
        if any(f.id == fact_id for f in self.situation):
            return "situation"
        for p in self.problems:
            if p.id == fact_id:
                return "problem"
            if any(f.id == fact_id for f in p.implications):
                return "implication"
            if any(f.id == fact_id for f in p.need_payoffs):
                return "need_payoff"
        return None

    @property
    def needs(self) -> dict[str, NeedPayoff]:
        """Every need-payoff by its id, in file order."""
        return {n.id: n for p in self.problems for n in p.need_payoffs}

    @property
    def need_payoff_count(self) -> int:
        return sum(len(p.need_payoffs) for p in self.problems)

    def card(self) -> dict[str, object]:
        """What a rep may see: the card fields only; hidden facts, objections and any extra
        field a trainer added (notes, answers) stay with trainers."""
        return self.model_dump(mode="json", include=set(CARD_FIELDS))
