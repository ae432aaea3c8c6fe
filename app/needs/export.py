"""Exports of one practice session: JSON, Markdown (the manual's forms) and CSV.

Markdown follows the manual: Appendix 3 (first-contact record, cold calls), Appendix 4
(needs-mining record with the priority sort and CRM tags), then the scorecard and the
transcript with coaching, all headed in the session's language.

CSV layout (one header row, RFC 4180 quoting), columns
`section, seq, speaker, field, text, priority, spin, question, flags, tip, points,
max_points, evidence_turns`:
- `session` rows: field = session_id | persona_id | persona_name | scenario | language | rep
  | created_at, text = the value;
- `turn` rows, one per turn in order: seq, speaker, text and, on rep turns, the coaching's
  spin, question, flags (`;`-separated) and tip;
- `needs` rows, one per needs-record item: seq = the cited customer turn, field =
  situation | problems | implications | need_payoffs | needs | context:<topic> (what any
  buyer tells: decision_process, budget, ...), priority on `needs` rows;
- `next_step` row: seq = the customer's answer, field = agreed | not_agreed, text = the
  answer, tip = "time; form";
- `tag` rows: field = potential_level | need_types | follow_up_priority, text = the value;
- `first_contact` rows (cold calls): field = time | interest | customer_feedback |
  need_points | next_action;
- `scorecard` row (field = total, points = total, max_points = 100, text = band) and one
  `criterion` row per criterion (field = id, text = comment, evidence_turns space-separated);
- `missed` rows, one per missed opportunity: seq = the customer turn to build on, field =
  its kind, text = the comment, tip = the better question.

Both carry text a rep, a trainer or a model wrote, so neither may become live content where it
is opened: a CSV cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading `'` (OWASP's CSV injection advice), so spreadsheets show it as text, not a formula; in
Markdown every text is HTML-escaped (`<`, `>`, `&`), so a viewer renders no tag.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from typing import Any

from app.needs.schemas import ITEM_FIELDS, Item, NeedsRecord, Scorecard, SessionExport
from app.playbook.persona import Language
from app.roleplay.transcript import TranscriptTurn

CSV_COLUMNS = (
    "section",
    "seq",
    "speaker",
    "field",
    "text",
    "priority",
    "spin",
    "question",
    "flags",
    "tip",
    "points",
    "max_points",
    "evidence_turns",
)

# Form labels (the manual's own headings for zh).
LABELS: dict[Language, dict[str, str]] = {
    "zh": {
        "title": "练习记录",
        "cold_call": "首次沟通(电话)",
        "discovery": "需求挖掘",
        "session": "会话",
        "rep": "销售",
        "time": "时间",
        "language": "语言",
        "language_name": "中文",
        "first_contact": "首次沟通记录(附件3)",
        "item": "项目",
        "content": "内容",
        "contact_time": "沟通时间",
        "interest": "客户意向",
        "feedback": "客户反馈",
        "need_points": "需求点",
        "next_action": "下一步行动",
        "needs_record": "需求挖掘记录表(附件4)",
        "situation": "客户现状",
        "problems": "痛点",
        "implications": "影响",
        "need_payoffs": "期望解决方案",
        "priorities": "需求优先级",
        "context": "采购背景",
        "decision_process": "决策流程",
        "budget": "预算",
        "timeline": "时间表",
        "current_tools": "现有工具",
        "competitors": "竞品",
        "stakeholders": "相关人员",
        "other": "其他",
        "priority": "优先级",
        "need": "需求",
        "turn": "轮次",
        "next_step": "下一步",
        "agreed": "已约定",
        "not_agreed": "未约定",
        "form": "形式",
        "tags": "客户标签(CRM)",
        "potential_level": "潜力等级",
        "need_types": "需求类型",
        "follow_up_priority": "跟进优先级",
        "scorecard": "评分卡",
        "missed": "错过的机会",
        "better_question": "更好的问法",
        "total": "总分",
        "criterion": "评分项",
        "points": "得分",
        "max_points": "满分",
        "evidence": "依据轮次",
        "comment": "点评",
        "spin_counts": "SPIN 提问次数",
        "open_ratio": "开放式提问比例",
        "talk_ratio": "销售发言占比",
        "needs_found": "需求发现",
        "transcript": "对话记录",
        "speaker_rep": "销售",
        "speaker_customer": "客户",
        "coaching": "辅导",
        "tip": "建议",
        "flags": "提醒",
        "none": "(无)",
        "quote": "“{text}”(第{seq}轮)",
        "must": "必须满足",
        "expected": "期望满足",
        "optional": "可有可无",
        "high": "高",
        "medium": "中",
        "low": "低",
        "interested": "有兴趣",
        "neutral": "观望",
        "not_interested": "无兴趣",
        "situation_q": "背景问题",
        "problem_q": "难点问题",
        "implication_q": "暗示问题",
        "need_payoff_q": "需求-效益问题",
        "open": "开放式",
        "closed": "封闭式",
        "sep": "、",
    },
    "en": {
        "title": "Practice record",
        "cold_call": "First contact (cold call)",
        "discovery": "Needs discovery",
        "session": "Session",
        "rep": "Rep",
        "time": "Time",
        "language": "Language",
        "language_name": "English",
        "first_contact": "First-contact record (Appendix 3)",
        "item": "Item",
        "content": "Content",
        "contact_time": "Time of contact",
        "interest": "Interest",
        "feedback": "Customer feedback",
        "need_points": "Need points",
        "next_action": "Next action",
        "needs_record": "Needs-mining record (Appendix 4)",
        "situation": "Current situation",
        "problems": "Pain points",
        "implications": "Impact",
        "need_payoffs": "Desired solution",
        "priorities": "Need priorities",
        "context": "Buying context",
        "decision_process": "Decision process",
        "budget": "Budget",
        "timeline": "Timeline",
        "current_tools": "Current tools",
        "competitors": "Competitors",
        "stakeholders": "Stakeholders",
        "other": "Other",
        "priority": "Priority",
        "need": "Need",
        "turn": "Turn",
        "next_step": "Next step",
        "agreed": "agreed",
        "not_agreed": "not agreed",
        "form": "form",
        "tags": "CRM tags",
        "potential_level": "Potential level",
        "need_types": "Need types",
        "follow_up_priority": "Follow-up priority",
        "scorecard": "Scorecard",
        "missed": "Missed opportunities",
        "better_question": "Better question",
        "total": "Total",
        "criterion": "Criterion",
        "points": "Points",
        "max_points": "Max",
        "evidence": "Evidence turns",
        "comment": "Comment",
        "spin_counts": "SPIN questions",
        "open_ratio": "Open-question ratio",
        "talk_ratio": "Rep talk ratio",
        "needs_found": "Needs discovered",
        "transcript": "Transcript",
        "speaker_rep": "Rep",
        "speaker_customer": "Customer",
        "coaching": "Coaching",
        "tip": "tip",
        "flags": "flags",
        "none": "(none)",
        "quote": "“{text}” (turn {seq})",
        "must": "Must have",
        "expected": "Expected",
        "optional": "Nice to have",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "interested": "interested",
        "neutral": "undecided",
        "not_interested": "not interested",
        "situation_q": "situation",
        "problem_q": "problem",
        "implication_q": "implication",
        "need_payoff_q": "need-payoff",
        "open": "open",
        "closed": "closed",
        "sep": ", ",
    },
}


def export_json(bundle: SessionExport) -> str:
    return bundle.model_dump_json(indent=2)


def _cell(text: str) -> str:
    """A Markdown table cell: no pipes or line breaks that would break the row."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def _quote(item: Item, t: dict[str, str]) -> str:
    return t["quote"].format(text=item.text, seq=item.turn_seq)


