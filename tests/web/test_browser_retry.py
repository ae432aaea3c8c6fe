"""Missed opportunities and trying a turn again, in a real browser (see test_browser.py)."""

from __future__ import annotations

import pytest

from tests.web.test_browser import (
    REP,
    TRAINER,
    LiveServer,
    PageErrors,
    api_practice,
    browser,  # noqa: F401 - a fixture
    live_server,  # noqa: F401 - a fixture
    log_in,
    new_page,
    shoot,
)

pytestmark = pytest.mark.browser

# Morgan names a problem at #4; the rep moves on without asking what it costs.
SCRIPT = [
    "Hi Morgan, thanks for the time today. How was the Series C celebration?",
    "What's the hardest part of spotting unhappy accounts early?",
    "How many customer success managers do you have?",
]


async def test_rep_sees_missed_opportunities_and_tries_a_turn_again(
    browser: object,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
) -> None:
    errors = PageErrors()
    original = api_practice(live_server, SCRIPT)
    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1280, "height": 900})
    await log_in(page, live_server, REP)
    await page.goto(f"{live_server.url}/practice/{original}/summary")

    missed = page.get_by_test_id("missed-opportunities")
    await missed.wait_for()
    item = missed.locator('[data-testid="missed-opportunity"][data-kind="problem_not_explored"]')
    assert await item.count() == 1
    text = await item.inner_text()
    assert "We usually find out an account is unhappy" in text and "Better question" in text
    # The opportunity links to the customer turn it builds on.
    await item.locator('a[href="#turn-4"]').click()
    assert await page.locator("#turn-4.turn-customer").is_visible()
    await item.scroll_into_view_if_needed()
    await shoot(page, "summary-missed-opportunities")

    # Try again from the rep turn after it: a new live session holding turns #1-#4.
    await item.get_by_test_id("retry-here").click()
    await page.wait_for_url(f"{live_server.url}/practice/*")
    retry_id = page.url.rsplit("/", 1)[-1]
    assert retry_id != original
    transcript = page.get_by_test_id("transcript")
    assert await transcript.locator(".turn").count() == 4
    box = page.locator('textarea[name="text"]')
    await box.fill("When an account leaves without warning, what does that do to your revenue?")
    await box.press("Enter")
    await page.locator("#turn-6.turn-customer:not(:has(.streaming))").wait_for()
    reply = await page.locator("#turn-6 .text").inner_text()
    assert "$4M" in reply  # the consequence, earned by the implication question this time
    await shoot(page, "retry-chat")

    await page.get_by_test_id("finish").click()
    await page.wait_for_url(f"{live_server.url}/practice/{retry_id}/summary")
    assert await page.get_by_test_id("retry-of").is_visible()
    kinds = page.locator('[data-testid="missed-opportunity"]')
    assert "problem_not_explored" not in [
        await kinds.nth(i).get_attribute("data-kind") for i in range(await kinds.count())
    ]
    await shoot(page, "retry-summary")

    # The original's summary shows the retry beside it, and both fit a phone.
    phone = await new_page(browser, errors, viewport={"width": 390, "height": 844}, locale="en-US")
    await log_in(phone, live_server, REP)
    await phone.goto(f"{live_server.url}/practice/{original}/summary")
    retries = phone.get_by_test_id("retries")
    await retries.wait_for()
    assert "what does that do to your revenue" in (await retries.inner_text())
    overflow = await phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    await shoot(phone, "summary-retries-phone")
    assert errors.messages == []


async def test_trainer_sees_retries_beside_their_original(
    browser: object,  # noqa: F811
    live_server: LiveServer,  # noqa: F811
) -> None:
    errors = PageErrors()
    original = api_practice(live_server, SCRIPT)
    rep = await new_page(browser, errors, locale="en-US")
    await log_in(rep, live_server, REP)
    await rep.goto(f"{live_server.url}/practice/{original}/summary")
    await rep.select_option("#retry-from", "3")
    await rep.get_by_test_id("retry-form").locator('button[type="submit"]').click()
    await rep.wait_for_url(f"{live_server.url}/practice/*")
    retry_id = rep.url.rsplit("/", 1)[-1]
    assert await rep.get_by_test_id("transcript").locator(".turn").count() == 2

    page = await new_page(browser, errors, locale="en-US", viewport={"width": 1280, "height": 900})
    await log_in(page, live_server, TRAINER)
    await page.goto(f"{live_server.url}/review")
    rows = page.get_by_test_id("session-list").locator("tr[data-session]")
    ids = [await rows.nth(i).get_attribute("data-session") for i in range(await rows.count())]
    assert ids.index(retry_id) == ids.index(original) + 1
    assert "Retry from #3" in await rows.nth(ids.index(retry_id)).inner_text()
    await shoot(page, "review-list-retries")

    await page.goto(f"{live_server.url}/review/sessions/{original}")
    panel = page.get_by_test_id("retries")
    await panel.wait_for()
    assert "From #3" in await panel.inner_text()
    await panel.get_by_role("link", name="Open the retry").click()
    await page.wait_for_url(f"{live_server.url}/review/sessions/{retry_id}")
    assert await page.get_by_test_id("retry-of").is_visible()
    await page.goto(f"{live_server.url}/review/sessions/{original}")
    await page.get_by_test_id("retries").scroll_into_view_if_needed()
    await shoot(page, "review-session-retries")
    assert errors.messages == []
