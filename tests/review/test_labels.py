"""Trainer calibration: correcting the coach on a rep turn, agreement figures, labels export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from app.review import labels
from tests.conftest import Account, add_account


async def _session_with_turns(client: httpx.AsyncClient, rep: Account, texts: list[str]) -> str:
    made = await client.post(
        "/api/v1/sessions",
        json={"persona_id": "chen-logistics", "scenario": "discovery"},
        headers=rep.headers,
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    for text in texts:
        sent = await client.post(
            f"/api/v1/sessions/{sid}/turns", json={"text": text}, headers=rep.headers
        )
        assert sent.status_code == 200, sent.text
    return sid


async def test_trainer_corrects_a_rep_turn_and_the_rest_keeps_the_coachs_reading(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    sid = await _session_with_turns(client, rep, ["目前你们的车队是怎么排线的?"])
    url = f"/api/v1/sessions/{sid}/turns/1/label"
    answer = await client.put(
        url, json={"spin": "problem", "signals": {"summary": True}}, headers=trainer.headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    coach = body["coaching"]
    label = body["trainer_label"]
    assert body["seq"] == 1 and body["speaker"] == "rep"
    assert label["spin"] == "problem"
    assert label["question"] == coach["question"]  # not given: the coach's reading stays
    assert label["signals"]["summary"] is True
    assert label["signals"]["pitch"] == coach["signals"]["pitch"]
    assert label["by"] == trainer.username and label["at"]

    again = await client.put(url, json={"question": "closed"}, headers=trainer.headers)
    second = again.json()["trainer_label"]
    assert second["spin"] == "problem" and second["question"] == "closed"  # builds on the last
    assert second["signals"]["summary"] is True

    cleared = await client.put(url, json={"spin": None}, headers=trainer.headers)
    assert cleared.json()["trainer_label"]["spin"] is None  # null: not a SPIN question


async def test_label_refusals(
    client: httpx.AsyncClient, app: object, rep: Account, trainer: Account
) -> None:
    sid = await _session_with_turns(client, rep, ["你们有多少辆车?"])
    base = f"/api/v1/sessions/{sid}/turns"
    as_rep = await client.put(f"{base}/1/label", json={"spin": "problem"}, headers=rep.headers)
    assert as_rep.status_code == 403 and as_rep.json()["detail"]
    customer = await client.put(f"{base}/2/label", json={"spin": None}, headers=trainer.headers)
    assert customer.status_code == 422 and "rep turns" in customer.json()["detail"]
    missing = await client.put(f"{base}/9/label", json={"spin": None}, headers=trainer.headers)
    assert missing.status_code == 404
    for bad in (
        {"spin": "pitch"},
        {"question": "maybe"},
        {"signals": {"telepathy": True}},
        {"signals": {"repeat_of": 1}},
        {"colour": "red"},
    ):
        refused = await client.put(f"{base}/1/label", json=bad, headers=trainer.headers)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"]
    outsider = await add_account(app, "trainer-west", "trainer", "west")
    hidden = await client.put(f"{base}/1/label", json={"spin": None}, headers=outsider.headers)
    assert hidden.status_code == 404
    unknown = await client.put(
        "/api/v1/sessions/nope/turns/1/label", json={"spin": None}, headers=trainer.headers
    )
    assert unknown.status_code == 404


async def test_agreement_counts_labels_that_match_the_coach(
    client: httpx.AsyncClient, rep: Account, trainer: Account
) -> None:
    sid = await _session_with_turns(client, rep, ["你们现在怎么排线?", "排线有什么困难?"])
    first = (await client.get(f"/api/v1/sessions/{sid}", headers=trainer.headers)).json()
    coach_1 = first["turns"][0]["coaching"]
    # Turn 1: the trainer confirms the coach's reading; turn 3: the trainer disagrees on SPIN.
    ok = await client.put(
        f"/api/v1/sessions/{sid}/turns/1/label",
        json={"spin": coach_1["spin"], "question": coach_1["question"]},
        headers=trainer.headers,
    )
    assert ok.status_code == 200
    other = "implication" if first["turns"][2]["coaching"]["spin"] != "implication" else "situation"
    await client.put(
        f"/api/v1/sessions/{sid}/turns/3/label", json={"spin": other}, headers=trainer.headers
    )
    figures = (await client.get("/api/v1/review/agreement", headers=trainer.headers)).json()
    assert figures["labelled_turns"] == 2
    assert figures["spin"] == 0.5
    assert figures["question"] == 1.0 and figures["signals"] == 1.0
    assert figures["all"] == 0.5
    team = (await client.get("/api/v1/review/agreement", headers=rep.headers)).status_code
    assert team == 403


async def test_labels_export_round_trips_into_the_labelled_format(
    client: httpx.AsyncClient, app: object, rep: Account, trainer: Account
) -> None:
    sid = await _session_with_turns(
        client, rep, ["您好,最近忙吗?", "你们现在怎么排线?", "那下周二下午三点我们再细聊?"]
    )
    await client.put(
        f"/api/v1/sessions/{sid}/turns/3/label",
        json={"spin": "situation", "question": "open", "signals": {"acknowledgement": True}},
        headers=trainer.headers,
    )
    await client.put(
        f"/api/v1/sessions/{sid}/turns/5/label",
        json={
            "spin": None,
            "question": "closed",
            "signals": {
                "next_step": {
                    "proposed": True,
                    "has_concrete_time": True,
                    "time_text": "下周二下午三点",
                }
            },
        },
        headers=trainer.headers,
    )
    async with app.state.sessionmaker() as db:  # type: ignore[attr-defined]
        batch = await labels.export_batch(db, language="zh")
        english = await labels.export_batch(db, language="en")
    text = yaml.safe_dump(batch, allow_unicode=True, sort_keys=False)
    parsed = labels.LabelledBatch.model_validate(yaml.safe_load(text))
    assert parsed.split == "train" and parsed.tuned_on is False and parsed.written_by
    (conversation,) = parsed.conversations
    assert conversation.id == sid and conversation.language == "zh"
    speakers = ["rep" if t.rep is not None else "customer" for t in conversation.turns]
    assert speakers == ["rep", "customer"] * 3  # the whole conversation, for context
    first, second, third = (t for t in conversation.turns if t.rep is not None)
    assert first.context_only  # no trainer looked at it: not a training example
    assert (second.spin, second.question, second.behaviours) == (
        "situation",
        "open",
        ["acknowledgement"],
    )
    assert not second.context_only
    assert third.spin is None and third.next_step is not None
    assert third.next_step.time == "下周二下午三点"
    assert english["conversations"] == []


async def test_labels_export_command_writes_the_batch(
    client: httpx.AsyncClient,
    app: object,
    db_url: str,
    rep: Account,
    trainer: Account,
    tmp_path: Path,
) -> None:
    sid = await _session_with_turns(client, rep, ["排线有什么困难?"])
    await client.put(
        f"/api/v1/sessions/{sid}/turns/1/label", json={"spin": "problem"}, headers=trainer.headers
    )
    out = tmp_path / "labels.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "labels", "export", "--out", str(out)],
        env={**os.environ, "SALESCOACH_DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "1 conversations" in result.stdout
    batch = labels.LabelledBatch.model_validate(yaml.safe_load(out.read_text(encoding="utf-8")))
    assert batch.conversations[0].turns[0].spin == "problem"