def _bullets(items: Iterable[Item], t: dict[str, str]) -> list[str]:
    lines = [f"- {_quote(i, t)}" for i in items]
    return lines or [f"- {t['none']}"]


def _first_contact_md(record: NeedsRecord, t: dict[str, str], started: str) -> list[str]:
    fc = record.first_contact
    if fc is None:
        return []
    feedback = "<br>".join(_cell(_quote(i, t)) for i in fc.customer_feedback) or t["none"]
    needs = "<br>".join(_cell(_quote(i, t)) for i in fc.need_points) or t["none"]
    return [
        f"## {t['first_contact']}",
        "",
        f"| {t['item']} | {t['content']} |",
        "| --- | --- |",
        f"| {t['contact_time']} | {_cell(fc.time or started)} |",
        f"| {t['interest']} | {t[fc.interest]} |",
        f"| {t['feedback']} | {feedback} |",
        f"| {t['need_points']} | {needs} |",
        f"| {t['next_action']} | {_cell(fc.next_action)} |",
        "",
    ]


def _needs_md(record: NeedsRecord, t: dict[str, str]) -> list[str]:
    lines = [f"## {t['needs_record']}", ""]
    for field in ITEM_FIELDS:
        lines += [f"### {t[field]}", "", *_bullets(record.items(field), t), ""]
    lines += [f"### {t['priorities']}", ""]
    if record.needs:
        lines += [f"| {t['priority']} | {t['need']} | {t['turn']} |", "| --- | --- | --- |"]
        lines += [f"| {t[n.priority]} | {_cell(n.text)} | {n.turn_seq} |" for n in record.needs]
    else:
        lines.append(f"- {t['none']}")
    lines += ["", f"### {t['context']}", ""]
    lines += [
        f"- {t[c.topic]}: {t['quote'].format(text=c.text, seq=c.turn_seq)}" for c in record.context
    ] or [f"- {t['none']}"]
    lines += ["", f"### {t['next_step']}", ""]
    step = record.next_step
    if step is None:
        lines.append(f"- {t['none']}")
    else:
        state = t["agreed"] if step.agreed else t["not_agreed"]
        details = [d for d in (step.time, step.form) if d]
        detail = f" · {' '.join(details)}" if details else ""
        lines.append(f"- {state}{detail}: {t['quote'].format(text=step.text, seq=step.turn_seq)}")
    tags = record.tags
    types = t["sep"].join(tags.need_type_labels or tags.need_types) or t["none"]
    lines += [
        "",
        f"### {t['tags']}",
        "",
        f"- {t['potential_level']}: {t[tags.potential_level]}",
        f"- {t['need_types']}: {types}",
        f"- {t['follow_up_priority']}: {t[tags.follow_up_priority]}",
        "",
    ]
    return lines


