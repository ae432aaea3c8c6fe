"""Pre-meeting prep: priority score and band, a practice persona owned by the rep, opener and questions."""

from __future__ import annotations

import httpx

from tests.conftest import Account

FORM = {
    "language": "en",
    "company": "Northwind Foods",
    "industry": "food distribution",
    "company_size": "600 employees",
    "annual_revenue": "$120M",
    "contact_name": "Dana Wu",
    "contact_title": "COO",
    "decision_role": "decision_maker",
    "recent_news": "They opened a cold-storage hub in Ohio.",
    "suspected_pains": ["late deliveries to restaurants", "spoilage in transit"],
    "call_goal": "Book a discovery meeting",
    "rep_name": "Ann",
    "rep_company": "Acme Routing",
    "offering": "route planning software",
}


async def test_dimensions_sum_to_100(client: httpx.AsyncClient, rep: Account) -> None:
    dims = (await client.get("/api/v1/prep/priority-dimensions", headers=rep.headers)).json()
    assert len(dims) == 5 and sum(d["max_points"] for d in dims) == 100
    assert all({"id", "label", "max_points", "guide"} <= set(d) for d in dims)


async def test_prep_scores_bands_and_creates_a_private_persona(
    client: httpx.AsyncClient, rep: Account, other_rep: Account
) -> None:
    dims = (await client.get("/api/v1/prep/priority-dimensions", headers=rep.headers)).json()
    full = {d["id"]: d["max_points"] for d in dims}
    r = await client.post("/api/v1/prep", json={**FORM, "priority": full}, headers=rep.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["priority_score"] == 100 and body["priority_band"] == "high"
    assert 3 <= len(body["questions"]) <= 5 and all(q.endswith("?") for q in body["questions"])
    assert "Acme Routing" in body["opener"] and "late deliveries" in body["opener"]
    assert "Northwind Foods" in body["prep_sheet_markdown"]
    pid = body["persona_id"]
    mine = [p["id"] for p in (await client.get("/api/v1/personas", headers=rep.headers)).json()]
    assert mine[0] == pid
    theirs = [
        p["id"] for p in (await client.get("/api/v1/personas", headers=other_rep.headers)).json()
    ]
    assert pid not in theirs
    assert (
        await client.get(f"/api/v1/personas/{pid}", headers=other_rep.headers)
    ).status_code == 404
    r = await client.post(
        "/api/v1/sessions", json={"persona_id": pid, "scenario": "cold_call"}, headers=rep.headers
    )
    assert r.status_code == 201


async def test_prep_bands_and_bad_scores(client: httpx.AsyncClient, rep: Account) -> None:
    dims = (await client.get("/api/v1/prep/priority-dimensions", headers=rep.headers)).json()
    ids = [d["id"] for d in dims]
    medium = dict.fromkeys(ids, 0)
    need = 65
    for d in dims:
        medium[d["id"]] = min(d["max_points"], need)
        need -= medium[d["id"]]
    r = await client.post(
        "/api/v1/prep", json={**FORM, "language": "zh", "priority": medium}, headers=rep.headers
    )
    assert r.status_code == 201 and r.json()["priority_band"] == "medium"
    assert "您好" in r.json()["opener"]
    r = await client.post(
        "/api/v1/prep", json={**FORM, "priority": {"made_up": 5}}, headers=rep.headers
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/prep", json={**FORM, "priority": {ids[0]: 999}}, headers=rep.headers
    )
    assert r.status_code == 422
    r = await client.post("/api/v1/prep", json={"company": ""}, headers=rep.headers)
    assert r.status_code == 422


async def test_long_prep_texts_are_422_not_500(client: httpx.AsyncClient, rep: Account) -> None:
    for extra in ({"suspected_pains": ["x" * 980]}, {"recent_news": "n" * 1000}):
        r = await client.post("/api/v1/prep", json={**FORM, **extra}, headers=rep.headers)
        assert r.status_code == 422 and "detail" in r.json()


async def test_prep_texts_read_naturally_for_a_clause_or_a_noun_phrase(
    client: httpx.AsyncClient, rep: Account
) -> None:
    form = {**FORM, "suspected_pains": ["housekeeping scheduling is manual"]}
    body = (await client.post("/api/v1/prep", json=form, headers=rep.headers)).json()
    assert "tell us that housekeeping scheduling is manual," in body["opener"]
    assert "How does your team handle housekeeping scheduling today?" in body["questions"]
    assert not any("is manual today" in q for q in body["questions"])
    noun = (await client.post("/api/v1/prep", json=FORM, headers=rep.headers)).json()
    assert "tell us about late deliveries to restaurants," in noun["opener"]


async def test_prep_persona_answers_about_a_pain_from_the_reps_words(
    client: httpx.AsyncClient, rep: Account
) -> None:
    form = {**FORM, "language": "zh", "suspected_pains": ["冷链温度记录靠人工抄写"]}
    body = (await client.post("/api/v1/prep", json=form, headers=rep.headers)).json()
    card = (await client.get(f"/api/v1/personas/{body['persona_id']}", headers=rep.headers)).json()
    assert card["offering"] == FORM["offering"] and card["call_goal"] == FORM["call_goal"]
    session = (
        await client.post(
            "/api/v1/sessions",
            json={"persona_id": body["persona_id"], "scenario": "discovery"},
            headers=rep.headers,
        )
    ).json()
    turn = "/api/v1/sessions/" + session["id"] + "/turns"
    await client.post(turn, json={"text": "您好,最近忙吗?"}, headers=rep.headers)
    answer = await client.post(
        turn, json={"text": "现在冷链的温度记录是怎么做的?"}, headers=rep.headers
    )
    said = answer.json()["customer_turn"]["text"]
    assert "温度记录" in said and "规模" not in said


async def test_dimension_labels_follow_the_requested_language(
    client: httpx.AsyncClient, rep: Account
) -> None:
    zh = {**rep.headers, "Accept-Language": "zh-CN,zh;q=0.9"}
    dims = (await client.get("/api/v1/prep/priority-dimensions", headers=zh)).json()
    assert dims[0]["label"] == "行业匹配度"
    query = "/api/v1/prep/priority-dimensions?language=en"
    assert (await client.get(query, headers=zh)).json()[0]["label"] == "Industry fit"
