"""The needs record and the scorecard of CONTRACT.md, plus the export bundle."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.coach.schemas import Scenario
from app.playbook.moves import MissedKind
from app.playbook.persona import Language, Priority, PublicTopic
from app.roleplay.transcript import TranscriptTurn

Level = Literal["high", "medium", "low"]
Interest = Literal["interested", "neutral", "not_interested"]
RecordSource = Literal["rules", "llm"]
ItemField = Literal["situation", "problems", "implications", "need_payoffs"]

ITEM_FIELDS: tuple[ItemField, ...] = ("situation", "problems", "implications", "need_payoffs")
PRIORITY_ORDER: dict[Priority, int] = {"must": 0, "expected": 1, "optional": 2}


class Item(BaseModel):
    """Something the customer said, quoted from the customer turn it cites."""

    text: str
    turn_seq: int


class ContextItem(BaseModel):
    """What any buyer tells when asked (decision process, budget, ...), quoted from its turn."""

    topic: PublicTopic
    text: str
    turn_seq: int


class Need(BaseModel):
    text: str
    priority: Priority
    turn_seq: int


class NextStep(BaseModel):
    """The next step the rep proposed; `turn_seq` cites the customer's answer to it."""

    agreed: bool
    text: str
    turn_seq: int
    time: str | None = None
    form: str | None = None
    proposed_turn_seq: int | None = None


class Tags(BaseModel):
    """The CRM tags of manual 三(一) step 4."""

    potential_level: Level
    need_types: list[str] = Field(default_factory=list)
    follow_up_priority: Level
    # The need types' labels in the session's language, for exports and pages.
    need_type_labels: list[str] = Field(default_factory=list)


class FirstContact(BaseModel):
    """The manual's Appendix 3 first-contact record (cold calls)."""

    time: str | None = None
    interest: Interest
    customer_feedback: list[Item] = Field(default_factory=list)
    need_points: list[Item] = Field(default_factory=list)
    next_action: str


class NeedsRecord(BaseModel):
    """The manual's Appendix 4 needs-mining record with the priority sort and CRM tags."""

    session_id: str
    situation: list[Item] = Field(default_factory=list)
    problems: list[Item] = Field(default_factory=list)
    implications: list[Item] = Field(default_factory=list)
    need_payoffs: list[Item] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    context: list[ContextItem] = Field(default_factory=list)
    next_step: NextStep | None = None
    tags: Tags
    first_contact: FirstContact | None = None
    source: RecordSource = "rules"

    def items(self, field: ItemField) -> list[Item]:
        return {
            "situation": self.situation,
            "problems": self.problems,
            "implications": self.implications,
            "need_payoffs": self.need_payoffs,
        }[field]


class Criterion(BaseModel):
    id: str
    label: str
    points: float
    max_points: float
    evidence_turns: list[int] = Field(default_factory=list)
    comment: str


class MissedOpportunity(BaseModel):
    """A moment the rep could have built on: the customer turn, why, and a better question."""

    turn_seq: int
    kind: MissedKind
    comment: str
    better_question: str
    # The kind's name in the session's language, for exports and pages.
    label: str = ""


class Scorecard(BaseModel):
    total: int = Field(ge=0, le=100)
    band: str
    band_label: str = ""
    criteria: list[Criterion]
    spin_counts: dict[str, int]
    open_question_ratio: float
    rep_talk_ratio: float
    needs_discovered: int
    needs_total: int
    missed_opportunities: list[MissedOpportunity] = Field(default_factory=list)


class SessionExport(BaseModel):
    """Everything an export shows about one practice session."""

    session_id: str
    persona_id: str
    persona_name: str
    scenario: Scenario
    language: Language
    rep: str
    created_at: datetime
    ended_at: datetime | None = None
    turns: list[TranscriptTurn] = Field(default_factory=list)
    scorecard: Scorecard | None = None
    needs_record: NeedsRecord | None = None
