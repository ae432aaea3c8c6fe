"""Turn benchmark: salescoach's turns against the floor's, in one run, on one machine.

The floor (bench/floor.py) does only what no turn can avoid on the same stack (FastAPI,
SQLAlchemy, the same database): check a bearer token, read the session row, insert two turn
rows, commit. Both apps run as real uvicorn servers (uvloop, httptools) on loopback, each on a
fresh migrated database; phases alternate between them so background load hits both alike,
and the ratio in the same run is the figure that counts.

- p50 latency: 1 client, sequential turns (`POST /api/v1/sessions/{id}/turns`, JSON).
- throughput: 16 clients, each with its own sessions, for a few seconds; turns/s.
- on SQLite (a temporary file) and on PostgreSQL (a throwaway database on the server of
  SALESCOACH_TEST_PG_URL; skipped with a note when none answers).
- the LLM path: 30 turns per session (one en, one zh) against a fake OpenAI-compatible model
  on loopback that counts requests and prompt tokens (o200k_base when `bpe-openai` is
  installed, else an estimate that says so).
- memory: the salescoach server's RSS before and after 1,000 more sessions of 2 turns.

Sessions are capped at 30 turns (a practice call), then the client moves to a fresh one
created before the timed phase. Every answer other than 200/201 counts as an error.
Prints figures only; nothing is asserted.

    .venv/bin/python bench/turns.py [--seconds 4] [--rounds 2] [--no-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.llm import fake_openai  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
PASSWORD = "bench-password"
PG_URL = os.environ.get("SALESCOACH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SESSION_TURNS = 30
CLIENTS = 16
# Same server options as `salescoach serve` (app/cli.py), minus the access log for both apps.
UVICORN = ["--loop", "uvloop", "--http", "httptools", "--no-proxy-headers"]
UVICORN += ["--log-level", "warning", "--no-access-log"]

PERSONAS = {"en": "karen-education", "zh": "liu-retail"}
TEXTS = {
    "en": [
        "Hi Karen, I'm Sam from Brightpath. We help schools cut admin time. Do you have two minutes?",
        "How do you plan timetables today?",
        "What tools does your team use for that?",
        "What is the hardest part of that process?",
        "What happens when a timetable changes late?",
        "How does that affect your teachers?",
        "If changes took minutes instead of hours, what would that mean for you?",
        "How many staff work on scheduling?",
        "What else slows your team down?",
        "How do parents hear about changes?",
        "What does a late change cost you in a term?",
        "How would it help if parents were told automatically?",
        "Who else is involved when the plan changes?",
        "What did you try before to fix that?",
        "How do you report attendance to the district?",
        "Where does the attendance data come from?",
        "What goes wrong with those reports?",
        "How much time do the reports take each month?",
        "What would you do with that time back?",
        "How are substitute teachers booked?",
        "What happens when no substitute is found?",
        "How do students feel when a class is cancelled?",
        "Which part of the week is the busiest for your office?",
        "How do you share rooms between departments?",
        "What does a double booking lead to?",
        "How important is it to fix this before next term?",
        "Who signs off on a new system?",
        "What budget cycle do you work to?",
        "How did the last system rollout go?",
        "What would a good first month look like for you?",
    ],
    "zh": [
        "刘总您好，我是明远科技的小王，我们帮零售门店减少缺货，能占用您两分钟吗？",
        "您现在门店的补货是怎么安排的？",
        "平时用什么系统管理库存？",
        "补货过程中最头疼的是哪一块？",
        "缺货的时候会带来什么影响？",
        "这对门店的销售额影响有多大？",
        "如果补货能提前一周预判，对您意味着什么？",
        "现在有多少人负责补货？",
        "还有哪些环节比较花时间？",
        "总部和门店之间怎么沟通库存情况？",
        "去年因为缺货大概损失了多少？",
        "如果系统能自动提醒补货，会有什么帮助？",
        "做采购决定的时候还有谁参与？",
        "之前有没有试过别的办法？",
        "门店的销售数据是怎么汇总的？",
        "促销活动前是怎么备货的？",
        "促销期间最常出什么问题？",
        "临期商品一般怎么处理？",
        "这部分损耗每个月大概有多少？",
        "如果损耗能减半，您会把省下的钱用在哪里？",
        "新开门店的时候库存是怎么铺的？",
        "店长们对现在的流程有什么意见？",
        "供应商送货一般准时吗？",
        "送货延迟的时候门店怎么应对？",
        "顾客买不到东西会有什么反应？",
        "这件事在您今年的工作里排第几位？",
        "换系统的话一般由谁拍板？",
        "你们的预算是按季度还是按年定的？",
        "上一次换系统的经历怎么样？",
        "如果先在一家门店试用，您希望看到什么结果？",
    ],
}


# ---------------------------------------------------------------- a lean HTTP/1.1 client


class Http:
    """One keep-alive connection; cheaper than a full client, so the servers get the CPU."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, *, form: str | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        payload = (
            form.encode()
            if form is not None
            else (json.dumps(body).encode() if body is not None else b"")
        )
        kind = "application/x-www-form-urlencoded" if form is not None else "application/json"
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n"
        head += f"Content-Type: {kind}\r\nAccept: application/json\r\n"
        if self.token:
            head += f"Authorization: Bearer {self.token}\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        status = int((await self.reader.readline()).split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            data = b""
            while size := int((await self.reader.readline()).strip(), 16):
                data += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


