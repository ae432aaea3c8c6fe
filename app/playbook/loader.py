"""Loads and validates the whole playbook/ folder; errors name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from app.playbook import coaching, customer, needs, prep, prep_templates, scoring
from app.playbook.errors import PlaybookError
from app.playbook.files import first_error, read_yaml
from app.playbook.persona import Persona


class Playbook(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    personas: dict[str, Persona]
    coach: coaching.CoachRules
    customer: customer.CustomerRules
    needs: needs.NeedsRules
    scoring: scoring.ScoringRubric
    prep: prep.PrepRules
    prep_templates: prep_templates.PrepTemplates


def parse_persona(data: Any, source: str) -> Persona:
    if not isinstance(data, dict):
        raise PlaybookError(source, "(root)", "a persona must be a mapping")
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        field, problem = first_error(exc)
        raise PlaybookError(source, field, problem) from exc


def load_personas(dir: Path) -> dict[str, Persona]:
    personas: dict[str, Persona] = {}
    for path in sorted((dir / "personas").glob("*.y*ml")):
        persona = parse_persona(read_yaml(path), str(path))
        if persona.id in personas:
            raise PlaybookError(str(path), "id", f"duplicate persona id {persona.id!r}")
        personas[persona.id] = persona
    return personas


def load_playbook(dir: Path) -> Playbook:
    if not dir.is_dir():
        raise PlaybookError(str(dir), "(folder)", "playbook folder not found")
    return Playbook(
        personas=load_personas(dir),
        coach=coaching.load(dir),
        customer=customer.load(dir),
        needs=needs.load(dir),
        scoring=scoring.load(dir),
        prep=prep.load(dir),
        prep_templates=prep_templates.load(dir),
    )
