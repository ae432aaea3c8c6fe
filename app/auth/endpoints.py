from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from app.auth import service
from app.deps import CurrentUser, SessionDep, SettingsDep

router = APIRouter(tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    id: int
    username: str
    role: str
    team_id: int | None


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/auth/token")
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange a username and password for a bearer token (throttled: 429 with Retry-After)."""
    user = await service.sign_in(
        db,
        username=form.username,
        password=form.password,
        address=client_address(request),
        settings=settings,
    )
    return Token(access_token=service.token_for(user, settings))


@router.post("/auth/logout", status_code=204)
async def logout(db: SessionDep, user: CurrentUser) -> Response:
    """Sign out everywhere: every token and cookie session of the caller stops working."""
    await service.revoke_tokens(db, user=user)
    return Response(status_code=204)


@router.post("/auth/password")
async def change_password(
    request: Request, body: PasswordChange, db: SessionDep, user: CurrentUser, settings: SettingsDep
) -> Token:
    """Change the caller's password; earlier tokens and cookie sessions stop working, the
    answer is a fresh token."""
    await service.change_password(
        db,
        user=user,
        current=body.current_password,
        new=body.new_password,
        address=client_address(request),
        settings=settings,
    )
    return Token(access_token=service.token_for(user, settings))


@router.get("/auth/me")
async def me(user: CurrentUser) -> Me:
    """The signed-in user."""
    return Me(id=user.id, username=user.username, role=user.role, team_id=user.team_id)
