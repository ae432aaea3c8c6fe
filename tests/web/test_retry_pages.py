"""Missed opportunities on the summary page, trying a turn again, retries on the review pages."""

from __future__ import annotations

import html
import re

import httpx

from tests.conftest import Account
from tests.web.test_pages import api_turn, form_token, sign_in, start_session

# Morgan: the customer names a problem at #4, the rep never asks what it costs.
SCRIPT = [
    "Hi Morgan, thanks for the time today. How was the Series C celebration?",
    "What's the hardest part of spotting unhappy accounts early?",
    "How many customer success managers do you have?",
]
PROBLEM = "We usually find out an account is unhappy only when they tell us they're not renewing"


async def played(client: httpx.AsyncClient) -> str:
    sid = await start_session(client, "morgan-saas", "discovery")
    for text in SCRIPT:
        r = await api_turn(client, sid, text)
        assert r.status_code == 200, r.text
    return sid


async def test_summary_lists_missed_opportunities_with_a_better_question_and_retries(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    sid = await played(client)
    page = await client.get(f"/practice/{sid}/summary")
    assert page.status_code == 200
    assert 'data-testid="missed-opportunities"' in page.text
    items = re.findall(
        r'data-testid="missed-opportunity" data-kind="(\w+)" data-turn="(\d+)"', page.text
    )
    assert ("problem_not_explored", "4") in items
    assert PROBLEM in html.unescape(page.text) and 'href="#turn-4"' in page.text
    assert "Better question" in page.text and "Try again from here (#5)" in page.text

    # Try again from #5: the rep lands in a new chat holding turns #1-#4.
    r = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "5", "csrf_token": form_token(client)}
    )
    assert r.status_code == 303
    new_id = r.headers["location"].rsplit("/", 1)[-1]
    assert new_id != sid
    chat = await client.get(f"/practice/{new_id}")
    assert chat.status_code == 200
    assert len(re.findall(r'id="turn-\d+"', chat.text)) == 4 and SCRIPT[2] not in chat.text
    r = await api_turn(client, new_id, "What does that cost you at renewal time?")
    assert r.status_code == 200 and r.json()["rep_turn"]["seq"] == 5

    # The original's summary shows the retry beside it; the retry's summary links back.
    original = await client.get(f"/practice/{sid}/summary")
    assert (
        'data-testid="retries"' in original.text and f"/practice/{new_id}/summary" in original.text
    )
    assert "What does that cost you at renewal time?" in original.text  # the retried turn
    assert SCRIPT[2] in original.text  # beside what was said the first time
    again = await client.get(f"/practice/{new_id}/summary")
    assert 'data-testid="retry-of"' in again.text and f"/practice/{sid}/summary" in again.text


async def test_the_summary_in_chinese_names_the_missed_opportunities_in_chinese(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    await client.post(
        "/language", data={"lang": "zh", "csrf_token": form_token(client), "next": "/"}
    )
    sid = await start_session(client, "chen-logistics", "discovery")
    for text in ("陈总您好,最近忙吗?", "咱们现在排线是怎么安排的?", "排线这块最让您头疼的是什么?"):
        assert (await api_turn(client, sid, text)).status_code == 200
    page = await client.get(f"/practice/{sid}/summary")
    assert "错过的机会" in page.text and "难点没有展开" in page.text and "更好的问法" in page.text


async def test_retry_forms_refuse_a_bad_turn_a_missing_token_and_other_reps(
    client: httpx.AsyncClient, rep: Account, other_rep: Account
) -> None:
    await sign_in(client, rep)
    sid = await played(client)
    bad = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "4", "csrf_token": form_token(client)}
    )
    assert bad.status_code == 303 and bad.headers["location"] == f"/practice/{sid}/summary"
    junk = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "x", "csrf_token": form_token(client)}
    )
    assert junk.status_code == 303 and junk.headers["location"].endswith("/summary")
    no_token = await client.post(f"/practice/{sid}/retry", data={"from_seq": "3"})
    assert no_token.status_code == 403
    await client.post("/logout", data={"csrf_token": form_token(client)})
    await sign_in(client, other_rep)
    theirs = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "3", "csrf_token": form_token(client)}
    )
    assert theirs.status_code == 404


async def test_review_pages_show_retries_beside_their_original(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    await sign_in(client, rep)
    sid = await played(client)
    r = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "3", "csrf_token": form_token(client)}
    )
    new_id = r.headers["location"].rsplit("/", 1)[-1]
    await api_turn(client, new_id, "What does a surprise churn do to your quarter?")
    await client.post("/logout", data={"csrf_token": form_token(client)})
    await sign_in(client, trainer)
    listing = await client.get("/review")
    rows = re.findall(r'<tr data-session="([\w-]+)"', listing.text)
    assert rows.index(new_id) == rows.index(sid) + 1  # right under its original
    assert "Retry from #3" in listing.text
    review = await client.get(f"/review/sessions/{sid}")
    assert 'data-testid="retries"' in review.text and f"/review/sessions/{new_id}" in review.text
    assert "What does a surprise churn do to your quarter?" in review.text
    retried = await client.get(f"/review/sessions/{new_id}")
    assert 'data-testid="retry-of"' in retried.text and f"/review/sessions/{sid}" in retried.text
    # Trainers read retries; they do not start them.
    r = await client.post(
        f"/practice/{sid}/retry", data={"from_seq": "3", "csrf_token": form_token(client)}
    )
    assert r.status_code == 404
