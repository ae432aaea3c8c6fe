"""create_app(): the lifespan owns the database engine and the playbook; routers are mounted here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

from app.auth import endpoints as auth_endpoints
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.errors import install_error_handlers
from app.limits import BodySizeLimit
from app.playbook.loader import load_playbook


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_endpoints.router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.async_database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="salescoach", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    # Loaded before serving so a broken playbook fails at start-up, naming file and field.
    app.state.playbook = load_playbook(settings.playbook_dir)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    app.include_router(api_router())

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return LOGIN_PAGE

    return app


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>salescoach</title></head>
<body><h1>salescoach</h1><form method="post" action="/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form></body></html>"""
