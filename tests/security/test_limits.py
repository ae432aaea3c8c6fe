"""Hostile requests a client can send answer 4xx, never 500."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.web.test_pages import sign_in


async def test_a_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, rep: Account
) -> None:
    async def chunks():  # no Content-Length: the body streams in pieces
        for _ in range(40):
            yield b"x" * 10_000

    r = await client.post(
        "/api/v1/coach/analyze",
        content=chunks(),
        headers={**rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "bytes" in r.json()["detail"]


async def test_a_chunked_body_under_the_limit_still_works(
    client: httpx.AsyncClient, rep: Account
) -> None:
    async def chunks():
        yield b'{"text": "How do you '
        yield b'plan routes today?"}'

    r = await client.post(
        "/api/v1/coach/analyze",
        content=chunks(),
        headers={**rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["spin"] == "situation"


async def test_a_doubled_minus_in_the_review_order_is_ignored(
    client: httpx.AsyncClient, trainer: Account
) -> None:
    await sign_in(client, trainer)
    r = await client.get("/review", params={"order": "--score"})
    assert r.status_code == 200
    api = await client.get("/api/v1/sessions", params={"order": "--score"}, headers=trainer.headers)
    assert api.status_code == 422


async def test_a_body_that_is_not_utf8_is_422_not_400(
    client: httpx.AsyncClient, rep: Account
) -> None:
    r = await client.post(
        "/api/v1/coach/analyze",
        content=b"\xff\xfe\xc3(",
        headers={**rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


async def test_explicit_nulls_in_a_trainer_label_keep_the_reading(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    from tests.roleplay.test_api import start, turn

    sid = await start(client, rep)
    assert (await turn(client, rep, sid, "How do you plan routes today?")).status_code == 200
    r = await client.put(
        f"/api/v1/sessions/{sid}/turns/1/label",
        json={
            "spin": "situation",
            "signals": {"off_topic": None, "small_talk": True, "next_step": None},
        },
        headers=trainer.headers,
    )
    assert r.status_code == 200, r.text
    signals = r.json()["trainer_label"]["signals"]
    assert signals["small_talk"] is True and signals["off_topic"] is False
