"""Finishing over HTTP: saved records, live records, exports, and a hang-up that saves them too."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import httpx

from tests.conftest import Account
from tests.roleplay.test_api import start, turn

GOOD_ZH = [
    "陈总您好,最近新开的两个分拨中心运转得怎么样?",
    "目前你们的车辆调度是怎么安排的?",
    "在排线这块,哪些环节让您觉得效率比较低?",
]


async def test_finish_saves_records_and_is_idempotent(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in GOOD_ZH:
        assert (await turn(client, rep, sid, text)).status_code == 200
    live = (await client.get(f"/api/v1/sessions/{sid}/needs-record", headers=rep.headers)).json()
    first = await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    assert first.status_code == 200
    body = first.json()
    assert body["needs_record"] == live
    assert body["needs_record"]["session_id"] == sid
    seqs = {
        t["seq"]: t["speaker"]
        for t in (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()["turns"]
    }
    for field in ("situation", "problems"):
        for item in body["needs_record"][field]:
            assert seqs[item["turn_seq"]] == "customer"
    assert body["needs_record"]["situation"] and body["needs_record"]["problems"]
    again = await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    assert again.json() == body
    session = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert (
        session["status"] == "ended" and session["scorecard"]["total"] == body["scorecard"]["total"]
    )
    assert session["total_score"] == body["scorecard"]["total"]


async def test_exports_in_three_formats(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    sid = await start(client, rep, "chen-logistics")
    for text in GOOD_ZH:
        await turn(client, rep, sid, text)
    await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "json"}, headers=trainer.headers
    )
    data = json.loads(r.text)
    assert r.status_code == 200 and len(data["turns"]) == 6 and data["needs_record"]["problems"]
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "markdown"}, headers=rep.headers
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "需求挖掘记录" in r.text and GOOD_ZH[1] in r.text
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "csv"}, headers=rep.headers
    )
    rows = list(csv.reader(io.StringIO(r.text)))
    assert len(rows) > 6 and any(GOOD_ZH[2] in cell for row in rows for cell in row)
    r = await client.get(
        f"/api/v1/sessions/{sid}/export", params={"format": "pdf"}, headers=rep.headers
    )
    assert r.status_code == 422


async def test_only_the_rep_finishes_their_session(
    client: httpx.AsyncClient, rep: Account, trainer: Account, other_rep: Account
) -> None:
    sid = await start(client, rep)
    assert (
        await client.post(f"/api/v1/sessions/{sid}/finish", headers=other_rep.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/sessions/{sid}/finish", headers=trainer.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers)
    ).status_code == 200


async def test_hang_up_ends_the_session_and_saves_records(
    client: httpx.AsyncClient, rep: Account
) -> None:
    sid = await start(client, rep, "mark-packaging", "cold_call")
    pitch = "Our platform is the best on the market, it cuts costs by 30% and every plant loves it, you should buy it."
    status = "active"
    for _ in range(12):
        r = await turn(client, rep, sid, pitch + " Do you want it?")
        if r.status_code == 409:
            break
        status = r.json()["status"]
        if status == "ended":
            break
    assert status == "ended"
    session = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
    assert session["status"] == "ended" and session["scorecard"] is not None
    assert session["needs_record"]["needs"] == []
    assert (await turn(client, rep, sid, "Hello?")).status_code == 409


async def test_finish_and_a_turn_at_once_never_leave_a_turn_outside_the_records(
    client: httpx.AsyncClient, rep: Account
) -> None:
    for _ in range(3):
        sid = await start(client, rep, "chen-logistics")
        await turn(client, rep, sid, GOOD_ZH[0])
        sent, finished = await asyncio.gather(
            turn(client, rep, sid, GOOD_ZH[1]),
            client.post(f"/api/v1/sessions/{sid}/finish", headers=rep.headers),
        )
        assert sent.status_code in (200, 409) and finished.status_code == 200
        session = (await client.get(f"/api/v1/sessions/{sid}", headers=rep.headers)).json()
        export = await client.get(f"/api/v1/sessions/{sid}/export", headers=rep.headers)
        assert len(json.loads(export.text)["turns"]) == len(session["turns"])
        assert len(session["turns"]) == (4 if sent.status_code == 200 else 2)


async def test_the_customers_own_slot_is_the_step_recorded(
    client: httpx.AsyncClient, rep: Account
) -> None:
    # A busy buyer answers the rep's Thursday with Monday; the rep takes it and says goodbye.
    from tests.needs.scripts import EXCELLENT

    script = next(s for s in EXCELLENT if s.name == "excellent-mark-cold-call")
    sid = await start(client, rep, script.persona_id, script.scenario)
    for text, _ in script.lines:
        r = await turn(client, rep, sid, text)
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "ended"
    record = (await client.get(f"/api/v1/sessions/{sid}/needs-record", headers=rep.headers)).json()
    step = record["next_step"]
    assert step["agreed"] and step["time"] == "Monday at 10am" and step["form"] == "call"
    assert "Monday at 10am" in step["text"]
