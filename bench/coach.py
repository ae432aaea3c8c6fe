"""Coach throughput: analyses per second on one core over the labelled set (prints a figure)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach.analyzer import analyze  # noqa: E402
from app.coach.schemas import CoachContext  # noqa: E402
from app.playbook.coaching import load  # noqa: E402

ROUNDS = 20


def main() -> None:
    rules = load(ROOT / "playbook")
    texts: list[str] = []
    for lang in ("zh", "en"):
        data = yaml.safe_load(
            (ROOT / "data/labelled" / f"utterances_{lang}.yaml").read_text("utf-8")
        )
        texts += [item["text"] for item in data["items"]]
    openers = yaml.safe_load((ROOT / "data/labelled/openers.yaml").read_text("utf-8"))["items"]
    texts += [item["text"] for item in openers]
    context = CoachContext(scenario="discovery", rep_turn_index=3)
    for text in texts:  # warm-up
        analyze(text, rules, context=context)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for text in texts:
            analyze(text, rules, context=context)
    elapsed = time.perf_counter() - start
    count = ROUNDS * len(texts)
    print(
        f"coach: {count / elapsed:,.0f} analyses/s on one core "
        f"({elapsed / count * 1e6:.0f} µs each; {len(texts)} utterances x {ROUNDS} rounds)"
    )


if __name__ == "__main__":
    main()
