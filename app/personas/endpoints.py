from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from app.deps import CurrentUser, PlaybookDep, SessionDep, TrainerUser
from app.personas import service

router = APIRouter(prefix="/personas", tags=["personas"])


@router.get("")
async def list_personas(
    db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Persona cards visible to the caller (hidden facts for trainers and admins only)."""
    personas = await service.list_personas(db, playbook, user=user)
    return [service.view(p, user) for p in personas]


@router.get("/{persona_id}")
async def get_persona(
    persona_id: str, db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> dict[str, Any]:
    """One persona card; trainers and admins also get the hidden facts."""
    return service.view(
        await service.get_persona(db, playbook, persona_id=persona_id, user=user), user
    )


@router.post("", status_code=201)
async def create_persona(
    db: SessionDep, playbook: PlaybookDep, user: TrainerUser, body: Any = Body(...)
) -> dict[str, Any]:
    """Create a persona (trainers and admins)."""
    persona = await service.create_persona(db, playbook, persona=service.validate(body), user=user)
    return service.view(persona, user)


@router.put("/{persona_id}")
async def update_persona(
    persona_id: str, db: SessionDep, playbook: PlaybookDep, user: TrainerUser, body: Any = Body(...)
) -> dict[str, Any]:
    """Replace a stored persona (trainers and admins); playbook personas are edited as files."""
    if isinstance(body, dict):
        body = {**body, "id": persona_id}
    persona = await service.update_persona(db, playbook, persona=service.validate(body), user=user)
    return service.view(persona, user)
