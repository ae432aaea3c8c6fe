"""Layout in a real browser, at desktop (1280x900) and phone (390x844) size, in zh and en.

What a rep and a trainer see, not only what the HTML says: the newest reply sits inside the
viewport above the composer after 12 turns; an ended call offers no composer; no page scrolls
sideways on a phone; no snake_case identifier shows on any page. Every page is screenshotted
at both sizes into test-output/screenshots/.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.test_browser import (  # noqa: F401  (fixtures)
    REP,
    SCREENSHOTS,
    TRAINER,
    LiveServer,
    PageErrors,
    browser,
    live_server,
    new_page,
    shoot,
)

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
# A friendly persona per language, and rep turns that keep the customer talking.
CALLS = {
    "en": (
        "karen-education",
        [
            "Hi Karen, how has the start of the school year been for you?",
            "How do you keep track of the student laptops today?",
            "How many devices does the district look after now?",
            "What gets in the way when a laptop breaks?",
            "What happens in class when a student has no working laptop?",
            "How does that affect the teachers?",
            "What does the repair backlog cost the district each year?",
            "If you knew where every device was, what would that change for you?",
            "How would faster repairs help the schools?",
            "Who else would weigh in on a decision like this?",
            "I see. What would you want to see before going further?",
            "Could we meet next Tuesday at 10am to walk through it?",
        ],
    ),
    "zh": (
        "liu-retail",
        [
            "刘总您好,最近新店开得怎么样?",
            "现在门店的生鲜是怎么订货的?",
            "目前一共有多少家门店在用这套流程?",
            "生鲜损耗这块,哪些地方让您最头疼?",
            "损耗高的时候,对门店的利润有什么影响?",
            "这对店长和员工有什么影响?",
            "去年因为损耗大概多花了多少钱?",
            "如果损耗能降下来,对你们开新店意味着什么?",
            "如果订货能更准,对门店有什么帮助?",
            "这样的决定一般还有谁会参与?",
            "明白了。您希望先看到哪些内容?",
            "我们下周二上午十点见面详细聊一下可以吗?",
        ],
    ),
}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Visible text only: form values the user typed and code samples are not the page's words.
VISIBLE_TEXT = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "TEXTAREA", "CODE", "PRE", "TITLE"]);
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE || skip.has(node.tagName)) return;
    const style = getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") return;
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out.join(" ");
}"""


