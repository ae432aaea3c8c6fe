"""Optional LLM refinement of the offline needs record, validated item by item.

One structured-output call may reword and regroup the items. Each returned item must cite a
customer turn (a rep turn or an unknown seq is rejected), sit in a field the offline record
found at that turn, be supported by that turn's words (token share >= `min_support`) and
use no number the customer did not say; anything else is dropped. Offline items the model
left out are kept, so refining never loses a disclosed fact. If the call fails or nothing
valid comes back, the offline record stands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from app.needs.schemas import ITEM_FIELDS, PRIORITY_ORDER, Item, ItemField, Need, NeedsRecord
from app.needs.support import numbers, support
from app.playbook.persona import Language, Priority
from app.roleplay.transcript import TranscriptTurn

log = logging.getLogger("salescoach.needs")

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]


class DraftItem(BaseModel):
    """One thing the customer said, in their words."""

    text: str = Field(description="What the customer said, quoted or closely paraphrased.")
    turn_seq: int = Field(description="The seq of the customer turn where they said it.")


class DraftNeed(DraftItem):
    priority: Priority = Field(description="must, expected or optional, from their words.")


class RefinedRecord(BaseModel):
    """The customer's needs record: only what the customer said, each item citing its turn."""

    situation: list[DraftItem] = Field(description="Facts about how things are now.")
    problems: list[DraftItem] = Field(description="Difficulties and dissatisfactions.")
    implications: list[DraftItem] = Field(description="Consequences of the problems.")
    need_payoffs: list[DraftItem] = Field(description="Value the customer sees in a solution.")
    needs: list[DraftNeed] = Field(description="The need-payoffs as needs with a priority.")


INSTRUCTIONS: dict[Language, str] = {
    "zh": (
        "你在整理一次销售对话的《需求挖掘记录表》。下面是对话记录(每行以轮次号开头)"
        "和按规则提取的初稿。请改进措辞、合并重复的条目,并把条目放在正确的栏目里:"
        "客户现状(situation)、痛点(problems)、影响(implications)、期望解决方案(need_payoffs),"
        "以及带优先级的需求(needs: must/expected/optional)。"
        "规则:每一条都必须是客户亲口说过的内容(引用或贴近原话的转述),用中文;"
        "turn_seq 必须是客户说这句话的那一轮,绝不能引用销售的话;"
        "不要添加客户没有说过的事实、数字或推测。"
    ),
    "en": (
        "You are tidying the needs-mining record of a sales conversation. Below are the "
        "transcript (each line starts with its turn seq) and a rule-based draft. Improve the "
        "wording, merge duplicates and put each item in the right field: situation, problems, "
        "implications, need_payoffs, and needs with a priority (must/expected/optional). "
        "Rules: every item must be something the customer said (a quote or a close "
        "paraphrase), in English; turn_seq must be the customer turn where they said it, "
        "never a rep turn; add no fact, number or guess the customer did not say."
    ),
}


def refine_messages(
    record: NeedsRecord, turns: Sequence[TranscriptTurn], language: Language
) -> list[SystemMessage | HumanMessage]:
    speaker = {
        "zh": {"rep": "销售", "customer": "客户"},
        "en": {"rep": "Rep", "customer": "Customer"},
    }
    lines = [f"[{t.seq}] {speaker[language][t.speaker]}: {t.text}" for t in turns]
    draft = record.model_dump(include={*ITEM_FIELDS, "needs"}, mode="json")
    body = "\n".join(lines) + "\n\n" + json.dumps(draft, ensure_ascii=False, indent=1)
    return [SystemMessage(content=INSTRUCTIONS[language]), HumanMessage(content=body)]


def supported(text: str, said: str, min_support: float) -> bool:
    """The customer's turn carries the text: enough shared tokens, and no new numbers."""
    return support(text, said) >= min_support and numbers(text) <= numbers(said)


def _validated(
    draft: RefinedRecord,
    record: NeedsRecord,
    turns: Sequence[TranscriptTurn],
    min_support: float,
) -> tuple[dict[ItemField, list[Item]], list[Need]] | None:
    customer = {t.seq: t.text for t in turns if t.speaker == "customer"}
    allowed = {(f, i.turn_seq) for f in ITEM_FIELDS for i in record.items(f)}
    offline_priority = {n.turn_seq: n.priority for n in record.needs}
    kept: dict[ItemField, list[Item]] = {f: [] for f in ITEM_FIELDS}
    needs: list[Need] = []
    dropped = 0

    def valid(field: ItemField, item: DraftItem) -> bool:
        said = customer.get(item.turn_seq)
        return (
            said is not None
            and (field, item.turn_seq) in allowed
            and supported(item.text, said, min_support)
        )

    for field in ITEM_FIELDS:
        for item in getattr(draft, field):
            if valid(field, item) and all(k.text != item.text for k in kept[field]):
                kept[field].append(Item(text=item.text.strip(), turn_seq=item.turn_seq))
            else:
                dropped += 1
    for need in draft.needs:
        if valid("need_payoffs", need) and all(n.text != need.text for n in needs):
            priority = offline_priority.get(need.turn_seq, need.priority)
            needs.append(Need(text=need.text.strip(), priority=priority, turn_seq=need.turn_seq))
        else:
            dropped += 1
    if dropped:
        log.info("needs refinement dropped %d unsupported item(s)", dropped)
    if not needs and not any(kept.values()):
        return None
    # Offline items at turns the model did not cover stay, so no disclosed fact is lost.
    for field in ITEM_FIELDS:
        covered = {i.turn_seq for i in kept[field]}
        kept[field] += [i for i in record.items(field) if i.turn_seq not in covered]
        kept[field].sort(key=lambda i: i.turn_seq)
    covered_needs = {n.turn_seq for n in needs}
    needs += [n for n in record.needs if n.turn_seq not in covered_needs]
    needs.sort(key=lambda n: (PRIORITY_ORDER[n.priority], n.turn_seq))
    return kept, needs


async def refine_with_llm(
    record: NeedsRecord,
    turns: Sequence[TranscriptTurn],
    chat_model: BaseChatModel,
    language: Language,
    *,
    min_support: float = 0.6,
    method: StructuredMethod = "function_calling",
) -> NeedsRecord:
    """The record refined by one structured-output call, or the offline record unchanged."""
    ordered = sorted(turns, key=lambda t: t.seq)
    try:
        structured = chat_model.with_structured_output(RefinedRecord, method=method)
        answer = await structured.ainvoke(refine_messages(record, ordered, language))
        draft = (
            answer if isinstance(answer, RefinedRecord) else RefinedRecord.model_validate(answer)
        )
    except Exception as exc:  # any provider or parsing failure: the offline record stands
        log.warning("needs refinement failed, keeping the offline record: %s", type(exc).__name__)
        return record
    result = _validated(draft, record, ordered, min_support)
    if result is None:
        return record
    fields, needs = result
    update: dict[str, object] = {f: fields[f] for f in ITEM_FIELDS}
    update.update(needs=needs, source="llm")
    return record.model_copy(update=update)
