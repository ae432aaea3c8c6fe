"""Load on the PostgreSQL path: many sessions turning at once, served by several processes.

`--sessions` reps each open a session; in each of `--rounds` rounds every session sends its
next turn at the same moment, session i to server i % `--servers`, half of them as SSE. The
customer is the LLM engine against a fake OpenAI-compatible model on loopback that answers
after `--model-delay` seconds, as a real model would (0: the offline scripted engine). While
the turns run, a probe asks `GET /api/v1/auth/me` every 100 ms to see whether other requests
wait behind them (the pool, a lock).

Prints, per round: answers by status, turn latency p50 / p95 / max, the probe's p50 / max; then
the integrity of every session (seqs gap-free, rep and customer alternating, every answered
turn stored exactly once, no unanswered one stored). Nothing is asserted.

    .venv/bin/python bench/load.py [--sessions 40] [--rounds 3] [--servers 2]
        [--model-delay 0.5] [--pool-size 10] [--max-overflow 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.llm import fake_openai  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
PG_URL = os.environ.get("SALESCOACH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PERSONA = "karen-education"


class SlowModel:
    """An OpenAI-compatible streaming chat endpoint that answers after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.calls = 0
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                model.calls += 1
                time.sleep(delay)
                body = fake_openai.sse_body(["Mm, ", "fair question. ", "Go on."]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed_reps(db_url: str, count: int) -> list[str]:
    """`count` reps; their bearer tokens (signed here: no password hashing in the timed part)."""
    from app.auth import service as auth_service
    from app.auth.security import create_token
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as db:
            users = [
                await auth_service.create_user(
                    db, username=f"load{i}", password=f"pw-{uuid.uuid4().hex}", role="rep"
                )
                for i in range(count)
            ]
            await db.commit()
    finally:
        await engine.dispose()
    return [create_token(u.id, "rep", SECRET, 60) for u in users]


def start_servers(db_url: str, args: argparse.Namespace, model: SlowModel | None) -> list[Any]:
    env = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": db_url,
        "SALESCOACH_SECRET_KEY": SECRET,
        "SALESCOACH_ENVIRONMENT": "production",
        "SALESCOACH_DB_POOL_SIZE": str(args.pool_size),
        "SALESCOACH_DB_MAX_OVERFLOW": str(args.max_overflow),
        "SALESCOACH_LLM": "scripted",
    }
    if model is not None:
        env |= {
            "SALESCOACH_LLM": "bench-model",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{model.port}/v1",
            "OPENAI_API_KEY": "sk-bench",
        }
    servers = []
    for _ in range(args.servers):
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
        servers.append((f"http://127.0.0.1:{port}", subprocess.Popen(cmd, cwd=ROOT, env=env)))
    deadline = time.monotonic() + 60
    for url, process in servers:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server {url} exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server {url} did not start")
            time.sleep(0.2)
    return servers


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def probe(http: httpx.AsyncClient, url: str, token: str, stop: asyncio.Event) -> list[float]:
    waits = []
    while not stop.is_set():
        t0 = time.perf_counter()
        await http.get(f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        waits.append(time.perf_counter() - t0)
        await asyncio.sleep(0.1)
    return waits


async def one_turn(
    http: httpx.AsyncClient, url: str, token: str, sid: str, text: str, sse: bool
) -> tuple[int, float, bool]:
    """(status, seconds, whether an SSE stream ended in an error event)."""
    headers = {"Authorization": f"Bearer {token}"}
    if sse:
        headers["Accept"] = "text/event-stream"
    t0 = time.perf_counter()
    r = await http.post(f"{url}/api/v1/sessions/{sid}/turns", json={"text": text}, headers=headers)
    return r.status_code, time.perf_counter() - t0, sse and "event: error" in r.text


async def run(db_url: str, args: argparse.Namespace) -> None:
    tokens = await seed_reps(db_url, args.sessions + 1)
    model = SlowModel(args.model_delay) if args.model_delay > 0 else None
    servers = start_servers(db_url, args, model)
    urls = [url for url, _ in servers]
    limits = httpx.Limits(max_connections=args.sessions * 2, max_keepalive_connections=0)
    sent: dict[str, list[str]] = {}
    try:
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            sids = []
            for i, token in enumerate(tokens[:-1]):
                r = await http.post(
                    f"{urls[i % len(urls)]}/api/v1/sessions",
                    json={"persona_id": PERSONA, "scenario": "discovery"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                sids.append(r.json()["id"])
                sent[sids[-1]] = []
            engine = f"fake model, {args.model_delay:g} s" if model else "scripted"
            print(
                f"{args.sessions} sessions x {args.rounds} rounds on {len(urls)} processes, "
                f"pool {args.pool_size}+{args.max_overflow} each, {engine}"
            )
            for round_ in range(args.rounds):
                text = f"Round {round_}: how do your teachers plan lessons?"
                stop = asyncio.Event()
                watcher = asyncio.create_task(probe(http, urls[0], tokens[-1], stop))
                results = await asyncio.gather(
                    *(
                        one_turn(http, urls[i % len(urls)], tokens[i], sid, text, bool(i % 2))
                        for i, sid in enumerate(sids)
                    )
                )
                stop.set()
                waits = await watcher
                for sid, (status, _, failed) in zip(sids, results, strict=True):
                    if status == 200 and not failed:
                        sent[sid].append(text)
                statuses = Counter(
                    "sse error" if failed else str(status) for status, _, failed in results
                )
                ms = [seconds * 1000 for _, seconds, _ in results]
                print(
                    f"round {round_ + 1}: {dict(statuses)}  turn p50 {statistics.median(ms):.0f} ms"
                    f"  p95 {pct(ms, 0.95):.0f} ms  max {max(ms):.0f} ms  |  /auth/me p50 "
                    f"{statistics.median(waits) * 1000:.0f} ms  max {max(waits) * 1000:.0f} ms"
                )
            problems = []
            for i, sid in enumerate(sids):
                r = await http.get(
                    f"{urls[-1]}/api/v1/sessions/{sid}",
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                )
                turns = r.json()["turns"]
                seqs = [t["seq"] for t in turns]
                reps = [t["text"] for t in turns if t["speaker"] == "rep"]
                speakers = [t["speaker"] for t in turns]
                if seqs != list(range(1, len(seqs) + 1)):
                    problems.append(f"{sid}: seqs {seqs}")
                if speakers != ["rep", "customer"] * (len(turns) // 2):
                    problems.append(f"{sid}: speakers {speakers}")
                if reps != sent[sid]:
                    problems.append(
                        f"{sid}: stored {len(reps)} rep turns, {len(sent[sid])} answered"
                    )
            print(
                "integrity: "
                + ("ok (every answered turn stored once, in order)" if not problems else "")
            )
            for problem in problems[:10]:
                print(f"  {problem}")
            if model:
                print(f"model calls: {model.calls}")
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--model-delay", type=float, default=0.5)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--max-overflow", type=int, default=20)
    args = parser.parse_args()
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:
        print(f"note: skipped: no PostgreSQL answers at {PG_URL} ({type(exc).__name__})")
        return
    from app.migrate import upgrade

    name = f"bench_load_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    base = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1).rpartition("/")[0]
    db_url = f"{base}/{name}"
    try:
        upgrade(db_url)
        asyncio.run(run(db_url, args))
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
