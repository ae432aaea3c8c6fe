"""Security headers on every answer (pages, API, static files, errors), as pure ASGI middleware.

- `Content-Security-Policy`: scripts, styles, images and requests only from this origin, no
  inline script, no plugins, no `<base>`, forms post only here, and `frame-ancestors 'none'`
  (with `X-Frame-Options: DENY` for older browsers) so no other site can frame a page.
  FastAPI's own `/docs` and `/redoc` load their viewers from a CDN and start them with one inline
  script; they get a policy that allows that CDN and that one script by its hash, nothing else.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (session ids in page
  addresses never leave the site), `Cross-Origin-Opener-Policy: same-origin`.
- `Strict-Transport-Security` when the request came over HTTPS (directly or through a trusted
  proxy, see `app.proxy`).
A header the app set itself is kept.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CDN = "https://cdn.jsdelivr.net"
COMMON = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


def script_hashes(html: str) -> list[str]:
    """CSP source expressions for each inline script of a page."""
    bodies = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in bodies
    ]


def docs_policy(inline_scripts: list[str]) -> str:
    """The policy of the interactive API docs: the CDN viewer and its own start-up script."""
    return (
        f"default-src 'self'; script-src 'self' {CDN} {' '.join(inline_scripts)}; "
        f"style-src 'self' {CDN} https://fonts.googleapis.com 'unsafe-inline'; "
        "img-src 'self' data: https://fastapi.tiangolo.com; font-src https://fonts.gstatic.com; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, docs_policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.docs_policies = docs_policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.docs_policies.get(scope["path"], PAGE_POLICY)
        extra = [*COMMON, (b"content-security-policy", policy.encode())]
        if scope.get("scheme") == "https":
            extra.append(HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
