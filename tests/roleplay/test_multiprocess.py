"""Two server processes sharing one PostgreSQL database: turns gap-free, nothing lost under load."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_SECRET, Account, add_account


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_servers(db_url: str) -> Iterator[list[str]]:
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share a database only on PostgreSQL")
    env = {**os.environ, "SALESCOACH_DATABASE_URL": db_url, "SALESCOACH_SECRET_KEY": TEST_SECRET}
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--port",
                str(p),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for p in ports
    ]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "servers did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


async def test_turns_from_two_processes_are_serialised(
    two_servers: list[str], rep: Account
) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        r = await http.post(
            f"{two_servers[0]}/api/v1/sessions",
            json={"persona_id": "karen-education", "scenario": "discovery"},
            headers=rep.headers,
        )
        sid = r.json()["id"]
        texts = [f"Question {i}: how do your teachers plan lessons?" for i in range(16)]
        results = await asyncio.gather(
            *(
                http.post(
                    f"{two_servers[i % 2]}/api/v1/sessions/{sid}/turns",
                    json={"text": t},
                    headers=rep.headers,
                )
                for i, t in enumerate(texts)
            )
        )
        assert all(r.status_code in (200, 409) for r in results), [r.text for r in results]
        body = (
            await http.get(f"{two_servers[1]}/api/v1/sessions/{sid}", headers=rep.headers)
        ).json()
    turns = body["turns"]
    assert [t["seq"] for t in turns] == list(range(1, len(turns) + 1))
    assert [t["speaker"] for t in turns] == ["rep", "customer"] * (len(turns) // 2)
    answered = sorted(t["text"] for t in turns if t["speaker"] == "rep")
    assert answered == sorted(
        t for t, r in zip(texts, results, strict=True) if r.status_code == 200
    )


async def test_forty_sessions_on_two_processes_lose_nothing(
    app, two_servers: list[str], client: httpx.AsyncClient
) -> None:
    reps = [await add_account(app, f"multi{i}", "rep") for i in range(40)]
    async with httpx.AsyncClient(timeout=120) as http:
        sids = []
        for i, rep in enumerate(reps):
            r = await http.post(
                f"{two_servers[i % 2]}/api/v1/sessions",
                json={"persona_id": "karen-education", "scenario": "discovery"},
                headers=rep.headers,
            )
            sids.append(r.json()["id"])
        texts = [f"Round {n}: how do your teachers plan lessons?" for n in range(2)]
        for text in texts:
            results = await asyncio.gather(
                *(
                    http.post(
                        f"{two_servers[(i + n) % 2]}/api/v1/sessions/{sid}/turns",
                        json={"text": text},
                        headers={**rep.headers, "Accept": accept},
                    )
                    for n, accept in enumerate(("application/json", "text/event-stream"))
                    for i, (sid, rep) in enumerate(zip(sids, reps, strict=True))
                    if i % 2 == n
                )
            )
            assert [r.status_code for r in results] == [200] * 40
            assert all("event: error" not in r.text for r in results)
        bodies = await asyncio.gather(
            *(
                http.get(f"{two_servers[i % 2]}/api/v1/sessions/{sid}", headers=rep.headers)
                for i, (sid, rep) in enumerate(zip(sids, reps, strict=True))
            )
        )
    for body in bodies:
        turns = body.json()["turns"]
        assert [t["seq"] for t in turns] == [1, 2, 3, 4]
        assert [t["speaker"] for t in turns] == ["rep", "customer"] * 2
        assert [t["text"] for t in turns if t["speaker"] == "rep"] == texts
