"""Time to first byte of the chat page and the start page, with an empty cache.

Each request opens a new TCP connection and sends no cache validators (no If-None-Match,
no If-Modified-Since, `Cache-Control: no-cache`), as a browser with an empty cache would; the
figure is the time from sending the request to receiving the first byte of the answer.
The first request after the server starts (templates not yet compiled) is shown apart.

    .venv/bin/python bench/pages.py                      # starts its own server on a temp DB
    .venv/bin/python bench/pages.py --url http://127.0.0.1:8000 --username rep --password ...

Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ttfb(url: str, path: str, cookie: str) -> tuple[float, float, int]:
    """(connect seconds, time to first byte in seconds, status) for one GET on a new connection."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
        "Accept: text/html\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
    ).encode()
    started = time.perf_counter()
    with socket.create_connection((host, port)) as conn:
        connected = time.perf_counter()
        conn.sendall(request)
        first = conn.recv(1)
        answered = time.perf_counter()
        rest = b""
        while chunk := conn.recv(65536):
            rest += chunk
    status = int((first + rest).split(b" ", 2)[1])
    return connected - started, answered - connected, status


def sign_in(url: str, username: str, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies["salescoach_csrf"],
        },
    )
    if r.status_code != 303:
        raise SystemExit(f"sign-in failed ({r.status_code}); check --username/--password")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return client, cookie


def practice_session(client: httpx.Client, persona_id: str, turns: int) -> str:
    csrf = client.cookies["salescoach_csrf"]
    r = client.post(
        "/practice", data={"persona_id": persona_id, "scenario": "discovery", "csrf_token": csrf}
    )
    session_id = r.headers["location"].rsplit("/", 1)[-1]
    texts = [
        "How was the conference last week?",
        "How does your team track account health today?",
        "What goes wrong when an account is unhappy?",
        "What did that cost you last year?",
        "If you saw the risk a quarter earlier, what would that be worth?",
        "How many people work on renewals?",
    ]
    for i in range(turns):
        client.post(
            f"/api/v1/sessions/{session_id}/turns",
            json={"text": texts[i % len(texts)] + f" ({i})"},
            headers={"X-CSRF-Token": csrf},
        )
    return session_id


def report(name: str, samples: list[tuple[float, float, int]]) -> None:
    statuses = {s for _, _, s in samples}
    ms = sorted(t * 1000 for _, t, _ in samples)
    connect = statistics.median(c * 1000 for c, _, _ in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(
        f"{name:<12} n={len(ms):<4} status={sorted(statuses)} ttfb ms: "
        f"min {ms[0]:.1f}  median {statistics.median(ms):.1f}  p95 {p95:.1f}  max {ms[-1]:.1f}"
        f"   (connect median {connect:.2f})"
    )


@contextmanager
def own_server() -> Iterator[tuple[str, str, str]]:
    """A server on a free port with a temporary migrated SQLite database and one rep."""
    from app.auth import service as auth_service
    from app.db import create_engine, create_sessionmaker
    from app.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(db_url)

        async def seed() -> None:
            engine = create_engine(db_url)
            async with create_sessionmaker(engine)() as db:
                await auth_service.create_user(
                    db, username="bench", password="bench-pw", role="rep"
                )
                await db.commit()
            await engine.dispose()

        asyncio.run(seed())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {
            **os.environ,
            "SALESCOACH_DATABASE_URL": db_url,
            "SALESCOACH_SECRET_KEY": "bench-secret-0123456789abcdef0123456789",
            "SALESCOACH_LLM": "scripted",
        }
        cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        process = subprocess.Popen(cmd, cwd=ROOT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield url, "bench", "bench-pw"
        finally:
            process.terminate()
            process.wait(timeout=10)


def run(url: str, username: str, password: str, runs: int, turns: int, persona: str) -> None:
    client, cookie = sign_in(url, username, password)
    try:
        session_id = practice_session(client, persona, turns)
    finally:
        client.close()
    chat = f"/practice/{session_id}"
    print(f"server {url}; chat page {chat} with {turns * 2} turns; {runs} runs per page")
    report("chat (first)", [ttfb(url, chat, cookie)])
    report("start (first)", [ttfb(url, "/", cookie)])
    for _ in range(3):  # let the connection pool and caches of the server settle
        ttfb(url, chat, cookie)
    report("chat", [ttfb(url, chat, cookie) for _ in range(runs)])
    report("start", [ttfb(url, "/", cookie) for _ in range(runs)])
    report("login", [ttfb(url, "/login", "") for _ in range(runs)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; default: start one on a temp DB")
    parser.add_argument("--username", default=os.environ.get("SALESCOACH_BENCH_USER", "rep"))
    parser.add_argument("--password", default=os.environ.get("SALESCOACH_BENCH_PASSWORD", ""))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6, help="rep turns in the chat page")
    parser.add_argument("--persona", default="morgan-saas")
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/"), args.username, args.password, args.runs, args.turns, args.persona)
        return
    with own_server() as (url, username, password):
        run(url, username, password, args.runs, args.turns, args.persona)


if __name__ == "__main__":
    main()
