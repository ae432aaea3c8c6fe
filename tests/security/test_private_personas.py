"""A rep's practice persona (from pre-meeting prep) is theirs alone, and admins'; persona cards
carry card fields only."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, add_account
from tests.prep.test_prep import FORM
from tests.web.test_pages import form_token, sign_in


async def prep_persona(client: httpx.AsyncClient, rep: Account) -> str:
    r = await client.post("/api/v1/prep", json={**FORM, "priority": {}}, headers=rep.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["persona_id"])


@pytest.fixture
async def outsider(app: object, client: httpx.AsyncClient) -> Account:
    """A trainer of another team."""
    return await add_account(app, "trainer-west", "trainer", "west")


@pytest.fixture
async def teamless_trainer(app: object, client: httpx.AsyncClient) -> Account:
    """A trainer without a team, who reads every session."""
    return await add_account(app, "trainer-all", "trainer")


async def test_no_trainer_reads_edits_or_practises_a_reps_practice_persona(
    client: httpx.AsyncClient,
    rep: Account,
    trainer: Account,
    outsider: Account,
    teamless_trainer: Account,
) -> None:
    pid = await prep_persona(client, rep)
    for someone in (trainer, outsider, teamless_trainer):
        got = await client.get(f"/api/v1/personas/{pid}", headers=someone.headers)
        assert got.status_code == 404, someone.username
        assert "late deliveries" not in got.text
        listed = await client.get("/api/v1/personas", headers=someone.headers)
        assert pid not in {p["id"] for p in listed.json()}
        edited = await client.put(
            f"/api/v1/personas/{pid}",
            json={**(await _full(client, rep, pid)), "name": "Rewritten"},
            headers=someone.headers,
        )
        assert edited.status_code == 404
        started = await client.post(
            "/api/v1/sessions", json={"persona_id": pid}, headers=someone.headers
        )
        assert started.status_code == 404
    card = await client.get(f"/api/v1/personas/{pid}", headers=rep.headers)
    assert card.status_code == 200 and card.json()["name"] == FORM["contact_name"]


async def _full(client: httpx.AsyncClient, rep: Account, pid: str) -> dict[str, object]:
    """The persona as its owner's admin would send it back (built from the rep's card)."""
    card = (await client.get(f"/api/v1/personas/{pid}", headers=rep.headers)).json()
    return {
        **card,
        "situation": [{"id": "s1", "text": "We run 40 trucks."}],
        "problems": [{"id": "p1", "text": "Deliveries are late."}],
    }


async def test_an_admin_reads_and_practises_a_reps_practice_persona(
    client: httpx.AsyncClient, rep: Account, admin: Account
) -> None:
    pid = await prep_persona(client, rep)
    got = await client.get(f"/api/v1/personas/{pid}", headers=admin.headers)
    assert got.status_code == 200 and got.json()["problems"]
    started = await client.post("/api/v1/sessions", json={"persona_id": pid}, headers=admin.headers)
    assert started.status_code == 201


async def test_the_persona_page_does_not_open_another_reps_persona(
    client: httpx.AsyncClient, rep: Account, outsider: Account
) -> None:
    pid = await prep_persona(client, rep)
    await sign_in(client, outsider)
    page = await client.get(f"/review/personas?edit={pid}")
    assert page.status_code == 404 and "late deliveries" not in page.text
    replaced = await client.post(
        "/review/personas",
        data={
            "source": "name: Rewritten\nlanguage: en\ntitle: x\ncompany: x\nindustry: x\n"
            "situation: [{id: s1, text: a}]\nproblems: [{id: p1, text: b}]\n",
            "replacing": pid,
            "csrf_token": form_token(client),
        },
    )
    assert replaced.status_code == 200 and "not found" in replaced.text
    mine = await client.get(f"/api/v1/personas/{pid}", headers=rep.headers)
    assert mine.json()["name"] == FORM["contact_name"]


async def test_cards_show_card_fields_only(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    persona = {
        "id": "noted-buyer",
        "language": "en",
        "name": "Noel",
        "title": "CFO",
        "company": "Noted Ltd",
        "industry": "retail",
        "trainer_notes": "CONFIDENTIAL: the budget is 50k",
        "situation": [{"id": "s1", "text": "We have 3 stores.", "answer_key": "secret"}],
        "problems": [{"id": "p1", "text": "Stock runs out."}],
    }
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 201, r.text
    assert r.json()["trainer_notes"].startswith("CONFIDENTIAL")  # trainers keep extra fields
    for url in ("/api/v1/personas/noted-buyer", "/api/v1/personas"):
        seen = await client.get(url, headers=rep.headers)
        assert seen.status_code == 200
        assert "CONFIDENTIAL" not in seen.text and "answer_key" not in seen.text
    card = (await client.get("/api/v1/personas/noted-buyer", headers=rep.headers)).json()
    assert card["name"] == "Noel" and "situation" not in card and "trainer_notes" not in card
