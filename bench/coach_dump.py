"""Every reading the coach gives on the labelled set, one JSON line each (prints nothing else):
the guard for speed work on the reading, whose dump before and after must be byte-identical.

    python bench/coach_dump.py > before.jsonl   # then, after the change:
    python bench/coach_dump.py > after.jsonl && cmp before.jsonl after.jsonl

Each conversation turn is read in its conversation (as the app and the benchmark do), with its
learned features; each utterance alone, in a discovery call, and as a cold-call opener.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach.analyzer import learned_features, read  # noqa: E402
from app.coach.labelled import batches, replay  # noqa: E402
from app.coach.schemas import CoachContext, Coaching  # noqa: E402
from app.playbook.coaching import load  # noqa: E402


def main() -> None:
    rules = load(ROOT / "playbook")
    out = sys.stdout
    texts: list[str] = []
    for batch in batches(ROOT / "data/labelled"):
        if batch.kind == "conversations":

            def reader(text: str, context: CoachContext) -> Coaching:
                return read(text, rules, context)

            for example, ctx, reading in replay(batch, reader):
                feats = sorted(set(learned_features(example.text, rules, ctx)))
                rules_only = read(example.text, rules, ctx, learned=False)
                out.write(f"{batch.name} {example.conversation} {example.seq}\n")
                out.write(reading.model_dump_json() + "\n")
                out.write(rules_only.model_dump_json() + "\n")
                out.write(json.dumps(feats, ensure_ascii=False) + "\n")
        else:
            texts += [item["text"] for item in batch.data.get("items", [])]
    for path in sorted((ROOT / "data/labelled").glob("*openers*.yaml")):
        texts += [item["text"] for item in batch_items(path)]
    alone = CoachContext(scenario="discovery", rep_turn_index=3)
    cold = CoachContext(scenario="cold_call")
    for text in texts:
        out.write(read(text, rules).model_dump_json() + "\n")
        out.write(read(text, rules, alone).model_dump_json() + "\n")
        out.write(read(text, rules, cold, language="en").model_dump_json() + "\n")
        out.write(read(text, rules, opener=True, language="zh").model_dump_json() + "\n")


def batch_items(path: Path) -> list[dict[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items: list[dict[str, str]] = data.get("items") or []
    return [i for i in items if isinstance(i, dict) and "text" in i]


if __name__ == "__main__":
    main()
