from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from app.auth import service
from app.auth.security import create_token
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import AppError

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    id: int
    username: str
    role: str
    team_id: int | None


@router.post("/auth/token")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], db: SessionDep, settings: SettingsDep
) -> Token:
    """Exchange a username and password for a bearer token."""
    user = await service.authenticate(db, username=form.username, password=form.password)
    if user is None:
        raise AppError("wrong username or password", 401, {"WWW-Authenticate": "Bearer"})
    return Token(
        access_token=create_token(user.id, user.role, settings.secret_key, settings.token_minutes)
    )


@router.get("/auth/me")
async def me(user: CurrentUser) -> Me:
    """The signed-in user."""
    return Me(id=user.id, username=user.username, role=user.role, team_id=user.team_id)
