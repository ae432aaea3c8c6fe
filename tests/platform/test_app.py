"""The platform: health, errors, limits, OpenAPI, auth and role guards, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.auth.security import create_token
from tests.conftest import TEST_SECRET, Account, add_account


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_openapi_lists_the_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/sessions", "/api/v1/sessions/{session_id}/turns"):
        assert path in paths


async def test_the_turn_route_is_tried_first_and_documented_once_in_its_place(
    app, client: httpx.AsyncClient, rep: Account
) -> None:
    turns = "/api/v1/sessions/{session_id}/turns"
    first = app.router.routes[0]
    assert first.path == turns and first.methods == {"POST"} and not first.include_in_schema
    paths = list(app.openapi()["paths"])
    assert paths.count(turns) == 1
    assert paths.index(turns) == paths.index("/api/v1/sessions/{session_id}/retry") + 1
    assert set(app.openapi()["paths"][turns]) == {"post"}
    r = await client.get("/api/v1/sessions/some-id/turns", headers=rep.headers)
    assert r.status_code == 405 and "detail" in r.json()


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and "detail" in r.json()


async def test_login_page_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/", follow_redirects=True)
    assert r.status_code == 200 and 'name="password"' in r.text


async def test_every_api_route_but_token_needs_a_token(app, client: httpx.AsyncClient) -> None:
    paths = app.openapi()["paths"]
    operations = [
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith("/api/v1")
        for method in ops
    ]
    assert len(operations) > 15
    for method, path in operations:
        if path == "/api/v1/auth/token":
            continue
        url = path.replace("{session_id}", "x").replace("{persona_id}", "x")
        r = await client.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer"
        assert "detail" in r.json()


async def test_token_flow_and_wrong_password(app, client: httpx.AsyncClient) -> None:
    acct = await add_account(app, "ann", "rep")
    r = await client.post("/api/v1/auth/token", data={"username": "ann", "password": "wrong"})
    assert r.status_code == 401 and "detail" in r.json()
    r = await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/token", data={"username": "ann", "password": acct.password})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["username"] == "ann" and me.json()["role"] == "rep"


async def test_forged_and_expired_tokens_are_refused(app, client: httpx.AsyncClient) -> None:
    acct = await add_account(app, "bea", "rep")
    forged = create_token(acct.id, "admin", "some-other-secret-that-is-long-enough-0000", 60)
    expired = create_token(acct.id, "rep", TEST_SECRET, -1)
    for token in (forged, expired, "not-a-token"):
        r = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


async def test_role_guards(
    client: httpx.AsyncClient, rep: Account, trainer: Account, admin: Account
) -> None:
    persona = {
        "id": "guard-test",
        "language": "en",
        "name": "G",
        "title": "T",
        "company": "C",
        "industry": "I",
        "situation": [{"id": "s1", "text": "We have one site."}],
        "problems": [{"id": "p1", "text": "It is slow."}],
    }
    r = await client.post("/api/v1/personas", json=persona, headers=rep.headers)
    assert r.status_code == 403
    r = await client.get("/api/v1/review/team", headers=rep.headers)
    assert r.status_code == 403
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 201
    r = await client.get("/api/v1/review/team", headers=trainer.headers)
    assert r.status_code == 200
    persona["id"] = "guard-test-2"
    r = await client.post("/api/v1/personas", json=persona, headers=admin.headers)
    assert r.status_code == 201


async def test_validation_errors_are_422_with_detail(
    client: httpx.AsyncClient, rep: Account
) -> None:
    r = await client.post("/api/v1/sessions", json={"scenario": "nonsense"}, headers=rep.headers)
    assert r.status_code == 422 and isinstance(r.json()["detail"], list)
    r = await client.post(
        "/api/v1/sessions",
        content=b"{not json",
        headers={**rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient, rep: Account) -> None:
    r = await client.post(
        "/api/v1/coach/analyze", json={"text": "x" * 300_000}, headers=rep.headers
    )
    assert r.status_code == 413 and "detail" in r.json()


async def test_concurrent_writes_do_not_fail(app, client: httpx.AsyncClient) -> None:
    accounts = await asyncio.gather(*(add_account(app, f"u{i}", "rep") for i in range(6)))
    results = await asyncio.gather(
        *(
            client.post(
                "/api/v1/sessions",
                json={"persona_id": "chen-logistics", "scenario": "discovery"},
                headers=a.headers,
            )
            for a in accounts
            for _ in range(3)
        )
    )
    assert [r.status_code for r in results] == [201] * 18


@pytest.mark.parametrize("name", ["rep", "trainer"])
async def test_duplicate_username_is_a_conflict(app, client: httpx.AsyncClient, name: str) -> None:
    from app.errors import Conflict

    await add_account(app, name, name)
    with pytest.raises(Conflict):
        await add_account(app, name, name)


def test_a_token_accepted_once_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth import service as auth_service
    from app.config import Settings

    settings = Settings(secret_key=TEST_SECRET)
    token = create_token(7, "rep", TEST_SECRET, 1)
    assert auth_service.claims_of(token, settings) == auth_service.TokenClaims(7, 0)
    # Verified tokens are remembered; the expiry still counts on every use.
    monkeypatch.setattr(auth_service.time, "time", lambda: 1e12)
    assert auth_service.claims_of(token, settings) is None
    other = Settings(secret_key="another-secret-that-is-long-enough-0123456789")
    monkeypatch.undo()
    assert auth_service.claims_of(token, other) is None
