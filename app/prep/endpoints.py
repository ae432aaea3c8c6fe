from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from app.deps import CurrentUser, PlaybookDep, SessionDep
from app.prep import service
from app.prep.schemas import Dimension, PrepForm, PrepResult
from app.web.catalogue import from_accept_language

router = APIRouter(prefix="/prep", tags=["prep"])


@router.get("/priority-dimensions")
async def priority_dimensions(
    request: Request,
    playbook: PlaybookDep,
    user: CurrentUser,
    language: Literal["zh", "en"] | None = None,
) -> list[Dimension]:
    """The customer-priority dimensions of Appendix 1 (max points sum to 100), labelled in
    `language`, else in the request's Accept-Language."""
    chosen = language or from_accept_language(request.headers.get("accept-language"))
    return service.dimensions(playbook, chosen)


@router.post("", status_code=201)
async def create_prep(
    form: PrepForm, db: SessionDep, playbook: PlaybookDep, user: CurrentUser
) -> PrepResult:
    """Turn pre-meeting research into a practice persona, a priority score, an opener and questions."""
    return await service.create_prep(db, playbook, form=form, user=user)
