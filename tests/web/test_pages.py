"""The web pages over HTTP: sign-in, CSRF, both languages, roles, the practice flow, review."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Account

CSRF = "salescoach_csrf"
SESSION = "salescoach_session"


async def sign_in(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    page = await client.get("/login")
    assert page.status_code == 200
    return await client.post(
        "/login",
        data={
            "username": account.username,
            "password": account.password,
            "csrf_token": client.cookies[CSRF],
            "next": "/",
        },
    )


def form_token(client: httpx.AsyncClient) -> str:
    return client.cookies[CSRF]


async def start_session(
    client: httpx.AsyncClient, persona_id: str = "morgan-saas", scenario: str = "discovery"
) -> str:
    r = await client.post(
        "/practice",
        data={"persona_id": persona_id, "scenario": scenario, "csrf_token": form_token(client)},
    )
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[-1]


async def api_turn(client: httpx.AsyncClient, session_id: str, text: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{session_id}/turns",
        json={"text": text},
        headers={"X-CSRF-Token": form_token(client)},
    )


async def test_login_starts_an_httponly_lax_cookie_session(
    client: httpx.AsyncClient, rep: Account
) -> None:
    login_page = await client.get("/login")
    token = client.cookies[CSRF]
    assert f'name="csrf_token" value="{token}"' in login_page.text
    assert 'name="username"' in login_page.text and 'name="password"' in login_page.text

    r = await sign_in(client, rep)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(f"{SESSION}="))
    assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
    assert client.cookies[CSRF] != token  # renewed at sign-in

    start = await client.get("/")
    assert start.status_code == 200 and 'data-testid="persona-list"' in start.text


async def test_login_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await client.get("/login")
    r = await client.post("/login", data={"username": rep.username, "password": rep.password})
    assert r.status_code == 403
    assert SESSION not in client.cookies


async def test_wrong_password_shows_the_form_again(client: httpx.AsyncClient, rep: Account) -> None:
    await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": rep.username, "password": "nope", "csrf_token": client.cookies[CSRF]},
    )
    assert r.status_code == 401 and 'role="alert"' in r.text and SESSION not in client.cookies


async def test_anonymous_visitor_is_sent_to_login_and_back(client: httpx.AsyncClient) -> None:
    r = await client.get("/review/team")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/review/team"


async def test_login_does_not_redirect_off_site(client: httpx.AsyncClient, rep: Account) -> None:
    await client.get("/login")
    r = await client.post(
        "/login",
        data={
            "username": rep.username,
            "password": rep.password,
            "csrf_token": client.cookies[CSRF],
            "next": "//evil.example/",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_form_posts_without_the_token_are_refused(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    r = await client.post("/practice", data={"persona_id": "morgan-saas", "scenario": "discovery"})
    assert r.status_code == 403
    r = await client.post(
        "/practice",
        data={"persona_id": "morgan-saas", "scenario": "discovery", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    sessions = await client.get("/api/v1/sessions")
    assert sessions.status_code == 200 and sessions.json() == []


async def test_api_calls_with_the_cookie_need_the_csrf_header(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    body = {"persona_id": "morgan-saas", "scenario": "discovery"}
    refused = await client.post("/api/v1/sessions", json=body)
    assert refused.status_code == 403
    created = await client.post(
        "/api/v1/sessions", json=body, headers={"X-CSRF-Token": form_token(client)}
    )
    assert created.status_code == 201


async def test_logout_needs_the_token_and_ends_the_session(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    assert (await client.post("/logout")).status_code == 403
    r = await client.post("/logout", data={"csrf_token": form_token(client)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert (await client.get("/")).status_code == 303


async def test_rep_cannot_open_trainer_pages(client: httpx.AsyncClient, rep: Account) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client)
    for path in ("/review", "/review/team", "/review/personas", f"/review/sessions/{session_id}"):
        r = await client.get(path)
        assert r.status_code == 403, path
        assert 'data-testid="session-list"' not in r.text
    r = await client.post(
        "/review/personas", data={"source": "id: x", "csrf_token": form_token(client)}
    )
    assert r.status_code == 403


async def test_a_rep_cannot_open_another_reps_session(
    client: httpx.AsyncClient, rep: Account, other_rep: Account
) -> None:
    await sign_in(client, other_rep)
    theirs = await start_session(client)
    client.cookies.clear()
    await sign_in(client, rep)
    assert (await client.get(f"/practice/{theirs}")).status_code == 404
    assert (await client.get(f"/practice/{theirs}/summary")).status_code == 404


async def switch_language(client: httpx.AsyncClient, lang: str, next: str = "/") -> None:
    r = await client.post(
        "/language", data={"lang": lang, "next": next, "csrf_token": form_token(client)}
    )
    assert r.status_code == 303 and r.headers["location"] == next


@pytest.mark.parametrize(
    ("lang", "html_lang", "login", "start"),
    [
        ("zh", "zh-CN", "登录", "开始一次对练"),
        ("en", "en", "Sign in", "Start a practice conversation"),
    ],
)
async def test_pages_render_in_both_languages(
    client: httpx.AsyncClient,
    trainer: Account,
    lang: str,
    html_lang: str,
    login: str,
    start: str,
) -> None:
    await client.get("/login")
    await switch_language(client, lang, "/login")
    login_page = await client.get("/login")
    assert f'<html lang="{html_lang}">' in login_page.text and login in login_page.text
    await sign_in(client, trainer)
    start_page = await client.get("/")
    assert start in start_page.text
    session_id = await start_session(client, "chen-logistics", "cold_call")
    assert (
        await api_turn(client, session_id, "您好,我是云途科技的小李,想占用您两分钟。")
    ).status_code == 200
    for path in (
        "/",
        f"/practice/{session_id}",
        f"/practice/{session_id}/summary",
        "/review",
        f"/review/sessions/{session_id}",
        "/review/team",
        "/review/personas",
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert f'<html lang="{html_lang}">' in r.text, path
        # No catalogue key leaks through untranslated.
        assert not re.search(
            r">\s*(nav|chat|summary|review|needs|team|personas)\.[a-z_.]+\s*<", r.text
        ), path


async def test_an_unknown_language_leaves_the_choice_alone(client: httpx.AsyncClient) -> None:
    await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    await switch_language(client, "fr", "/login")
    r = await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in r.text


async def test_chat_page_shows_existing_turns_with_their_coaching(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client, "morgan-saas", "discovery")
    texts = ["How was the conference last week?", "How does your team track account health today?"]
    for text in texts:
        assert (await api_turn(client, session_id, text)).status_code == 200
    page = await client.get(f"/practice/{session_id}")
    assert page.status_code == 200
    for text in texts:
        assert text in page.text
    assert page.text.count('data-testid="coaching"') == 2
    assert 'data-testid="transcript"' in page.text and 'name="text"' in page.text
    assert 'data-testid="finish"' in page.text
    assert 'id="turn-4"' in page.text  # the customer's second answer


async def test_the_chat_form_works_without_javascript(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client)
    r = await client.post(
        f"/practice/{session_id}/turns",
        data={"text": "Hi Morgan, thanks for making time today.", "csrf_token": form_token(client)},
    )
    assert r.status_code == 303
    turns = (await client.get(f"/api/v1/sessions/{session_id}")).json()["turns"]
    assert [t["speaker"] for t in turns] == ["rep", "customer"]


async def test_finishing_opens_the_summary_with_scorecard_and_needs_record(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client)
    for text in (
        "How was the conference last week?",
        "How does your team track account health today?",
        "What goes wrong when an account is unhappy?",
    ):
        await api_turn(client, session_id, text)
    r = await client.post(f"/practice/{session_id}/finish", data={"csrf_token": form_token(client)})
    assert r.status_code == 303 and r.headers["location"] == f"/practice/{session_id}/summary"
    summary = await client.get(r.headers["location"])
    assert summary.status_code == 200
    html = summary.text
    assert 'data-testid="scorecard"' in html and 'data-testid="needs-record"' in html
    assert '<svg class="spin-timeline"' in html and html.count("<circle cx=") == 3
    assert f"/api/v1/sessions/{session_id}/export?format=markdown" in html
    # Every cited turn has an anchor on the page.
    anchors = set(re.findall(r'id="turn-(\d+)"', html))
    assert set(re.findall(r'href="#turn-(\d+)"', html)) <= anchors
    status = (await client.get(f"/api/v1/sessions/{session_id}")).json()["status"]
    assert status == "ended"
    export = await client.get(f"/api/v1/sessions/{session_id}/export?format=csv")
    assert export.status_code == 200


async def test_trainer_finds_and_comments_on_a_session(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client, "morgan-saas", "cold_call")
    await api_turn(client, session_id, "Hi Morgan, this is Sam from Brightline.")
    client.cookies.clear()

    await sign_in(client, trainer)
    listing = await client.get("/review", params={"scenario": "cold_call", "order": "rep"})
    assert 'data-testid="session-list"' in listing.text and session_id in listing.text
    assert session_id not in (await client.get("/review", params={"scenario": "discovery"})).text
    assert session_id not in (await client.get("/review", params={"min_score": "50"})).text

    r = await client.post(
        f"/review/sessions/{session_id}/comments",
        data={"text": "Name the pain earlier.", "turn_seq": "1", "csrf_token": form_token(client)},
    )
    assert r.status_code == 303
    page = await client.get(f"/review/sessions/{session_id}")
    assert "Name the pain earlier." in page.text
    comments = (await client.get(f"/api/v1/sessions/{session_id}/comments")).json()
    assert [(c["turn_seq"], c["text"]) for c in comments] == [(1, "Name the pain earlier.")]

    refused = await client.post(
        f"/review/sessions/{session_id}/comments", data={"text": "sneaky", "turn_seq": "1"}
    )
    assert refused.status_code == 403

    team = await client.get("/review/team")
    assert team.status_code == 200 and rep.username in team.text


async def test_persona_from_yaml_is_created_and_errors_are_shown_inline(
    client: httpx.AsyncClient, trainer: Account
) -> None:
    await sign_in(client, trainer)
    broken = "id: Bad Id\nlanguage: fr\nname: X\n"
    r = await client.post(
        "/review/personas", data={"source": broken, "csrf_token": form_token(client)}
    )
    assert r.status_code == 200
    assert 'data-testid="persona-errors"' in r.text and "language" in r.text and "title" in r.text
    assert "Bad Id" in r.text  # the text is kept in the form

    not_yaml = await client.post(
        "/review/personas",
        data={"source": "id: x\nname: Sam\nsituation: [unclosed", "csrf_token": form_token(client)},
    )
    assert not_yaml.status_code == 200 and 'data-testid="persona-errors"' in not_yaml.text
    assert "Line 3, column" in not_yaml.text  # where the flow sequence broke

    good = (
        "id: nina-hotels\nlanguage: en\nname: Nina Park\ntitle: Operations Director\n"
        "company: Harbor Hotels\nindustry: Hospitality\npersonality: friendly\n"
        "company_size: 10\n"
    )
    unplayable = await client.post(
        "/review/personas", data={"source": good, "csrf_token": form_token(client)}
    )
    assert "at least one situation fact" in unplayable.text
    assert "at least one problem" in unplayable.text
    assert "valid string" not in unplayable.text  # company_size: 10 is text
    good += (
        "situation:\n  - {id: s1, text: We run 12 hotels.}\n"
        "problems:\n  - {id: p1, text: Housekeeping scheduling is manual.}\n"
    )
    r = await client.post(
        "/review/personas", data={"source": good, "csrf_token": form_token(client)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/personas?created=nina-hotels"
    assert "Nina Park" in (await client.get("/review/personas")).text
    again = await client.post(
        "/review/personas", data={"source": good, "csrf_token": form_token(client)}
    )
    assert again.status_code == 200 and "already exists" in again.text


PREP_FORM = {
    "language": "en",
    "company": "Lakeside Dairy",
    "industry": "food production",
    "company_size": "300 employees",
    "annual_revenue": "$40M",
    "contact_name": "Jo Lin",
    "contact_title": "Head of Logistics",
    "decision_role": "decision_maker",
    "recent_news": "They added a second bottling line.",
    "suspected_pains": ["late deliveries"],
    "call_goal": "Book a discovery meeting",
    "rep_name": "Rita",
    "rep_company": "Acme Routing",
    "offering": "route planning software",
}


async def test_a_reps_own_practice_persona_comes_first_and_is_marked(
    client: httpx.AsyncClient, rep: Account, other_rep: Account
) -> None:
    dims = (await client.get("/api/v1/prep/priority-dimensions", headers=rep.headers)).json()
    priority = {d["id"]: d["max_points"] for d in dims}
    prep = await client.post(
        "/api/v1/prep", json={**PREP_FORM, "priority": priority}, headers=rep.headers
    )
    assert prep.status_code == 201
    own_id = prep.json()["persona_id"]

    await sign_in(client, rep)
    page = (await client.get("/")).text
    buttons = re.findall(r'data-persona="([^"]+)"', page)
    assert buttons[0] == own_id and len(buttons) > 1
    assert page.count('class="card persona-card own"') == 1

    client.cookies.clear()
    await sign_in(client, other_rep)
    assert own_id not in (await client.get("/")).text


async def test_odd_review_filters_and_comment_seqs_do_not_break_pages(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client)
    await api_turn(client, session_id, "How do you plan your releases today?")
    client.cookies.clear()
    await sign_in(client, trainer)
    for params in (
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"min_score": "nan"},
        {"max_score": "inf"},
        {"order": "password"},
    ):
        r = await client.get("/review", params=params)
        assert r.status_code == 200, params
    r = await client.post(
        f"/review/sessions/{session_id}/comments",
        data={"text": "General note.", "turn_seq": "²", "csrf_token": form_token(client)},
    )
    assert r.status_code == 303
    comments = (await client.get(f"/api/v1/sessions/{session_id}/comments")).json()
    assert [(c["turn_seq"], c["text"]) for c in comments] == [(None, "General note.")]


async def test_a_form_turn_to_an_ended_session_opens_its_summary(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client)
    await client.post(f"/practice/{session_id}/finish", data={"csrf_token": form_token(client)})
    r = await client.post(
        f"/practice/{session_id}/turns",
        data={"text": "Are you still there?", "csrf_token": form_token(client)},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/practice/{session_id}/summary"
    turns = (await client.get(f"/api/v1/sessions/{session_id}")).json()["turns"]
    assert turns == []


async def test_trainer_edits_a_stored_persona_and_copies_a_playbook_one(
    client: httpx.AsyncClient, trainer: Account
) -> None:
    await sign_in(client, trainer)
    good = (
        "id: nina-hotels\nlanguage: en\nname: Nina Park\ntitle: Operations Director\n"
        "company: Harbor Hotels\nindustry: Hospitality\n"
        "situation: [{id: s1, text: We run 12 hotels.}]\nproblems: [{id: p1, text: Rotas are manual.}]\n"
    )
    await client.post("/review/personas", data={"source": good, "csrf_token": form_token(client)})
    page = await client.get("/review/personas", params={"edit": "nina-hotels"})
    assert 'name="replacing" value="nina-hotels"' in page.text and "Harbor Hotels" in page.text
    edited = good.replace("Nina Park", "Nina Park-Lee")
    r = await client.post(
        "/review/personas",
        data={"source": edited, "replacing": "nina-hotels", "csrf_token": form_token(client)},
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/personas?updated=nina-hotels"
    card = (await client.get("/api/v1/personas/nina-hotels")).json()
    assert card["name"] == "Nina Park-Lee"

    copy = await client.get("/review/personas", params={"edit": "mark-packaging"})
    assert "id: mark-packaging-copy" in copy.text and 'name="replacing"' not in copy.text
    missing = await client.get("/review/personas", params={"edit": "nobody"})
    assert missing.status_code == 404


async def test_trainer_corrects_the_coach_from_the_review_page(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client, "morgan-saas", "discovery")
    await api_turn(client, session_id, "How many people are on your success team?")
    client.cookies.clear()

    await sign_in(client, trainer)
    page = await client.get(f"/review/sessions/{session_id}")
    assert (
        'data-testid="label-form"' in page.text and 'data-testid="trainer-label"' not in page.text
    )
    form = {
        "spin": "situation",
        "question": "closed",
        "behaviour": ["acknowledgement", "next_step"],
        "time_text": "Thursday 10am",
        "repeat_of": "",
    }
    refused = await client.post(f"/review/sessions/{session_id}/turns/1/label", data=form)
    assert refused.status_code == 403  # no CSRF token
    saved = await client.post(
        f"/review/sessions/{session_id}/turns/1/label",
        data={**form, "csrf_token": form_token(client)},
    )
    assert saved.status_code == 303 and "labelled=1" in saved.headers["location"]
    page = await client.get(f"/review/sessions/{session_id}")
    assert 'data-testid="trainer-label"' in page.text and "Thursday 10am" in page.text

    answer = await client.put(
        f"/api/v1/sessions/{session_id}/turns/1/label",
        json={},
        headers={"X-CSRF-Token": form_token(client)},
    )
    label = answer.json()["trainer_label"]
    assert label["signals"]["acknowledgement"] is True and label["signals"]["pitch"] is False
    step = label["signals"]["next_step"]
    assert (step["proposed"], step["has_concrete_time"], step["time_text"]) == (
        True,
        True,
        "Thursday 10am",
    )

    # A customer turn cannot be labelled: the form answers by going back to the turn.
    back = await client.post(
        f"/review/sessions/{session_id}/turns/2/label",
        data={**form, "csrf_token": form_token(client)},
    )
    assert back.status_code == 303 and "labelled" not in back.headers["location"]
    team = await client.get("/review/team")
    assert 'data-testid="coach-agreement"' in team.text


async def test_a_rep_sees_new_trainer_comments_and_their_progress(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client, "karen-education", "discovery")
    await api_turn(client, session_id, "How do you keep track of the laptops today?")
    finished = await client.post(
        f"/practice/{session_id}/finish", data={"csrf_token": form_token(client)}
    )
    assert finished.status_code == 303
    start = await client.get("/")
    assert 'data-testid="new-comments"' not in start.text
    client.cookies.clear()

    await sign_in(client, trainer)
    await client.post(
        f"/review/sessions/{session_id}/comments",
        data={
            "text": "Ask what the lost laptops cost.",
            "turn_seq": "1",
            "csrf_token": form_token(client),
        },
    )
    client.cookies.clear()

    await sign_in(client, rep)
    start = await client.get("/")
    assert (
        'data-testid="new-comments"' in start.text
        and "New comments from your trainer: 1" in start.text
    )
    progress = await client.get("/progress")
    assert progress.status_code == 200
    assert "Ask what the lost laptops cost." in progress.text
    assert 'class="badge">New<' in progress.text
    assert 'class="axis-label"' in progress.text and ">100<" in progress.text  # a labelled axis
    assert "Where you lose the most points" in progress.text
    again = await client.get("/")  # the progress page marked them read
    assert 'data-testid="new-comments"' not in again.text


async def test_the_summary_names_playbook_items_in_the_ui_language(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    session_id = await start_session(client, "liu-retail", "discovery")
    for text in (
        "刘总您好,最近新店开得怎么样?",
        "生鲜损耗这块,哪些地方让您最头疼?",
        "损耗高的时候,对门店的利润有什么影响?",
    ):
        await api_turn(client, session_id, text)
    await client.post(f"/practice/{session_id}/finish", data={"csrf_token": form_token(client)})
    english = await client.get(f"/practice/{session_id}/summary", headers={"Accept-Language": "en"})
    assert "Rapport before business" in english.text and "先建立信任再谈业务" not in english.text
    assert re.search(r"\b[a-z]+_[a-z_]+\b</span>", english.text) is None  # no raw need type
    chinese = await client.get(f"/practice/{session_id}/summary", headers={"Accept-Language": "zh"})
    assert "先建立信任再谈业务" in chinese.text


async def test_prep_page_keeps_what_was_typed_and_answers_with_a_practice_persona(
    client: httpx.AsyncClient, rep: Account
) -> None:
    await sign_in(client, rep)
    page = await client.get("/prep")
    assert 'data-testid="prep-form"' in page.text and 'name="priority.pain_urgency"' in page.text
    form = {
        "csrf_token": form_token(client),
        "company": "Harbor Hotels",
        "industry": "",
        "suspected_pains": ["housekeeping scheduling is manual", ""],
        "priority.pain_urgency": "99",
    }
    bad = await client.post("/prep", data=form)
    assert bad.status_code == 200 and 'data-testid="prep-errors"' in bad.text
    assert 'value="Harbor Hotels"' in bad.text and "housekeeping scheduling is manual" in bad.text
    assert "a whole number from 0 to 25" in bad.text
    form.update({"industry": "hospitality", "priority.pain_urgency": "20", "language": "en"})
    good = await client.post("/prep", data=form)
    assert good.status_code == 200 and 'data-testid="practise-now"' in good.text
    assert "tell us that housekeeping scheduling is manual" in good.text
