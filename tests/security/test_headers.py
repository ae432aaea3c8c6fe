"""Security headers on every answer: pages, API, static files, errors; Secure cookies over HTTPS."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account
from tests.web.test_pages import CSRF, SESSION, sign_in


def assert_hardened(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize(
    "path",
    ["/login", "/healthz", "/api/v1/personas", "/static/app.css", "/no-such-page", "/openapi.json"],
)
async def test_every_answer_carries_the_headers(client: httpx.AsyncClient, path: str) -> None:
    assert_hardened(await client.get(path))


async def test_signed_in_pages_and_a_413_carry_them(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    for path in ("/", "/review"):
        assert_hardened(await client.get(path))
    big = await client.post(
        "/api/v1/coach/analyze", json={"text": "x" * 300_000}, headers=rep.headers
    )
    assert big.status_code == 413
    assert_hardened(big)


async def test_pages_use_no_inline_script(client: httpx.AsyncClient, rep: Account) -> None:
    await sign_in(client, rep)
    sid = (
        await client.post(
            "/api/v1/sessions",
            json={"persona_id": "mark-packaging"},
            headers={"X-CSRF-Token": client.cookies[CSRF]},
        )
    ).json()["id"]
    for path in ("/login", "/", f"/practice/{sid}"):
        html = (await client.get(path)).text
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, head
        assert " onclick=" not in html and " onload=" not in html and "javascript:" not in html


async def test_cookies_are_secure_behind_an_https_proxy(
    client: httpx.AsyncClient, rep: Account
) -> None:
    plain = await client.get("/login")
    assert "secure" not in plain.headers["set-cookie"].lower()
    client.cookies.clear()
    proxied = await client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in proxied.headers["set-cookie"].lower()
    assert "max-age" in proxied.headers["strict-transport-security"]
    token = client.cookies[CSRF]
    client.cookies.clear()  # a Secure cookie is not sent back over this test's plain HTTP
    r = await client.post(
        "/login",
        data={"username": rep.username, "password": rep.password, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https", "Cookie": f"{CSRF}={token}"},
    )
    assert r.status_code == 303
    session_cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION))
    assert "secure" in session_cookie.lower()


async def test_the_api_docs_allow_only_their_own_inline_script(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    csp = r.headers["content-security-policy"]
    assert "'sha256-" in csp and "frame-ancestors 'none'" in csp
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src


async def test_the_docs_policy_allows_exactly_the_script_served(client: httpx.AsyncClient) -> None:
    from app.headers import script_hashes

    for path in ("/docs", "/docs/oauth2-redirect"):
        r = await client.get(path)
        served = script_hashes(r.text)
        assert served, path
        script_src = next(
            p for p in r.headers["content-security-policy"].split(";") if "script-src" in p
        )
        assert all(h in script_src for h in served), path
