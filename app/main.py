"""create_app(): the lifespan owns the database engine and the playbook; routers are mounted here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from langchain_core.language_models import BaseChatModel
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.auth import endpoints as auth_endpoints
from app.coach import endpoints as coach_endpoints
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker, unavailable
from app.deps import EngineDep
from app.errors import AppError, install_error_handlers
from app.headers import SecurityHeaders, docs_policy, script_hashes
from app.hygiene import InputHygiene
from app.limits import BodySizeLimit
from app.llm.models import build_chat_model
from app.needs import endpoints as needs_endpoints
from app.openapi import document_errors
from app.personas import endpoints as persona_endpoints
from app.playbook.loader import load_playbook
from app.prep import endpoints as prep_endpoints
from app.review import endpoints as review_endpoints
from app.roleplay import endpoints as roleplay_endpoints
from app.roleplay.engine import CustomerEngine
from app.roleplay.memo import SessionMemos
from app.roleplay.schemas import TurnResult
from app.roleplay.scripted import ScriptedEngine
from app.web import pages
from app.web.templating import STATIC_DIR

log = logging.getLogger("salescoach")


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    for router in (
        auth_endpoints.router,
        persona_endpoints.router,
        roleplay_endpoints.router,
        needs_endpoints.router,
        review_endpoints.router,
        coach_endpoints.router,
        prep_endpoints.router,
    ):
        api.include_router(router)
    return api


def match_turns_first(app: FastAPI) -> None:
    """Put the rep turn's route first. FastAPI tries routes in order, and an included router's
    routes through each level of inclusion (the turn's three times over: 0.1-0.2 ms a turn);
    this copy of the documented route, left out of the schema, answers the turn before any
    other is tried. No other route's path matches a turn's, so no answer changes."""
    app.add_api_route(
        "/api/v1/sessions/{session_id}/turns",
        roleplay_endpoints.post_turn,
        methods=["POST"],
        response_model=TurnResult,
        include_in_schema=False,
    )
    app.router.routes.insert(0, app.router.routes.pop())


def customer_engine(settings: Settings, chat_model: BaseChatModel | None) -> CustomerEngine:
    """The scripted engine offline; the LLM engine when SALESCOACH_LLM names a model."""
    if chat_model is None:
        return ScriptedEngine()
    # Imported here: the OpenAI SDK takes tens of MiB that the offline engine never needs.
    from app.roleplay.llm_engine import LLMEngine

    return LLMEngine(chat_model, settings)


def docs_policies(app: FastAPI) -> dict[str, str]:
    """The CSP of each API docs page, allowing exactly the inline script FastAPI renders there."""
    title, openapi_url = app.title, app.openapi_url or ""
    pages = {
        app.docs_url: get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        ),
        app.swagger_ui_oauth2_redirect_url: get_swagger_ui_oauth2_redirect_html(),
        app.redoc_url: get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc"),
    }
    return {
        path: docs_policy(script_hashes(bytes(page.body).decode()))
        for path, page in pages.items()
        if path
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.async_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.chat_model = build_chat_model(settings)
        app.state.customer_engine = customer_engine(settings, app.state.chat_model)
        app.state.memos = SessionMemos()
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="salescoach", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    # Loaded before serving so a broken playbook fails at start-up, naming file and field.
    app.state.playbook = load_playbook(settings.playbook_dir)
    install_error_handlers(app)
    # Outermost last: proxy headers first, then the security headers on every answer
    # (a 413 included), then the body limit, then the input gate that needs the whole body.
    app.add_middleware(InputHygiene)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, docs_policies=docs_policies(app))
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    @app.get(
        "/healthz",
        tags=["health"],
        responses={503: {"description": "the database does not answer"}},
    )
    async def healthz(engine: EngineDep) -> dict[str, str]:
        """Readiness: ok once the database answers; 503 with a JSON detail when it does not."""
        try:
            async with asyncio.timeout(settings.db_pool_timeout):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            if not (unavailable(exc) or isinstance(exc, PoolTimeout)):
                raise
            log.error("health check: %r", exc)
            raise AppError("the database is unavailable", 503, {"Retry-After": "5"}) from None
        return {"status": "ok"}

    app.include_router(api_router())
    match_turns_first(app)
    document_errors(app)

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return app
