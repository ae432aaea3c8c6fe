"""Coach throughput on one core (CPU time of this process, so a busy machine does not skew it):
rep turns read per second, each in its conversation (the
labelled train conversations replayed turn by turn, rules + learned layer), and single
utterances alone (prints figures)."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach import analyzer  # noqa: E402
from app.coach.analyzer import read  # noqa: E402
from app.coach.labelled import batches, replay  # noqa: E402
from app.coach.schemas import CoachContext, Coaching  # noqa: E402
from app.playbook.coaching import Patterns, load  # noqa: E402

ROUNDS = 10


def forget_texts() -> None:
    """Empties the caches keyed on a turn's text, so every round reads each turn as new, as a
    server does: within a round an earlier turn is still remembered when later turns compare
    with it, as in a live conversation, but no turn is remembered from the round before."""
    for cached in (analyzer._ngrams, analyzer._turn_ngrams, analyzer._content):
        cached.cache_clear()
    for obj in gc.get_objects():
        if isinstance(obj, Patterns) and "_earlier" in obj.__dict__:
            obj.__dict__["_earlier"].clear()


def main() -> None:
    rules = load(ROOT / "playbook")
    learned = "rules + learned" if rules.learned is not None else "rules alone (no model file)"
    # The contexts are built once (with the coach's own readings), then every turn is re-read.
    turns: list[tuple[str, CoachContext]] = []
    for batch in batches(ROOT / "data/labelled"):
        if batch.kind == "conversations" and batch.tuned_on:

            def reader(text: str, context: CoachContext) -> Coaching:
                return read(text, rules, context)

            turns += [(e.text, ctx) for e, ctx, _ in replay(batch, reader)]
    texts: list[str] = []
    for lang in ("zh", "en"):
        data = yaml.safe_load(
            (ROOT / "data/labelled" / f"utterances_{lang}.yaml").read_text("utf-8")
        )
        texts += [item["text"] for item in data["items"]]
    alone = CoachContext(scenario="discovery", rep_turn_index=3)
    for text, ctx in turns:  # warm-up
        read(text, rules, ctx)

    elapsed = 0.0
    for _ in range(ROUNDS):
        forget_texts()
        start = time.process_time()
        for text, ctx in turns:
            read(text, rules, ctx)
        elapsed += time.process_time() - start
    count = ROUNDS * len(turns)
    print(
        f"coach ({learned}): {count / elapsed:,.0f} rep turns/s in their conversations on one "
        f"core ({elapsed / count * 1e6:.0f} µs each; {len(turns)} turns x {ROUNDS} rounds)"
    )
    elapsed = 0.0
    for _ in range(ROUNDS):
        forget_texts()
        start = time.process_time()
        for text in texts:
            read(text, rules, alone)
        elapsed += time.process_time() - start
    count = ROUNDS * len(texts)
    print(
        f"coach ({learned}): {count / elapsed:,.0f} single utterances/s "
        f"({elapsed / count * 1e6:.0f} µs each; {len(texts)} utterances x {ROUNDS} rounds)"
    )


if __name__ == "__main__":
    main()
