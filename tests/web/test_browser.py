"""The web UI in a real browser: Debian's chromium driven by playwright, against a real server.

A uvicorn subprocess serves a temporary, migrated SQLite database with a rep and a trainer.
Every page is checked for console errors and uncaught exceptions, and screenshotted under
test-output/screenshots/. Without /usr/bin/chromium the tests are skipped, unless
SALESCOACH_REQUIRE_BROWSER=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.auth import service as auth_service
from app.db import create_engine, create_sessionmaker
from app.migrate import upgrade

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
REP = ("rita", "rita-password-1", "rep")
TRAINER = ("tom", "tom-password-1", "trainer")


def _require_browser() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason is None:
        return
    if os.environ.get("SALESCOACH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (SALESCOACH_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db:
            for name, password, role in (REP, TRAINER):
                await auth_service.create_user(
                    db, username=name, password=password, role=role, team="north"
                )
            await db.commit()
    finally:
        await engine.dispose()


@dataclass
class LiveServer:
    url: str


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _require_browser()
    db_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('browser') / 'web.db'}"
    upgrade(db_url)
    # A thread of its own: the test session's event loop may already be running here.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed(db_url)).result()
    port = _free_port()
    env = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": db_url,
        "SALESCOACH_SECRET_KEY": "browser-test-secret-0123456789abcdef",
        "SALESCOACH_ENVIRONMENT": "test",
        "SALESCOACH_LLM": "scripted",
    }
    log = (tmp_path_factory.getbasetemp() / f"uvicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts slowly
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start; see {log.name}")
            time.sleep(0.2)
        yield LiveServer(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class PageErrors:
    messages: list[str] = field(default_factory=list)


@pytest.fixture
async def browser(live_server: LiveServer) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: object, errors: PageErrors, **context_args: object) -> object:
    context = await browser.new_context(**context_args)  # type: ignore[attr-defined]
    page = await context.new_page()
    page.on(
        "console",
        lambda m: errors.messages.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.messages.append(f"pageerror: {e}"))
    return page


async def shoot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


async def log_in(page: object, server: LiveServer, who: tuple[str, str, str]) -> None:
    await page.goto(f"{server.url}/login")  # type: ignore[attr-defined]
    await page.fill('input[name="username"]', who[0])  # type: ignore[attr-defined]
    await page.fill('input[name="password"]', who[1])  # type: ignore[attr-defined]
    await page.click('button[type="submit"].primary')  # type: ignore[attr-defined]
    await page.wait_for_url(f"{server.url}/")  # type: ignore[attr-defined]


def api_practice(server: LiveServer, texts: list[str]) -> str:
    """A rep's session made through the API (bearer token), for the trainer's tests."""
    with httpx.Client(base_url=server.url, timeout=30) as api:
        token = api.post("/api/v1/auth/token", data={"username": REP[0], "password": REP[1]})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = api.post(
            "/api/v1/sessions",
            json={"persona_id": "morgan-saas", "scenario": "discovery"},
            headers=headers,
        )
        session_id: str = created.json()["id"]
        for text in texts:
            assert (
                api.post(
                    f"/api/v1/sessions/{session_id}/turns", json={"text": text}, headers=headers
                ).status_code
                == 200
            )
        return session_id


async def test_rep_practises_a_conversation_and_reads_the_summary(
    browser: object, live_server: LiveServer
) -> None:
    errors = PageErrors()
    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1366, "height": 900})
    await page.goto(f"{live_server.url}/")
    assert "/login" in page.url
    await shoot(page, "login")
    await log_in(page, live_server, REP)

    personas = page.get_by_test_id("persona-list")
    await personas.wait_for()
    await shoot(page, "start")
    await page.check('input[name="scenario"][value="cold_call"]')
    await personas.locator('button[data-persona="morgan-saas"]').click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    session_id = page.url.rsplit("/", 1)[-1]

    streamed: list[str] = []
    page.on(
        "response",
        lambda r: (
            streamed.append(r.headers.get("content-type", "")) if r.url.endswith("/turns") else None
        ),
    )
    box = page.locator('textarea[name="text"]')
    transcript = page.get_by_test_id("transcript")

    # Shift+Enter breaks the line and sends nothing.
    await box.fill("Hi Morgan, this is Sam from Brightline.")
    await box.press("Shift+Enter")
    await box.type("We help SaaS teams spot churn early.")
    assert "\n" in await box.input_value()
    assert await transcript.locator(".turn").count() == 0

    await box.fill(
        "Hi Morgan, this is Sam from Brightline. We help SaaS companies spot churn risk before "
        "renewals. Do you have two minutes?"
    )
    await box.press("Enter")
    await page.get_by_test_id("coaching").first.wait_for()
    await transcript.locator(".turn-customer#turn-2:not(:has(.streaming))").wait_for()
    opener = page.locator("#opener-checklist li.met")
    assert await opener.count() >= 2  # the checklist ticked as the opener met its checks

    turns = [
        "How does your team track account health today?",
        "What happens when an account turns unhappy without warning?",
        "What did those surprise churns cost you last year?",
    ]
    for i, text in enumerate(turns, start=2):
        await box.fill(text)
        await box.press("Enter")
        await page.locator(f"#turn-{2 * i}.turn-customer:not(:has(.streaming))").wait_for()
        assert await page.get_by_test_id("coaching").count() == i
    assert streamed and all("text/event-stream" in c for c in streamed)
    assert await page.locator("#turn-4 .text").inner_text() != ""
    assert await page.locator("#spin-tracker li.reached").count() >= 2
    assert await page.locator("#spin-stage").inner_text() in ("Problem", "Implication")
    # The coaching chip carries its SPIN type's colour class.
    assert await page.locator("#turn-3 .coaching .chip.spin-situation").count() == 1
    await shoot(page, "chat")

    # A failing model: a clear message, then the same text sent again answers the turn.
    failures = {"left": 1}
    sent: list[str] = []

    async def fail_once(route: object) -> None:
        sent.append(route.request.post_data or "")  # type: ignore[attr-defined]
        if failures["left"]:
            failures["left"] -= 1
            await route.fulfill(  # type: ignore[attr-defined]
                status=502,
                content_type="application/json",
                body='{"detail": "the language model failed; send it again"}',
            )
        else:
            await route.continue_()  # type: ignore[attr-defined]

    await page.route("**/api/v1/sessions/*/turns", fail_once)
    await box.fill("If you saw churn risk a quarter earlier, what would that be worth to you?")
    await box.press("Enter")
    alert = page.locator("#chat-error")
    await alert.wait_for(state="visible")
    assert "language model failed" in await alert.inner_text()
    await shoot(page, "chat-error")
    await page.locator("#retry").click()
    await page.locator("#turn-10.turn-customer").wait_for()
    assert await alert.is_hidden()
    assert len(sent) == 2 and sent[0] == sent[1]
    await page.unroute("**/api/v1/sessions/*/turns")
    errors.messages = [m for m in errors.messages if "502" not in m]  # the failure we staged

    await page.get_by_test_id("finish").click()
    await page.wait_for_url(f"{live_server.url}/practice/{session_id}/summary")
    scorecard = page.get_by_test_id("scorecard")
    record = page.get_by_test_id("needs-record")
    assert await scorecard.is_visible() and await record.is_visible()
    assert await page.locator("svg.spin-timeline circle").count() == 5
    first_link = scorecard.locator('a[href^="#turn-"]').first
    if await first_link.count():
        target = (await first_link.get_attribute("href")) or ""
        assert await page.locator(target).count() == 1
    assert await page.locator('a[data-testid="export-markdown"]').get_attribute("href") == (
        f"/api/v1/sessions/{session_id}/export?format=markdown"
    )
    await shoot(page, "summary")

    # The phone layout: no sideways scrolling on the chat and summary pages.
    phone = await new_page(browser, errors, viewport={"width": 390, "height": 844}, locale="en-US")
    await log_in(phone, live_server, REP)
    for path, name in (("/", "start-phone"), (f"/practice/{session_id}/summary", "summary-phone")):
        await phone.goto(f"{live_server.url}{path}")
        overflow = await phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, path
        await shoot(phone, name)
    assert errors.messages == []


async def test_trainer_finds_the_session_and_comments_on_a_turn(
    browser: object, live_server: LiveServer
) -> None:
    session_id = api_practice(
        live_server,
        ["Hi Morgan, how was the conference?", "How many customer accounts do you run?"],
    )
    errors = PageErrors()
    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1366, "height": 900})
    await log_in(page, live_server, TRAINER)
    await page.goto(f"{live_server.url}/review")
    listing = page.get_by_test_id("session-list")
    row = listing.locator(f'tr[data-session="{session_id}"]')
    await row.wait_for()
    await shoot(page, "review-list")

    await page.select_option("#f-scenario", "cold_call")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**/review?*scenario=cold_call*")
    assert await listing.locator(f'tr[data-session="{session_id}"]').count() == 0
    await page.goto(f"{live_server.url}/review")

    await row.get_by_role("link").click()
    await page.wait_for_url(f"{live_server.url}/review/sessions/{session_id}")
    turn = page.locator("#turn-3")
    await turn.locator(".comment-box summary").click()
    await turn.locator('textarea[name="text"]').fill("Good situation question; now ask what hurts.")
    await turn.get_by_role("button").click()
    await page.wait_for_url(f"**/review/sessions/{session_id}?saved=3*")
    assert "Good situation question" in await page.locator("#turn-3 .comments").inner_text()
    await shoot(page, "review-session")

    await page.goto(f"{live_server.url}/review/team")
    assert await page.locator("table.team tbody tr", has_text=REP[0]).count() == 1
    await shoot(page, "team")

    await page.goto(f"{live_server.url}/review/personas")
    await page.fill("#persona-source", "id: x\nlanguage: de\n")
    await page.click("form.form-stack button.primary")
    errors_box = page.get_by_test_id("persona-errors")
    await errors_box.wait_for()
    assert "language" in await errors_box.inner_text()
    await shoot(page, "personas")
    assert errors.messages == []


async def test_language_switch_changes_the_ui_strings(
    browser: object, live_server: LiveServer
) -> None:
    errors = PageErrors()
    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1280, "height": 800})
    await page.goto(f"{live_server.url}/login")
    assert await page.locator("h1").inner_text() == "Sign in"
    await page.get_by_test_id("lang-zh").click()
    await page.wait_for_url(f"{live_server.url}/login")
    assert await page.locator("h1").inner_text() == "登录"
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await log_in(page, live_server, REP)
    assert await page.locator("h1").inner_text() == "开始一次对练"
    await page.locator('[data-testid="persona-list"] button[data-persona="chen-logistics"]').click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    assert await page.get_by_test_id("finish").inner_text() == "结束并查看总结"
    box = page.locator('textarea[name="text"]')
    await box.fill("您好陈总,最近华东快运的新分拨中心运转得怎么样?")
    await box.press("Enter")
    await page.get_by_test_id("coaching").first.wait_for()
    await page.locator("#turn-2.turn-customer").wait_for()
    await shoot(page, "chat-zh")
    await page.get_by_test_id("lang-en").click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    assert await page.get_by_test_id("finish").inner_text() == "Finish and see the summary"
    assert await page.get_attribute("html", "lang") == "en"
    # The conversation stays in the persona's language.
    assert await page.locator("#turn-2 .text").get_attribute("lang") == "zh-CN"
    assert errors.messages == []


async def test_trainer_corrects_the_coach_and_the_team_page_counts_agreement(
    browser: object, live_server: LiveServer
) -> None:
    session_id = api_practice(
        live_server, ["So what's the toughest part of keeping renewals on track today?"]
    )
    errors = PageErrors()
    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1280, "height": 900})
    await log_in(page, live_server, TRAINER)
    await page.goto(f"{live_server.url}/review/sessions/{session_id}")
    turn = page.locator("#turn-1")
    coach_spin = await turn.locator(".coaching .chip.spin").get_attribute("data-spin")
    other = "implication" if coach_spin != "implication" else "situation"
    await turn.locator(".label-box summary").click()
    await turn.locator('select[name="spin"]').select_option(other)
    await turn.locator('input[name="behaviour"][value="summary"]').check()
    await turn.locator(".label-form button[type=submit]").click()
    await page.wait_for_url(f"**/review/sessions/{session_id}?labelled=1*")
    label = page.locator("#turn-1").get_by_test_id("trainer-label")
    text = await label.inner_text()
    assert other.capitalize() in text and "Summary" in text
    # The coach's own reading stays beside the trainer's.
    assert await turn.locator(".coaching .chip.spin").get_attribute("data-spin") == coach_spin
    await shoot(page, "review-session-label")

    await page.goto(f"{live_server.url}/review/team")
    card = page.get_by_test_id("coach-agreement")
    assert "0%" in await card.inner_text()  # the one labelled turn disagreed on SPIN
    await page.set_viewport_size({"width": 390, "height": 844})
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await shoot(page, "team-agreement-phone")
    assert errors.messages == []