def api_call(server: LiveServer, language: str, turns: int) -> str:
    """A rep's session with `turns` rep turns, made through the API."""
    persona, texts = CALLS[language]
    with httpx.Client(base_url=server.url, timeout=30) as api:
        token = api.post("/api/v1/auth/token", data={"username": REP[0], "password": REP[1]})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = api.post(
            "/api/v1/sessions",
            json={"persona_id": persona, "scenario": "discovery", "difficulty": "easy"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        session_id: str = created.json()["id"]
        for text in texts[:turns]:
            answer = api.post(
                f"/api/v1/sessions/{session_id}/turns", json={"text": text}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "active", text
        return session_id


async def sign_in(page: object, server: LiveServer, who: tuple[str, str, str]) -> None:
    await page.goto(f"{server.url}/login")  # type: ignore[attr-defined]
    await page.fill('input[name="username"]', who[0])  # type: ignore[attr-defined]
    await page.fill('input[name="password"]', who[1])  # type: ignore[attr-defined]
    await page.click('button[type="submit"].primary')  # type: ignore[attr-defined]
    await page.wait_for_url(f"{server.url}/")  # type: ignore[attr-defined]


async def check_page(page: object, name: str, *, full_page: bool = True) -> None:
    """No sideways scrolling, no snake_case identifier in the visible text; a screenshot."""
    overflow = await page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{name} is {overflow}px wider than the window"
    text = await page.evaluate(VISIBLE_TEXT)  # type: ignore[attr-defined]
    assert SNAKE.findall(text) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)  # type: ignore[attr-defined]


async def newest_turn_is_in_view(page: object) -> None:
    turn = page.get_by_test_id("turn").last  # type: ignore[attr-defined]
    composer = page.get_by_test_id("composer")  # type: ignore[attr-defined]
    viewport = page.viewport_size  # type: ignore[attr-defined]
    box, bar = await turn.bounding_box(), await composer.bounding_box()
    assert box is not None and bar is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"] + 1, (box, bar)
    assert bar["y"] + bar["height"] <= viewport["height"] + 1, (bar, viewport)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_every_page_fits_and_the_newest_reply_is_in_view(
    browser: object,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    size: str,
    language: str,
) -> None:
    errors = PageErrors()
    tag = f"{language}-{size}"
    session_id = api_call(live_server, language, 11)
    page = await new_page(browser, errors, locale=LOCALES[language], viewport=SIZES[size])
    await page.goto(f"{live_server.url}/login")
    await check_page(page, f"login-{tag}")
    await sign_in(page, live_server, REP)
    await check_page(page, f"start-{tag}")

    await page.goto(f"{live_server.url}/practice/{session_id}")
    transcript = page.get_by_test_id("transcript")
    assert await transcript.get_by_test_id("turn").count() == 22
    await newest_turn_is_in_view(page)
    await check_page(page, f"chat-{tag}", full_page=False)

    box = page.locator('textarea[name="text"]')
    await box.fill(CALLS[language][1][11])
    await box.press("Enter")
    await page.locator("#transcript .typing").wait_for()
    newest = page.locator('#turn-24[data-speaker="customer"]:not(:has(.streaming))')
    await newest.wait_for()
    await newest_turn_is_in_view(page)
    assert await transcript.locator('[data-testid="turn"][data-speaker="rep"]').count() == 12
    await check_page(page, f"chat-12-turns-{tag}", full_page=False)

    await page.get_by_test_id("finish").click()
    await page.wait_for_url(f"{live_server.url}/practice/{session_id}/summary")
    await check_page(page, f"summary-{tag}")

    # An ended call: no composer to type into, the summary offered instead.
    await page.goto(f"{live_server.url}/practice/{session_id}")
    assert await page.locator('textarea[name="text"]:enabled:visible').count() == 0
    assert await page.get_by_test_id("composer").count() == 0
    assert await page.get_by_test_id("see-summary").is_visible()
    await check_page(page, f"chat-ended-{tag}", full_page=False)

    for path, name in (
        ("/prep", "prep"),
        ("/progress", "progress"),
        ("/account/password", "account-password"),
        ("/practice/no-such-session", "not-found"),
    ):
        await page.goto(f"{live_server.url}{path}")
        await check_page(page, f"{name}-{tag}")
    errors.messages = [m for m in errors.messages if "404" not in m]  # the page we asked for

    trainer = await new_page(browser, errors, locale=LOCALES[language], viewport=SIZES[size])
    await sign_in(trainer, live_server, TRAINER)
    for path, name in (
        ("/review", "review-list"),
        (f"/review/sessions/{session_id}", "review-session"),
        ("/review/team", "team"),
        ("/review/personas", "personas"),
    ):
        await trainer.goto(f"{live_server.url}{path}")
        await check_page(trainer, f"{name}-{tag}")
    await trainer.goto(f"{live_server.url}/review/personas?edit=karen-education")
    await shoot(trainer, f"personas-edit-{tag}")
    assert errors.messages == []


async def test_a_call_that_ends_closes_the_composer_and_offers_the_summary(
    browser: object,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
) -> None:
    errors = PageErrors()
    page = await new_page(browser, errors, locale="en-US", viewport=SIZES["phone"])
    await sign_in(page, live_server, REP)
    await page.check('input[name="difficulty"][value="hard"]')
    await page.locator('button[data-persona="priya-finance"]').click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    box = page.locator('textarea[name="text"]')
    pitch = "Our platform is the best on the market, it automates everything, buy it today."
    for _ in range(8):
        if not await box.is_visible():
            break
        await box.fill(pitch)
        await box.press("Enter")
        await page.locator("#transcript .turn-customer:last-child:not(:has(.streaming))").wait_for()
        await page.wait_for_function(
            "!document.getElementById('send') || !document.getElementById('send').disabled || document.getElementById('chat').dataset.status === 'ended'"
        )
    ended = page.get_by_test_id("call-ended")
    await ended.wait_for()
    assert await page.locator('textarea[name="text"]:enabled:visible').count() == 0
    assert await page.locator("#retry").is_hidden()
    await newest_turn_is_in_view_or_ended(page)
    await shoot(page, "chat-hung-up-en-phone")
    await page.get_by_test_id("see-summary").click()
    await page.wait_for_url("**/summary")
    assert await page.get_by_test_id("scorecard").is_visible()
    assert errors.messages == []


async def newest_turn_is_in_view_or_ended(page: object) -> None:
    turn = page.get_by_test_id("turn").last  # type: ignore[attr-defined]
    ended = page.get_by_test_id("call-ended")  # type: ignore[attr-defined]
    box, bar = await turn.bounding_box(), await ended.bounding_box()
    assert box is not None and bar is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"] + 1, (box, bar)


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh", "phone")])
async def test_the_prep_form_leads_to_a_practice_session(
    browser: object,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
    language: str,
    size: str,
) -> None:
    errors = PageErrors()
    tag = f"{language}-{size}"
    page = await new_page(browser, errors, locale=LOCALES[language], viewport=SIZES[size])
    await sign_in(page, live_server, REP)
    await page.get_by_test_id("prep-link").click()
    form = page.get_by_test_id("prep-form")
    await form.wait_for()
    en = language == "en"
    await form.locator('input[name="company"]').fill("Harbor Hotels" if en else "海港酒店集团")
    # A missing industry comes back as an error with what was typed kept (the server's own
    # check: the browser's `required` is switched off here).
    await page.evaluate("document.querySelector('[data-testid=prep-form]').noValidate = true")
    await form.locator('input[name="suspected_pains"]').first.fill(
        "housekeeping scheduling is manual" if en else "客房排班全靠手工"
    )
    await page.get_by_test_id("prep-submit").click()
    await page.get_by_test_id("prep-errors").wait_for()
    assert await form.locator('input[name="company"]').input_value() != ""
    await check_page(page, f"prep-errors-{tag}")
    await form.locator('input[name="industry"]').fill("hospitality" if en else "酒店")
    await form.locator('select[name="language"]').select_option(language)
    await form.locator('input[name="offering"]').fill(
        "a staff scheduling app" if en else "智能排班系统"
    )
    await form.locator('input[name="call_goal"]').fill(
        "book a 30-minute discovery meeting" if en else "约一次30分钟的需求沟通"
    )
    for dimension, points in (("industry", 18), ("pain_urgency", 22), ("decision_chain", 15)):
        await form.locator(f'input[name="priority.{dimension}"]').fill(str(points))
    await page.get_by_test_id("prep-submit").click()
    opener = page.get_by_test_id("prep-opener")
    await opener.wait_for()
    assert "55" in await page.get_by_test_id("prep-score").inner_text()
    if en:
        # The rep's clause reads as a clause, and its topic as a noun.
        assert "tell us that housekeeping scheduling is manual" in await opener.inner_text()
        questions = await page.get_by_test_id("prep-questions").inner_text()
        assert "handle housekeeping scheduling today?" in questions
    assert await page.locator("li", has_text="?").count() >= 3 or not en
    await check_page(page, f"prep-result-{tag}")
    await page.get_by_test_id("practise-now").click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    brief = page.get_by_test_id("call-brief")
    assert ("a staff scheduling app" if en else "智能排班系统") in await brief.inner_text()
    assert ("book a 30-minute discovery meeting" if en else "30分钟") in await brief.inner_text()
    assert await page.get_by_test_id("composer").is_visible()
    await check_page(page, f"chat-prep-{tag}", full_page=False)
    assert errors.messages == []
