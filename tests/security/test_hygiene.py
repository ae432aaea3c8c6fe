"""Input hygiene: control characters never reach a route or the database, text that shows
nothing is refused, usernames are normalised, passwords have a minimum length."""

from __future__ import annotations

import json

import httpx
import pytest

from app import hygiene
from tests.conftest import Account, add_account
from tests.roleplay.test_api import start
from tests.web.test_pages import CSRF, form_token, sign_in

NUL_NAME = "rep1\x00"


async def test_nul_in_the_token_form_is_not_a_500(client: httpx.AsyncClient, rep: Account) -> None:
    r = await client.post(
        "/api/v1/auth/token", data={"username": NUL_NAME, "password": "whatever-pw"}
    )
    assert r.status_code == 401 and r.json()["detail"]
    # Form text loses its control characters; what remains is the name as typed.
    ok = await client.post(
        "/api/v1/auth/token", data={"username": "rep1\x00", "password": rep.password}
    )
    assert ok.status_code == 200


async def test_nul_on_the_login_page_is_not_a_500(client: httpx.AsyncClient, rep: Account) -> None:
    await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": "re\x00p1", "password": "nope-nope", "csrf_token": client.cookies[CSRF]},
    )
    assert r.status_code == 401 and "\x00" not in r.text


@pytest.mark.parametrize(
    "text",
    ["hello\x00world", "bell\x07", "del\x7f", "c1\x85 control", "lone \ud800 surrogate"],
)
async def test_control_characters_in_json_are_422_naming_the_field(
    client: httpx.AsyncClient, rep: Account, text: str
) -> None:
    sid = await start(client, rep)
    r = await client.post(
        f"/api/v1/sessions/{sid}/turns",
        content=json.dumps({"text": text}),  # \u escapes, as a client would send them
        headers={**rep.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "text"]
    session = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert session["turns"] == []


async def test_multi_line_text_keeps_its_line_breaks(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep)
    text = "Thanks for your time.\r\n\tHow do you plan routes today?"
    r = await client.post(f"/api/v1/sessions/{sid}/turns", json={"text": text}, headers=rep.headers)
    assert r.status_code == 200 and r.json()["rep_turn"]["text"] == text


async def test_control_characters_in_comments_ids_and_filters_are_422(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    sid = await start(client, rep)
    comment = await client.post(
        f"/api/v1/sessions/{sid}/comments", json={"text": "good\x00"}, headers=trainer.headers
    )
    assert comment.status_code == 422
    for url, params in (
        (f"/api/v1/sessions/{sid}%00", None),
        ("/api/v1/personas/mark%00packaging", None),
        ("/api/v1/sessions", {"rep": "rep1\x00"}),
        ("/api/v1/sessions", {"persona_id": "\x01"}),
    ):
        r = await client.get(url, params=params, headers=trainer.headers)
        assert r.status_code == 422, url
        assert r.json()["detail"][0]["type"] == "control_character"


async def test_an_escaped_nul_in_json_without_a_content_type_is_refused(
    client: httpx.AsyncClient, rep: Account
) -> None:
    r = await client.post(
        "/api/v1/coach/analyze",
        content=b'{"text": "how many trucks\\u0000?"}',
        headers=rep.headers,
    )
    assert r.status_code == 422


async def test_a_persona_with_a_nul_in_a_fact_is_refused(
    client: httpx.AsyncClient, trainer: Account
) -> None:
    persona = {
        "id": "nul-buyer",
        "language": "en",
        "name": "Nul",
        "title": "CTO",
        "company": "Zero Inc",
        "industry": "software",
        "situation": [{"id": "s1", "text": "We have\u0000 10 servers."}],
        "problems": [{"id": "p1", "text": "Outages."}],
    }
    r = await client.post("/api/v1/personas", json=persona, headers=trainer.headers)
    assert r.status_code == 422
    await sign_in(client, trainer)
    # YAML's "\0" escape makes a NUL the JSON gate cannot see: the persona schema refuses it.
    source = (
        "id: nul-buyer\nlanguage: en\nname: Nul\ntitle: CTO\ncompany: Zero\nindustry: it\n"
        'situation: [{id: s1, text: "We have\\0 10 servers."}]\nproblems: [{id: p1, text: b}]\n'
    )
    page = await client.post(
        "/review/personas", data={"source": source, "csrf_token": form_token(client)}
    )
    assert page.status_code == 200 and "control characters" in page.text
    assert (
        await client.get("/api/v1/personas/nul-buyer", headers=trainer.headers)
    ).status_code == 404


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "\u200d\u2060\ufeff", " \u3164 ", "\u00ad"])
async def test_a_turn_of_invisible_characters_is_refused(
    client: httpx.AsyncClient, rep: Account, text: str
) -> None:
    sid = await start(client, rep)
    r = await client.post(f"/api/v1/sessions/{sid}/turns", json={"text": text}, headers=rep.headers)
    assert r.status_code == 422
    analyzed = await client.post("/api/v1/coach/analyze", json={"text": text}, headers=rep.headers)
    assert analyzed.status_code == 422


@pytest.mark.parametrize("variant", ["REP1", "rep1 ", "Ｒｅｐ１", " rep1"])
async def test_username_variants_are_the_same_user(
    app: object, client: httpx.AsyncClient, rep: Account, variant: str
) -> None:
    with pytest.raises(Exception, match="already exists"):
        await add_account(app, variant, "rep")
    r = await client.post(
        "/api/v1/auth/token", data={"username": variant, "password": rep.password}
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    "name", ["r\u0435p1", "ad\u200bm", "rep 1", "a\u00adb", "\u0440\u043e\u0435", "x" * 101, "a/b"]
)
async def test_confusable_or_invisible_usernames_are_refused(
    app: object, client: httpx.AsyncClient, name: str
) -> None:
    with pytest.raises(Exception) as refused:
        await add_account(app, name, "rep")
    assert getattr(refused.value, "status_code", None) == 422


def test_usernames_in_chinese_and_mixed_with_latin_are_fine() -> None:
    assert hygiene.username("张伟") == "张伟"
    assert hygiene.username("Zhang张伟") == "zhang张伟"
    assert hygiene.username("Иван") == "иван"  # one script, not a Latin look-alike


async def test_a_short_password_is_refused(app: object, client: httpx.AsyncClient) -> None:
    from app.auth import service

    async with app.state.sessionmaker() as db:  # type: ignore[attr-defined]
        with pytest.raises(Exception) as refused:
            await service.create_user(db, username="shorty", password="a", role="rep")
    assert getattr(refused.value, "status_code", None) == 422
    assert "at least 8" in str(refused.value)


async def test_a_form_loses_only_its_control_characters(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    sid = await start(client, rep)
    await sign_in(client, trainer)
    r = await client.post(
        f"/review/sessions/{sid}/comments",
        data={
            "text": "Name\x00 the pain\x07 earlier.\nThen ask why.",
            "csrf_token": form_token(client),
        },
    )
    assert r.status_code == 303
    comments = (
        await client.get(f"/api/v1/sessions/{sid}/comments", headers=trainer.headers)
    ).json()
    assert [c["text"] for c in comments] == ["Name the pain earlier.\nThen ask why."]


def test_visible_text() -> None:
    assert hygiene.has_visible("好") and hygiene.has_visible(" a ")
    assert not hygiene.has_visible("\u200b \u3000\u2060\ufe0f")
