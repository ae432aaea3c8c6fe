"""The Jinja2 environment of the web pages and the one function that renders a page."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.auth.models import User
from app.web.catalogue import Translator
from app.web.labels import PlaybookLabels
from app.web.security import csrf_token, is_trainer, remember_csrf, ui_language

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def _asset_version() -> str:
    # A content hash in the asset URLs lets browsers cache them for good between releases.
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else ""


env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.globals["asset_version"] = _asset_version()
# Compiled at import, so the first visitor after a start does not wait for the compiler.
for _name in env.list_templates(extensions=["html"]):
    env.get_template(_name)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page in the UI language with the CSRF token, the user and the current path bound."""
    language = ui_language(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    values: dict[str, Any] = {
        "request": request,
        "lang": language,
        "t": Translator(language),
        "playbook_labels": PlaybookLabels(getattr(request.app.state, "playbook", None), language),
        "csrf": csrf_token(request),
        "user": user,
        "trainer": user is not None and is_trainer(user),
        "here": here,
        **(context or {}),
    }
    html = env.get_template(template).render(values)
    # Pages are personal: never stored by a shared cache or served stale after sign-out.
    response = HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
    remember_csrf(request, response)
    return response