# ---------------------------------------------------------------- servers and databases


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    db_url: str
    user_id: int
    token: str = ""
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (id, language)

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process (all its threads) so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def seed_user(db_url: str) -> int:
    from app.auth import service as auth_service
    from app.db import create_engine, create_sessionmaker

    async def work() -> int:
        engine = create_engine(db_url)
        try:
            async with create_sessionmaker(engine)() as db:
                user = await auth_service.create_user(
                    db, username="bench", password=PASSWORD, role="rep"
                )
                await db.commit()
                return user.id
        finally:
            await engine.dispose()

    return asyncio.run(work())


def start(name: str, app: str, db_url: str, env: dict[str, str] | None = None) -> Server:
    from app.migrate import upgrade

    upgrade(db_url)
    user_id = seed_user(db_url)
    port = free_port()
    environ = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": db_url,
        "SALESCOACH_SECRET_KEY": SECRET,
        "SALESCOACH_ENVIRONMENT": "production",
        "SALESCOACH_LLM": "scripted",
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), *UVICORN]
    process = subprocess.Popen(cmd, cwd=ROOT, env=environ)
    server = Server(name, port, process, db_url, user_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return server


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def databases(kind: str) -> Iterator[tuple[str, str] | None]:
    """A fresh (salescoach, floor) pair of database URLs; None when PostgreSQL does not answer."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield (f"sqlite+aiosqlite:///{tmp}/app.db", f"sqlite+aiosqlite:///{tmp}/floor.db")
        return
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:
        print(f"note: PostgreSQL skipped: no server answers at {PG_URL} ({type(exc).__name__})")
        yield None
        return
    names = [f"bench_{uuid.uuid4().hex[:10]}_{part}" for part in ("app", "floor")]
    base = PG_URL.replace("postgresql://", "postgresql+asyncpg://", 1).rpartition("/")[0]
    for name in names:
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        yield (f"{base}/{names[0]}", f"{base}/{names[1]}")
    finally:
        for name in names:
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ---------------------------------------------------------------- sessions


async def sign_in(server: Server) -> None:
    if server.name == "floor":
        from app.auth.security import create_token

        server.token = create_token(server.user_id, "rep", SECRET, 60)
        return
    http = Http(server.port)
    status, body = await http.request(
        "POST", "/api/v1/auth/token", form=f"username=bench&password={PASSWORD}"
    )
    await http.close()
    if status != 200:
        raise SystemExit(f"sign-in failed on {server.name}: {status} {body[:200]!r}")
    server.token = json.loads(body)["access_token"]


async def new_sessions(server: Server, count: int) -> list[tuple[str, str]]:
    """`count` fresh sessions, alternating en and zh personas."""
    languages = [("en", "zh")[i % 2] for i in range(count)]
    if server.name == "floor":
        return await _floor_sessions(server, languages)
    out: list[tuple[str, str]] = []

    async def worker(share: list[str]) -> None:
        http = Http(server.port, server.token)
        for language in share:
            body = {"persona_id": PERSONAS[language], "scenario": "discovery"}
            status, data = await http.request("POST", "/api/v1/sessions", body)
            if status != 201:
                raise SystemExit(f"session not created: {status} {data[:200]!r}")
            out.append((json.loads(data)["id"], language))
        await http.close()

    await asyncio.gather(*(worker(languages[i::8]) for i in range(8)))
    return out


async def _floor_sessions(server: Server, languages: list[str]) -> list[tuple[str, str]]:
    from app.db import create_engine, create_sessionmaker, utcnow
    from app.roleplay.models import PracticeSession

    engine = create_engine(server.db_url)
    out = [(str(uuid.uuid4()), language) for language in languages]
    try:
        async with create_sessionmaker(engine)() as db:
            for session_id, language in out:
                db.add(
                    PracticeSession(
                        id=session_id,
                        rep_id=server.user_id,
                        persona_id=PERSONAS[language],
                        persona={},
                        scenario="discovery",
                        language=language,
                        status="active",
                        engine="floor",
                        state={},
                        created_at=utcnow(),
                    )
                )
            await db.commit()
    finally:
        await engine.dispose()
    return out


# ---------------------------------------------------------------- phases


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    turns: int = 0
    errors: list[str] = field(default_factory=list)
    ended: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0  # the server's CPU seconds during the phase


async def talk(
    server: Server, sessions: list[tuple[str, str]], tally: Tally, deadline: float, limit: int
) -> None:
    """Turns, one at a time, through `sessions` (30 each at most) until the deadline or limit."""
    http = Http(server.port, server.token)
    try:
        for session_id, language in sessions:
            for i in range(SESSION_TURNS):
                if time.perf_counter() >= deadline or tally.turns >= limit:
                    return
                text = TEXTS[language][i % len(TEXTS[language])]
                started = time.perf_counter()
                try:
                    status, data = await http.request(
                        "POST", f"/api/v1/sessions/{session_id}/turns", {"text": text}
                    )
                except (OSError, asyncio.IncompleteReadError) as exc:
                    tally.errors.append(type(exc).__name__)
                    await http.close()
                    continue
                tally.latencies.append(time.perf_counter() - started)
                if status != 200:
                    tally.errors.append(f"{status} {data[:120]!r}")
                    continue
                tally.turns += 1
                if json.loads(data).get("status") == "ended":
                    tally.ended += 1
                    break
        tally.errors.append("ran out of sessions")
    finally:
        await http.close()


async def phase(server: Server, clients: int, seconds: float, limit: int) -> Tally:
    # Enough sessions for `limit` turns, or for 1,000 turns/s over `seconds`, whichever is less.
    turns = min(limit, seconds * 1000)
    per_client = int(turns / clients / SESSION_TURNS) + 2
    pool = await new_sessions(server, clients * per_client)
    tally = Tally()
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(talk(server, pool[i::clients], tally, deadline, limit) for i in range(clients))
    )
    tally.elapsed = time.perf_counter() - started
    tally.cpu = server.cpu_seconds() - cpu
    return tally


async def warm_up(server: Server) -> None:
    await sign_in(server)
    await phase(server, 1, 30, 20)
    await phase(server, CLIENTS, 1.0, 200)


def p50_ms(tally: Tally) -> float:
    return statistics.median(tally.latencies) * 1000


@dataclass
class Figures:
    rate: dict[str, list[float]] = field(default_factory=dict)
    p50: dict[str, list[float]] = field(default_factory=dict)
    p95: dict[str, list[float]] = field(default_factory=dict)
    cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # server CPU per turn
    cpu1_ms: dict[str, list[float]] = field(default_factory=dict)  # the same, 1 client
    errors: dict[str, list[str]] = field(default_factory=dict)
    ended: dict[str, int] = field(default_factory=dict)


async def compare(
    servers: list[Server], rounds: int, seconds: float, latency_turns: int
) -> Figures:
    figures = Figures()
    for server in servers:
        await warm_up(server)
    for round_ in range(rounds):
        order = servers if round_ % 2 == 0 else servers[::-1]
        for server in order:
            single = await phase(server, 1, 60, latency_turns)
            many = await phase(server, CLIENTS, seconds, 1_000_000)
            ms = sorted(t * 1000 for t in single.latencies)
            figures.p50.setdefault(server.name, []).append(statistics.median(ms))
            figures.p95.setdefault(server.name, []).append(ms[int(0.95 * (len(ms) - 1))])
            figures.rate.setdefault(server.name, []).append(many.turns / many.elapsed)
            figures.cpu_ms.setdefault(server.name, []).append(many.cpu / many.turns * 1000)
            figures.cpu1_ms.setdefault(server.name, []).append(single.cpu / single.turns * 1000)
            errors = figures.errors.setdefault(server.name, [])
            errors += [e for e in single.errors + many.errors if e != "ran out of sessions"]
            figures.ended[server.name] = (
                figures.ended.get(server.name, 0) + single.ended + many.ended
            )
    return figures


async def memory(server: Server, sessions: int) -> tuple[float, float]:
    """RSS in MiB before and after `sessions` more sessions of 2 turns each."""
    before = server.rss_mib()
    done = 0

    async def worker(count: int) -> None:
        nonlocal done
        http = Http(server.port, server.token)
        for i in range(count):
            language = ("en", "zh")[i % 2]
            body = {"persona_id": PERSONAS[language], "scenario": "discovery"}
            status, data = await http.request("POST", "/api/v1/sessions", body)
            if status != 201:
                raise SystemExit(f"session not created: {status} {data[:200]!r}")
            session_id = json.loads(data)["id"]
            for text in TEXTS[language][:2]:
                await http.request("POST", f"/api/v1/sessions/{session_id}/turns", {"text": text})
            done += 1
        await http.close()

    await asyncio.gather(*(worker(sessions // CLIENTS) for _ in range(CLIENTS)))
    await worker(sessions - done)
    return before, server.rss_mib()


# ---------------------------------------------------------------- the LLM path


class FakeModel:
    """An OpenAI-compatible chat endpoint on loopback that counts requests and prompt tokens."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # prompt tokens of each request
        self.tokenizer = "o200k_base"
        try:
            import bpe_openai

            encoding = bpe_openai.get_encoding("o200k_base")
            self.count = lambda text: len(encoding.encode(text))
        except ImportError:
            self.tokenizer = "estimate: chars/4, 1 per CJK char (install .[bench] for o200k_base)"
            self.count = _estimate_tokens
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                # 3 tokens of framing per message, as OpenAI counts chat prompts.
                model.calls.append(
                    sum(3 + model.count(str(m.get("content", ""))) for m in request["messages"]) + 3
                )
                if request.get("stream"):
                    body = fake_openai.sse_body(["Mm, ", "fair question. ", "Go on."]).encode()
                    kind = "text/event-stream"
                else:
                    body = json.dumps(fake_openai.completion_json('{"items": []}')).encode()
                    kind = "application/json"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _estimate_tokens(text: str) -> int:
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return cjk + (len(text) - cjk + 3) // 4


@dataclass
class LLMRun:
    calls: list[int]  # per turn
    tokens: list[int]  # prompt tokens per turn
    ms: list[float]
    errors: list[str]


async def llm_session(server: Server, model: FakeModel, language: str) -> LLMRun:
    http = Http(server.port, server.token)
    body = {"persona_id": PERSONAS[language], "scenario": "discovery"}
    status, data = await http.request("POST", "/api/v1/sessions", body)
    if status != 201:
        raise SystemExit(f"session not created: {status} {data[:200]!r}")
    session_id = json.loads(data)["id"]
    run = LLMRun([], [], [], [])
    for i in range(SESSION_TURNS):
        seen = len(model.calls)
        text = TEXTS[language][i % len(TEXTS[language])]
        started = time.perf_counter()
        status, data = await http.request(
            "POST", f"/api/v1/sessions/{session_id}/turns", {"text": text}
        )
        run.ms.append((time.perf_counter() - started) * 1000)
        if status != 200:
            run.errors.append(f"{status} {data[:120]!r}")
        new = model.calls[seen:]
        run.calls.append(len(new))
        run.tokens.append(sum(new))
    await http.close()
    return run


# ---------------------------------------------------------------- the report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average {load} at the end"
    )


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rows_for(db: str, f: Figures) -> list[str]:
    app, floor = "salescoach", "floor"
    rate_ratio = med(f.rate[app]) / med(f.rate[floor])
    p50_ratio = med(f.p50[app]) / med(f.p50[floor])
    errors = len(f.errors[app]) + len(f.errors[floor])
    return [
        f"| {db}: turns/s, {CLIENTS} clients each with its own session | "
        f"{med(f.rate[app]):.0f} | {med(f.rate[floor]):.0f} | {rate_ratio:.2f} |",
        f"| {db}: p50 latency, 1 client | {med(f.p50[app]):.1f} ms | "
        f"{med(f.p50[floor]):.1f} ms | {p50_ratio:.2f} |",
        f"| {db}: p95 latency, 1 client | {med(f.p95[app]):.1f} ms | "
        f"{med(f.p95[floor]):.1f} ms | {med(f.p95[app]) / med(f.p95[floor]):.2f} |",
        f"| {db}: server CPU per turn, {CLIENTS} clients | {med(f.cpu_ms[app]):.2f} ms | "
        f"{med(f.cpu_ms[floor]):.2f} ms | {med(f.cpu_ms[app]) / med(f.cpu_ms[floor]):.2f} |",
        f"| {db}: server CPU per turn, 1 client | {med(f.cpu1_ms[app]):.2f} ms | "
        f"{med(f.cpu1_ms[floor]):.2f} ms | {med(f.cpu1_ms[app]) / med(f.cpu1_ms[floor]):.2f} |",
        f"| {db}: errors | {len(f.errors[app])} | {len(f.errors[floor])} | "
        f"{'none' if not errors else 'printed above'} |",
    ]


