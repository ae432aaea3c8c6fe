"""Names of playbook items in the UI's language, read from the playbook (never an identifier).

Flags, need types, scorecard criteria and bands, prep dimensions and the call brief all have
their labels in playbook/ YAML; a page asks here so a trainer's wording shows in both languages.
An item the playbook does not name (an old session's removed criterion) keeps the text it was
stored with, or a generic word from the UI catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.playbook.coaching import Bilingual
from app.playbook.loader import Playbook
from app.playbook.persona import Persona
from app.web.catalogue import Translator, UiLanguage


@dataclass(frozen=True)
class PlaybookLabels:
    """`playbook_labels.flag("too_long")` and friends, bound into every page."""

    playbook: Playbook | None
    language: UiLanguage

    def flag(self, name: str) -> str:
        named: dict[str, Bilingual] = (
            dict(self.playbook.coach.flags.labels.items()) if self.playbook else {}
        )
        if name in named:
            return named[name][self.language]
        t = Translator(self.language)
        return t(f"flag.{name}") if t.has(f"flag.{name}") else t("flag.other")

    def need_type(self, type_id: str) -> str:
        found = self.playbook.needs.need_type(type_id) if self.playbook else None
        return found.label.in_(self.language) if found else Translator(self.language)("flag.other")

    def criterion(self, criterion_id: str, stored: str = "") -> str:
        rubric = self.playbook.scoring.criteria if self.playbook else []
        found = next((c for c in rubric if c.id == criterion_id), None)
        return found.label.in_(self.language) if found else stored

    def band(self, band_id: str, stored: str = "") -> str:
        bands = self.playbook.scoring.bands if self.playbook else []
        found = next((b for b in bands if b.id == band_id), None)
        return found.label.in_(self.language) if found else stored

    def scenario_goal(self, scenario: str) -> tuple[str, str]:
        """The scenario's first and last stage goals: how to start, where to get to."""
        if self.playbook is None or scenario not in self.playbook.coach.scenarios:
            return "", ""
        stages = self.playbook.coach.scenarios[scenario].stages
        return stages[0].goal[self.language], stages[-1].goal[self.language]


def flag_labels(playbook: Playbook, language: UiLanguage) -> dict[str, str]:
    """Every flag's label keyed `flag.<name>`, for the chat page's script."""
    labels = PlaybookLabels(playbook, language)
    return {f"flag.{name}": labels.flag(name) for name in playbook.coach.flags.labels}


@dataclass(frozen=True)
class CallBrief:
    """What the rep knows before the call: the customer's public card, the offer, the goal."""

    offering: str
    goal: str
    start: str
    goal_from_prep: bool


def call_brief(
    playbook: Playbook, persona: Persona, scenario: str, language: UiLanguage
) -> CallBrief:
    start, goal = PlaybookLabels(playbook, language).scenario_goal(scenario)
    return CallBrief(
        offering=persona.offering,
        goal=persona.call_goal or goal,
        start=start,
        goal_from_prep=bool(persona.call_goal),
    )
