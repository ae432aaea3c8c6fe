"""Loads and validates the whole playbook/ folder; errors name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app.playbook import coaching, customer, moves, needs, prep, prep_templates, scoring
from app.playbook.errors import PlaybookError
from app.playbook.files import load_section
from app.playbook.persona import Persona


class Playbook(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    personas: dict[str, Persona]
    coach: coaching.CoachRules
    moves: moves.MoveRules
    customer: customer.CustomerRules
    needs: needs.NeedsRules
    scoring: scoring.ScoringRubric
    prep: prep.PrepRules
    prep_templates: prep_templates.PrepTemplates


def load_personas(dir: Path) -> dict[str, Persona]:
    personas: dict[str, Persona] = {}
    for path in sorted((dir / "personas").glob("*.y*ml")):
        persona = load_section(Persona, path)
        empty = persona.unplayable()
        if empty:
            raise PlaybookError(str(path), empty[0], "needs at least one entry to be playable")
        if persona.id in personas:
            raise PlaybookError(str(path), "id", f"duplicate persona id {persona.id!r}")
        personas[persona.id] = persona
    return personas


def load_playbook(dir: Path) -> Playbook:
    if not dir.is_dir():
        raise PlaybookError(str(dir), "(folder)", "playbook folder not found")
    rules = customer.load(dir)
    return Playbook(
        personas=load_personas(dir),
        coach=coaching.load(dir),
        moves=moves.load(dir),
        customer=rules,
        # The customer's own lines (hedges, deflections, lead-ins) say nothing on their own.
        needs=needs.load(dir).with_evasions(rules.spoken("zh"), rules.spoken("en")),
        scoring=scoring.load(dir),
        prep=prep.load(dir),
        prep_templates=prep_templates.load(dir),
    )
