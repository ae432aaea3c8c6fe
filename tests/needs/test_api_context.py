"""Through the API: a goodbye ends the call and saves its records; public facts land in context."""

from __future__ import annotations

import httpx

from tests.conftest import Account
from tests.roleplay.test_api import start, turn


async def test_goodbye_ends_the_session_and_saves_its_records(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep, "morgan-saas", "discovery")
    assert (
        await turn(client, rep, sid, "Hi Morgan, thanks for making the time.")
    ).status_code == 200
    r = await turn(client, rep, sid, "Who signs off on a purchase like this?")
    assert r.status_code == 200
    public_seq = r.json()["customer_turn"]["seq"]
    assert "CFO" in r.json()["customer_turn"]["text"]
    r = await turn(client, rep, sid, "Thanks Morgan, that's all for today. Talk soon, bye!")
    assert r.status_code == 200
    assert r.json()["rep_turn"]["coaching"]["signals"]["goodbye"] is True
    assert r.json()["status"] == "ended"
    session = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert session["status"] == "ended" and session["scorecard"] is not None
    context = session["needs_record"]["context"]
    assert [(c["topic"], c["turn_seq"]) for c in context] == [("decision_process", public_seq)]
    assert "CFO" in context[0]["text"]
    assert (await turn(client, rep, sid, "One more thing?")).status_code == 409


async def test_summary_page_shows_the_buying_context(
    client: httpx.AsyncClient, rep: Account
) -> None:
    import html

    from tests.web.test_pages import api_turn, sign_in, start_session

    await sign_in(client, rep)
    sid = await start_session(client, "chen-logistics", "discovery")
    assert (await api_turn(client, sid, "陈总您好,感谢您抽时间!")).status_code == 200
    r = await api_turn(client, sid, "这类采购一般是谁来拍板?")
    assert r.status_code == 200
    seq = r.json()["customer_turn"]["seq"]
    page = await client.get(f"/practice/{sid}/summary")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'class="row-context"' in page.text
    # The labels follow the UI language (English here), the quote the conversation.
    assert "Buying context" in text and "Decision process" in text and "总经理批" in text
    assert f'href="#turn-{seq}"' in page.text
