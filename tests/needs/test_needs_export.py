from __future__ import annotations

import csv
import io
import json

import pytest

from app.needs.export import CSV_COLUMNS, export_csv, export_json, export_markdown
from app.needs.extract import build_needs_record
from app.needs.schemas import SessionExport
from app.needs.scorecard import score_session
from app.playbook import needs, scoring
from app.playbook.errors import PlaybookError
from tests.needs.conftest import PLAYBOOK
from tests.needs.needs_dialogues import (
    chen_discovery_good,
    export_bundle,
    liu_cold_call_good,
    maya_discovery_good,
)


def full_bundle(make, scenario, needs_rules, rubric) -> SessionExport:
    d = make()
    record = build_needs_record("sess-1", d.persona, scenario, d.turns, needs_rules, d.language)
    card = score_session(d.persona, scenario, d.turns, rubric, d.language)
    return export_bundle(d, scenario, scorecard=card, needs_record=record)


def test_json_export_round_trips(needs_rules, rubric):
    bundle = full_bundle(chen_discovery_good, "discovery", needs_rules, rubric)
    data = json.loads(export_json(bundle))
    assert SessionExport.model_validate(data) == bundle
    assert data["needs_record"]["problems"][0]["turn_seq"] == 6
    assert data["scorecard"]["total"] == bundle.scorecard.total


def test_markdown_in_chinese_reads_like_the_manuals_forms(needs_rules, rubric):
    bundle = full_bundle(liu_cold_call_good, "cold_call", needs_rules, rubric)
    md = export_markdown(bundle, "zh")
    for heading in (
        "首次沟通记录(附件3)",
        "需求挖掘记录表(附件4)",
        "客户现状",
        "痛点",
        "影响",
        "期望解决方案",
        "需求优先级",
        "客户标签(CRM)",
        "评分卡",
        "对话记录",
    ):
        assert f"## {heading}" in md or f"### {heading}" in md, heading
    assert "“设备经常突发停机,上个月就停了4次。”(第6轮)" in md
    assert "| 必须满足 | 要是能提前一周知道哪台设备要出问题,就能安排在周末检修。 | 10 |" in md
    assert "按约定跟进:明天下午3点 电话沟通" in md
    assert "效率提升" in md and "efficiency" not in md
    assert f"总分: {bundle.scorecard.total} / 100" in md
    assert "> 辅导: SPIN: 暗示问题 · 开放式" in md
    assert "Pain points" not in md and "Transcript" not in md


def test_markdown_in_english_has_no_chinese_labels(needs_rules, rubric):
    bundle = full_bundle(maya_discovery_good, "discovery", needs_rules, rubric)
    md = export_markdown(bundle, "en")
    assert "## Needs-mining record (Appendix 4)" in md
    assert "Appendix 3" not in md  # discovery sessions have no first-contact record
    assert "| Must have | If agents found the right answer in seconds" in md
    assert "“agents spend ages hunting for answers across three different wikis.” (turn 6)" in md
    assert "Data and visibility" in md
    assert "**Total:" in md and "Excellent" in md
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in md)


def test_markdown_table_cells_survive_pipes_and_newlines(needs_rules, rubric):
    bundle = full_bundle(maya_discovery_good, "discovery", needs_rules, rubric)
    bundle.needs_record.needs[0].text = "a | b\nc"
    md = export_markdown(bundle, "en")
    assert "| a \\| b<br>c |" in md


def test_csv_has_a_row_per_turn_and_per_needs_item(needs_rules, rubric):
    bundle = full_bundle(liu_cold_call_good, "cold_call", needs_rules, rubric)
    rows = list(csv.DictReader(io.StringIO(export_csv(bundle))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    turns = [r for r in rows if r["section"] == "turn"]
    assert [int(r["seq"]) for r in turns] == [t.seq for t in bundle.turns]
    assert turns[2]["spin"] == "situation" and turns[2]["question"] == "open"
    needs = [
        (r["field"], int(r["seq"]), r["text"], r["priority"])
        for r in rows
        if r["section"] == "needs"
    ]
    record = bundle.needs_record
    assert ("problems", 6, record.problems[0].text, "") in needs
    assert ("needs", 10, record.needs[0].text, "must") in needs
    assert len(needs) == 5
    step = next(r for r in rows if r["section"] == "next_step")
    assert (step["field"], step["seq"]) == ("agreed", "14")
    criteria = {r["field"]: r for r in rows if r["section"] == "criterion"}
    assert criteria["next_step"]["evidence_turns"] == "13 14"
    assert {r["field"] for r in rows if r["section"] == "first_contact"} >= {
        "interest",
        "next_action",
    }


def test_export_without_records_still_has_the_transcript():
    from tests.needs.needs_dialogues import MAYA, Dialogue

    d = Dialogue(MAYA)
    d.rep("Hello?")
    bundle = export_bundle(d, "discovery")
    assert "**1 · Rep**: Hello?" in export_markdown(bundle, "en")
    assert len(list(csv.reader(io.StringIO(export_csv(bundle))))) == 1 + 7 + 1


def test_scoring_and_needs_playbook_files_load(needs_rules, rubric):
    assert {c.id for c in rubric.criteria} >= {
        "opener",
        "rapport",
        "next_step",
        "discovery_coverage",
    }
    assert [p.priority for p in needs_rules.priority_cues] == ["optional", "must", "expected"]


def test_broken_scoring_file_names_file_and_field(tmp_path):
    text = (PLAYBOOK / "scoring.yaml").read_text(encoding="utf-8")
    (tmp_path / "scoring.yaml").write_text(
        text.replace("{out_of_order} of {total}", "{skipped} of {total}"), encoding="utf-8"
    )
    with pytest.raises(PlaybookError) as err:
        scoring.load(tmp_path)
    assert err.value.file.endswith("scoring.yaml")
    assert err.value.field.startswith("criteria.")
    assert "skipped" in err.value.problem


def test_broken_needs_file_names_file_and_field(tmp_path):
    text = (PLAYBOOK / "needs.yaml").read_text(encoding="utf-8")
    (tmp_path / "needs.yaml").write_text(
        text.replace("priority: must", "priority: urgent"), encoding="utf-8"
    )
    with pytest.raises(PlaybookError) as err:
        needs.load(tmp_path)
    assert err.value.field == "priority_cues.1.priority"
