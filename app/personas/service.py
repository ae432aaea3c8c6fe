"""Personas: the playbook's (YAML, read-only) plus those stored by trainers or by a rep's prep."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.errors import AppError, Conflict, NotFound
from app.personas.models import StoredPersona
from app.playbook.loader import Playbook
from app.playbook.persona import Persona


def is_trainer(user: User) -> bool:
    return user.role in ("trainer", "admin")


def validate(data: Any) -> Persona:
    """A persona from a client, or 422 naming the field."""
    if not isinstance(data, dict):
        raise AppError("a persona must be a JSON object", 422)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise AppError(errors, 422) from exc
    empty = persona.unplayable()
    if empty:
        # A rep cannot play a persona with nothing to discover.
        errors = [
            {"loc": [name], "msg": "needs at least one entry to be playable", "type": "too_short"}
            for name in empty
        ]
        raise AppError(errors, 422)
    return persona


async def list_personas(db: AsyncSession, playbook: Playbook, *, user: User) -> list[Persona]:
    """The caller's own practice personas first, then the shared ones."""
    rows = (
        await db.execute(
            select(StoredPersona)
            .where(or_(StoredPersona.owner_id.is_(None), StoredPersona.owner_id == user.id))
            .order_by(StoredPersona.created_at)
        )
    ).scalars()
    own: list[Persona] = []
    shared: list[Persona] = []
    for row in rows:
        (own if row.owner_id == user.id else shared).append(Persona.model_validate(row.data))
    return own + list(playbook.personas.values()) + shared


async def owned_ids(db: AsyncSession, *, user: User) -> set[str]:
    """The ids of the caller's own practice personas (from pre-meeting prep)."""
    stmt = select(StoredPersona.id).where(StoredPersona.owner_id == user.id)
    return set((await db.execute(stmt)).scalars())


def may_use(row: StoredPersona, user: User) -> bool:
    """A rep's practice persona is theirs alone (and admins'); shared personas are everyone's."""
    return row.owner_id is None or row.owner_id == user.id or user.role == "admin"


async def _stored(db: AsyncSession, *, persona_id: str, user: User) -> StoredPersona:
    row = await db.get(StoredPersona, persona_id)
    if row is None or not may_use(row, user):
        # Someone else's practice persona answers as if it did not exist.
        raise NotFound(f"persona {persona_id!r} not found")
    return row


async def get_persona(
    db: AsyncSession, playbook: Playbook, *, persona_id: str, user: User
) -> Persona:
    if persona_id in playbook.personas:
        return playbook.personas[persona_id]
    row = await _stored(db, persona_id=persona_id, user=user)
    return Persona.model_validate(row.data)


async def create_persona(
    db: AsyncSession,
    playbook: Playbook,
    *,
    persona: Persona,
    user: User,
    owner_id: int | None = None,
) -> Persona:
    if persona.id in playbook.personas or (await db.get(StoredPersona, persona.id)) is not None:
        raise Conflict(f"a persona with id {persona.id!r} already exists")
    db.add(
        StoredPersona(
            id=persona.id,
            language=persona.language,
            data=persona.model_dump(mode="json"),
            owner_id=owner_id,
            created_by_id=user.id,
        )
    )
    await db.flush()
    return persona


async def update_persona(
    db: AsyncSession, playbook: Playbook, *, persona: Persona, user: User
) -> Persona:
    if persona.id in playbook.personas:
        raise Conflict(f"persona {persona.id!r} comes from playbook/ files: edit it there")
    row = await _stored(db, persona_id=persona.id, user=user)
    row.data = persona.model_dump(mode="json")
    row.language = persona.language
    await db.flush()
    return persona


def view(persona: Persona, user: User) -> dict[str, Any]:
    """Trainers and admins see the hidden facts; reps see the card."""
    return persona.model_dump(mode="json") if is_trainer(user) else persona.card()
