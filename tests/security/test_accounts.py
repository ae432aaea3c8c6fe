"""Accounts: sign-in throttling shared through the database; sign-out, a new password and a
disabled user revoke tokens and cookie sessions (API, web form and command line)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import Account, add_account
from tests.web.test_pages import CSRF, SESSION, form_token, sign_in


async def token_login(client: httpx.AsyncClient, username: str, password: str, **kw: object):
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}, **kw
    )


async def test_five_wrong_passwords_lock_the_user_with_retry_after(
    client: httpx.AsyncClient, rep: Account
) -> None:
    for _ in range(5):
        assert (await token_login(client, rep.username, "wrong-password")).status_code == 401
    locked = await token_login(client, rep.username, rep.password)  # even the right one waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60
    assert "try again" in locked.json()["detail"]
    # Case and width variants of the name count as the same user.
    assert (await token_login(client, "REP1", rep.password)).status_code == 429


async def test_the_login_form_is_throttled_too(client: httpx.AsyncClient, rep: Account) -> None:
    await client.get("/login")
    for _ in range(5):
        r = await client.post(
            "/login",
            data={
                "username": rep.username,
                "password": "nope-nope",
                "csrf_token": client.cookies[CSRF],
            },
        )
        assert r.status_code == 401
    r = await client.post(
        "/login",
        data={
            "username": rep.username,
            "password": rep.password,
            "csrf_token": client.cookies[CSRF],
        },
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in r.text
    assert SESSION not in r.cookies


async def test_one_address_trying_many_users_is_throttled(
    app: object, client: httpx.AsyncClient
) -> None:
    victims = [await add_account(app, f"victim{i}", "rep") for i in range(5)]
    for i in range(20):  # 4 per user: no user is locked, the address is
        assert (await token_login(client, victims[i % 5].username, "bad-guess")).status_code == 401
    r = await token_login(client, victims[0].username, victims[0].password)
    assert r.status_code == 429
    # Another client address (through the trusted proxy) is not held back.
    other = await token_login(
        client, victims[0].username, victims[0].password, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert other.status_code == 200


async def test_a_successful_sign_in_clears_the_users_failures(
    client: httpx.AsyncClient, rep: Account
) -> None:
    for _ in range(4):
        await token_login(client, rep.username, "wrong-password")
    assert (await token_login(client, rep.username, rep.password)).status_code == 200
    for _ in range(4):
        assert (await token_login(client, rep.username, "wrong-password")).status_code == 401
    assert (await token_login(client, rep.username, rep.password)).status_code == 200


async def test_a_second_app_process_sees_the_same_failures(
    db_url: str, client: httpx.AsyncClient, rep: Account
) -> None:
    """Two app instances on one database (as two server processes) share the throttle."""
    from app.main import create_app
    from tests.conftest import make_settings

    second = create_app(make_settings(db_url))
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            for _ in range(3):
                assert (await token_login(client, rep.username, "wrong-pw-1")).status_code == 401
            for _ in range(2):
                assert (await token_login(other, rep.username, "wrong-pw-2")).status_code == 401
            assert (await token_login(other, rep.username, rep.password)).status_code == 429
            assert (await token_login(client, rep.username, rep.password)).status_code == 429


async def test_api_logout_revokes_every_token_of_the_user(
    client: httpx.AsyncClient, rep: Account
) -> None:
    first = (await token_login(client, rep.username, rep.password)).json()["access_token"]
    second = (await token_login(client, rep.username, rep.password)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {first}"}
    assert (await client.post("/api/v1/auth/logout", headers=bearer)).status_code == 204
    for token in (first, second):
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
    fresh = (await token_login(client, rep.username, rep.password)).json()["access_token"]
    assert (
        await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"})
    ).status_code == 200


async def test_web_logout_makes_the_old_cookie_worthless(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    cookie = client.cookies[SESSION]
    assert (
        await client.post("/logout", data={"csrf_token": form_token(client)})
    ).status_code == 303
    client.cookies.set(SESSION, cookie)  # a copy of the cookie kept from before sign-out
    replay = await client.get("/api/v1/auth/me")
    assert replay.status_code == 401
    page = await client.get("/")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_changing_the_password_over_the_api(client: httpx.AsyncClient, rep: Account) -> None:
    old = (await token_login(client, rep.username, rep.password)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {old}"}
    wrong = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-it-at-all", "new_password": "a-new-long-pass"},
        headers=bearer,
    )
    assert wrong.status_code == 403
    short = await client.post(
        "/api/v1/auth/password",
        json={"current_password": rep.password, "new_password": "short"},
        headers=bearer,
    )
    assert short.status_code == 422 and "at least 8" in short.json()["detail"]
    ok = await client.post(
        "/api/v1/auth/password",
        json={"current_password": rep.password, "new_password": "a-new-long-pass"},
        headers=bearer,
    )
    assert ok.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=rep.headers)).status_code == 401
    new_bearer = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=new_bearer)).status_code == 200
    assert (await token_login(client, rep.username, rep.password)).status_code == 401
    assert (await token_login(client, rep.username, "a-new-long-pass")).status_code == 200


async def test_changing_the_password_on_the_web_form(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    page = await client.get("/account/password")
    assert page.status_code == 200 and 'name="new_password"' in page.text
    other_token = (await token_login(client, rep.username, rep.password)).json()["access_token"]
    wrong = await client.post(
        "/account/password",
        data={
            "current_password": "nope-nope-nope",
            "new_password": "a-new-long-pass",
            "csrf_token": form_token(client),
        },
    )
    assert wrong.status_code == 403 and "current password is wrong" in wrong.text
    r = await client.post(
        "/account/password",
        data={
            "current_password": rep.password,
            "new_password": "a-new-long-pass",
            "csrf_token": form_token(client),
        },
    )
    assert r.status_code == 200 and 'data-testid="password-changed"' in r.text
    assert (await client.get("/")).status_code == 200  # this browser got a fresh session
    stale = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other_token}"})
    assert stale.status_code == 401


def cli(db_url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESCOACH_DATABASE_URL": db_url}
    env.pop("SALESCOACH_PASSWORD", None)
    if password is not None:
        env["SALESCOACH_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_cli_set_password_revokes_tokens_and_cookies(
    db_url: str, client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    assert client.cookies[SESSION]
    short = cli(db_url, "user", "set-password", rep.username, password="a")
    assert short.returncode == 1 and "at least 8" in short.stderr
    done = cli(db_url, "user", "set-password", "REP1", password="cli-new-password")
    assert done.returncode == 0, done.stderr
    assert "cli-new-password" not in done.stdout + done.stderr
    assert (await client.get("/api/v1/auth/me", headers=rep.headers)).status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 401  # the cookie session
    assert (await token_login(client, rep.username, "cli-new-password")).status_code == 200
    missing = cli(db_url, "user", "set-password", "nobody", password="cli-new-password")
    assert missing.returncode == 1 and "no user" in missing.stderr


async def test_cli_disable_stops_sign_in_and_tokens(
    db_url: str, client: httpx.AsyncClient, rep: Account
) -> None:
    assert cli(db_url, "user", "disable", rep.username).returncode == 0
    assert (await client.get("/api/v1/auth/me", headers=rep.headers)).status_code == 401
    assert (await token_login(client, rep.username, rep.password)).status_code == 401
    assert cli(db_url, "user", "enable", rep.username).returncode == 0
    assert (await token_login(client, rep.username, rep.password)).status_code == 200


@pytest.mark.parametrize("proto", ["https"])
async def test_secure_cookie_setting_forces_secure(db_url: str, proto: str) -> None:
    from app.main import create_app
    from tests.conftest import make_settings

    forced = create_app(make_settings(db_url, secure_cookies=True, trusted_proxies=""))
    async with forced.router.lifespan_context(forced):
        transport = httpx.ASGITransport(app=forced)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            r = await c.get("/login", headers={"X-Forwarded-Proto": proto})
            assert "secure" in r.headers["set-cookie"].lower()
            # Proxy headers are not believed from an untrusted peer: no HSTS over plain HTTP.
            assert "strict-transport-security" not in r.headers
