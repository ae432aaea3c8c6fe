"""A failing model: the rep's turn is kept, the error is a clear 502/504, a resend answers that turn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.errors import UpstreamError
from tests.conftest import Account
from tests.roleplay.test_api import sse_events, start, turn


class FlakyEngine:
    """Fails the first `failures` replies (after one token), then answers."""

    name = "flaky"
    prompt_version = "flaky-v1"

    def __init__(self, failures: int, status: int = 502) -> None:
        self.failures = failures
        self.status = status
        self.calls = 0

    async def stream(self, ctx: object) -> AsyncIterator[str]:
        self.calls += 1
        yield "Well"
        if self.calls <= self.failures:
            raise UpstreamError("the language model failed: test", self.status)
        yield ", we run three lines."


@pytest.fixture
def flaky(app) -> Iterator[FlakyEngine]:
    original = app.state.customer_engine
    engine = FlakyEngine(failures=1)
    app.state.customer_engine = engine
    yield engine
    app.state.customer_engine = original


async def test_model_failure_keeps_the_rep_turn_and_resend_answers_it(
    client: httpx.AsyncClient, rep: Account, flaky: FlakyEngine
) -> None:
    sid = await start(client, rep)
    r = await turn(client, rep, sid, "How many lines do you run?")
    assert r.status_code == 502 and "language model" in r.json()["detail"]
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [(t["seq"], t["speaker"], t["text"]) for t in body["turns"]] == [
        (1, "rep", "How many lines do you run?")
    ]
    r = await turn(client, rep, sid, "How many lines do you run?")
    assert r.status_code == 200
    assert r.json()["rep_turn"]["seq"] == 1 and r.json()["customer_turn"]["seq"] == 2
    assert r.json()["customer_turn"]["text"] == "Well, we run three lines."
    assert r.json()["customer_turn"]["prompt_version"] == "flaky-v1"
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [t["seq"] for t in body["turns"]] == [1, 2]


async def test_timeout_is_504_and_sse_gets_an_error_event(
    client: httpx.AsyncClient, rep: Account, flaky: FlakyEngine
) -> None:
    flaky.status = 504
    flaky.failures = 2
    sid = await start(client, rep)
    r = await turn(client, rep, sid, "What slows your lines down?")
    assert r.status_code == 504
    r = await client.post(
        f"/api/v1/sessions/{sid}/turns",
        json={"text": "What slows your lines down?"},
        headers={**rep.headers, "Accept": "text/event-stream"},
    )
    events = sse_events(r.text)
    assert events[0][0] == "coaching" and events[-1][0] == "error"
    assert events[-1][1]["status_code"] == 504
    r = await turn(client, rep, sid, "What slows your lines down?")
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 1


async def test_a_new_text_after_a_failure_is_a_new_turn(
    client: httpx.AsyncClient, rep: Account, flaky: FlakyEngine
) -> None:
    sid = await start(client, rep)
    assert (await turn(client, rep, sid, "How many lines do you run?")).status_code == 502
    r = await turn(client, rep, sid, "Who plans production?")
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 2
    body = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert [t["speaker"] for t in body["turns"]] == ["rep", "rep", "customer"]