def arun(coro: Any) -> Any:
    """Run a coroutine on uvloop (as the servers do) when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def run_db(kind: str, args: argparse.Namespace) -> tuple[list[str], Figures | None]:
    with databases(kind) as urls:
        if urls is None:
            return [f"| {kind}: skipped (no server answers) | | | |"], None
        servers = [
            start("salescoach", "app.main:create_app", urls[0]),
            start("floor", "bench.floor:create_app", urls[1]),
        ]
        try:
            figures = arun(compare(servers, args.rounds, args.seconds, args.latency_turns))
            for server in servers:
                for error in sorted(set(figures.errors[server.name]))[:5]:
                    print(f"error on {server.name} ({kind}): {error}")
            if kind == "sqlite" and args.sessions:
                before, after = arun(memory(servers[0], args.sessions))
                args.memory = (before, after, servers[1].rss_mib())
            return rows_for(kind, figures), figures
        finally:
            for server in servers:
                stop(server)


def run_llm() -> tuple[list[LLMRun], FakeModel]:
    model = FakeModel()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "SALESCOACH_LLM": "openai:gpt-4o-mini",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{model.port}/v1",
            "OPENAI_API_KEY": "sk-bench",
        }
        server = start(
            "salescoach", "app.main:create_app", f"sqlite+aiosqlite:///{tmp}/llm.db", env
        )

        async def sessions() -> list[LLMRun]:
            await sign_in(server)
            await llm_session(server, model, "en")  # warm-up
            return [await llm_session(server, model, lang) for lang in ("en", "zh")]

        try:
            runs: list[LLMRun] = arun(sessions())
        finally:
            stop(server)
            model.server.shutdown()
    return runs, model


def llm_rows(runs: list[LLMRun], model: FakeModel) -> list[str]:
    lines = []
    for language, run in zip(("en", "zh"), runs, strict=True):
        t = run.tokens
        lines.append(
            f"| LLM ({language}): calls per turn over {SESSION_TURNS} turns | "
            f"{min(run.calls)}-{max(run.calls)} | | |"
        )
        lines.append(
            f"| LLM ({language}): prompt tokens at turn 1 / 6 / 12 / 18 / 24 / 30 | "
            f"{t[0]} / {t[5]} / {t[11]} / {t[17]} / {t[23]} / {t[29]} | | "
            f"30/12: {t[29] / t[11]:.2f} |"
        )
        lines.append(
            f"| LLM ({language}): our p50 per turn (the model answers at once) | "
            f"{statistics.median(run.ms):.1f} ms | | |"
        )
        if run.errors:
            lines.append(f"| LLM ({language}): errors | {len(run.errors)}: {run.errors[0]} | | |")
    lines.append(f"| LLM prompt tokens counted with | {model.tokenizer} | | |")
    return lines


def report(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    rows: list[str] = []
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and args.no_pg:
            rows.append("| postgresql: skipped (--no-pg) | | | |")
            continue
        rows += run_db(kind, args)[0]
    if args.memory:
        before, after, floor = args.memory
        rows.append(
            f"| memory (RSS) after {args.sessions:,} more sessions of 2 turns | "
            f"{after:.0f} MiB (from {before:.0f}) | {floor:.0f} MiB | |"
        )
    if not args.no_llm:
        runs, model = run_llm()
        rows += llm_rows(runs, model)
    print()
    print(
        f"turn benchmark, median of {args.rounds} rounds, {args.seconds:g} s per throughput phase"
    )
    print(f"machine: {machine()}")
    print()
    print("| | salescoach | floor | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(row)
    print()
    print(f"(bench ran {time.perf_counter() - began:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per throughput phase")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per database")
    parser.add_argument("--latency-turns", type=int, default=150, help="turns for the p50")
    parser.add_argument("--sessions", type=int, default=1000, help="for the memory figure")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-llm", action="store_true")
    args = parser.parse_args()
    args.memory = None
    report(args)


if __name__ == "__main__":
    main()