def _scorecard_md(card: Scorecard, t: dict[str, str]) -> list[str]:
    lines = [
        f"## {t['scorecard']}",
        "",
        f"**{t['total']}: {card.total} / 100 · {card.band_label or card.band}**",
        "",
        f"| {t['criterion']} | {t['points']} | {t['max_points']} | {t['evidence']} | {t['comment']} |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in card.criteria:
        evidence = ", ".join(str(s) for s in c.evidence_turns) or "-"
        lines.append(
            f"| {_cell(c.label)} | {c.points:g} | {c.max_points:g} | {evidence} | {_cell(c.comment)} |"
        )
    spin = t["sep"].join(f"{t[k + '_q']} {v}" for k, v in card.spin_counts.items())
    lines += [
        "",
        f"- {t['spin_counts']}: {spin}",
        f"- {t['open_ratio']}: {round(card.open_question_ratio * 100)}%",
        f"- {t['talk_ratio']}: {round(card.rep_talk_ratio * 100)}%",
        f"- {t['needs_found']}: {card.needs_discovered} / {card.needs_total}",
        "",
    ]
    if card.missed_opportunities:
        lines += [
            f"### {t['missed']}",
            "",
            f"| {t['turn']} | {t['missed']} | {t['comment']} | {t['better_question']} |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {m.turn_seq} | {_cell(m.label or m.kind)} | {_cell(m.comment)} "
            f"| {_cell(m.better_question)} |"
            for m in card.missed_opportunities
        ]
        lines.append("")
    return lines


def _turn_md(turn: TranscriptTurn, t: dict[str, str]) -> list[str]:
    who = t["speaker_rep"] if turn.speaker == "rep" else t["speaker_customer"]
    lines = [f"**{turn.seq} · {who}**: {turn.text}", ""]
    c = turn.coaching
    if turn.speaker == "rep" and c is not None:
        parts = []
        if c.spin:
            parts.append(f"SPIN: {t[c.spin + '_q']}")
        if c.question:
            parts.append(t[c.question])
        if c.flags:
            parts.append(f"{t['flags']}: {', '.join(c.flags)}")
        if c.tip:
            parts.append(f"{t['tip']}: {c.tip}")
        if parts:
            lines += [f"> {t['coaching']}: {' · '.join(parts)}", ""]
    return lines


def _escaped(value: Any) -> Any:
    """Every string in a dumped bundle with HTML's special characters escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def export_markdown(bundle: SessionExport, language: Language) -> str:
    t = LABELS[language]
    bundle = SessionExport.model_validate(_escaped(bundle.model_dump()))
    created = bundle.created_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    lines = [
        f"# {t['title']}: {bundle.persona_name} · {t[bundle.scenario]}",
        "",
        f"- {t['session']}: {bundle.session_id}",
        f"- {t['rep']}: {bundle.rep}",
        f"- {t['time']}: {created}",
        f"- {t['language']}: {t['language_name']}",
        "",
    ]
    if bundle.needs_record is not None:
        lines += _first_contact_md(bundle.needs_record, t, created)
        lines += _needs_md(bundle.needs_record, t)
    if bundle.scorecard is not None:
        lines += _scorecard_md(bundle.scorecard, t)
    lines += [f"## {t['transcript']}", ""]
    for turn in sorted(bundle.turns, key=lambda x: x.seq):
        lines += _turn_md(turn, t)
    return "\n".join(lines).rstrip() + "\n"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutral(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _row(section: str, **values: object) -> list[str]:
    return [section] + [
        "" if values.get(col) is None else str(values[col]) for col in CSV_COLUMNS[1:]
    ]


def export_csv(bundle: SessionExport) -> str:
    rows: list[list[str]] = [list(CSV_COLUMNS)]
    meta = {
        "session_id": bundle.session_id,
        "persona_id": bundle.persona_id,
        "persona_name": bundle.persona_name,
        "scenario": bundle.scenario,
        "language": bundle.language,
        "rep": bundle.rep,
        "created_at": bundle.created_at.isoformat(),
    }
    rows += [_row("session", field=k, text=v) for k, v in meta.items()]
    for turn in sorted(bundle.turns, key=lambda x: x.seq):
        c = turn.coaching if turn.speaker == "rep" else None
        rows.append(
            _row(
                "turn",
                seq=turn.seq,
                speaker=turn.speaker,
                text=turn.text,
                spin=c.spin if c else None,
                question=c.question if c else None,
                flags=";".join(c.flags) if c else None,
                tip=c.tip if c and c.tip else None,
            )
        )
    record = bundle.needs_record
    if record is not None:
        for field in ITEM_FIELDS:
            rows += [
                _row("needs", seq=i.turn_seq, speaker="customer", field=field, text=i.text)
                for i in record.items(field)
            ]
        rows += [
            _row(
                "needs",
                seq=n.turn_seq,
                speaker="customer",
                field="needs",
                text=n.text,
                priority=n.priority,
            )
            for n in record.needs
        ]
        rows += [
            _row(
                "needs", seq=c.turn_seq, speaker="customer", field=f"context:{c.topic}", text=c.text
            )
            for c in record.context
        ]
        if record.next_step is not None:
            step = record.next_step
            rows.append(
                _row(
                    "next_step",
                    seq=step.turn_seq,
                    speaker="customer",
                    field="agreed" if step.agreed else "not_agreed",
                    text=step.text,
                    tip="; ".join(d for d in (step.time, step.form) if d) or None,
                )
            )
        tags = record.tags
        rows += [
            _row("tag", field="potential_level", text=tags.potential_level),
            _row("tag", field="need_types", text=";".join(tags.need_types)),
            _row("tag", field="follow_up_priority", text=tags.follow_up_priority),
        ]
        fc = record.first_contact
        if fc is not None:
            rows += [
                _row("first_contact", field="time", text=fc.time),
                _row("first_contact", field="interest", text=fc.interest),
                *(
                    _row("first_contact", seq=i.turn_seq, field="customer_feedback", text=i.text)
                    for i in fc.customer_feedback
                ),
                *(
                    _row("first_contact", seq=i.turn_seq, field="need_points", text=i.text)
                    for i in fc.need_points
                ),
                _row("first_contact", field="next_action", text=fc.next_action),
            ]
    card = bundle.scorecard
    if card is not None:
        rows.append(
            _row(
                "scorecard",
                field="total",
                text=card.band_label or card.band,
                points=card.total,
                max_points=100,
            )
        )
        rows += [
            _row(
                "criterion",
                field=c.id,
                text=c.comment,
                points=f"{c.points:g}",
                max_points=f"{c.max_points:g}",
                evidence_turns=" ".join(str(s) for s in c.evidence_turns),
            )
            for c in card.criteria
        ]
        rows += [
            _row(
                "missed",
                seq=m.turn_seq,
                speaker="customer",
                field=m.kind,
                text=m.comment,
                tip=m.better_question,
            )
            for m in card.missed_opportunities
        ]
    out = io.StringIO()
    csv.writer(out).writerows([_neutral(cell) for cell in row] for row in rows)
    return out.getvalue()
