"""The coach against the labelled set: SPIN type, openness, and precision and recall per behaviour.

Figures only for batches never tuned on: the misses of a blind batch are never listed (looking
at them would be tuning on it), so `misses` is filled for tuned-on batches alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.coach import analyzer
from app.coach.labelled import BEHAVIOURS, Batch, Example, Label, batches, replay, utterances

__all__ = ["Figures", "batches", "measure", "measure_all", "table"]
from app.coach.schemas import CoachContext, Coaching
from app.playbook.coaching import CoachRules

# Behaviours scored per rep turn: SPIN.md's, the next step (and its time), and repeats.
SCORED = (*BEHAVIOURS, "next_step", "next_step_time", "repeat")
# Off topic on the turns the labeller did not mark meta: labellers split on whether words to the
# program are off topic too (SPIN.md's "the simulator itself"); this figure no convention decides.
OFF_TOPIC_ASIDE_META = "off_topic_aside_meta"


def _shown(label: Label) -> set[str]:
    out = set(label.behaviours)
    if label.next_step:
        out.add("next_step")
    if label.next_step_time:
        out.add("next_step_time")
    if label.repeat_of is not None:
        out.add("repeat")
    return out


def _read(coaching: Coaching) -> Label:
    s = coaching.signals
    return Label(
        spin=coaching.spin,
        question=coaching.question,
        behaviours=frozenset(b for b in BEHAVIOURS if getattr(s, b)),
        next_step=s.next_step.proposed,
        next_step_time=s.next_step.has_concrete_time,
        repeat_of=s.repeat_of,
    )


@dataclass
class Figures:
    batch: str
    language: str
    kind: str
    tuned_on: bool
    turns: int = 0
    spin_hits: int = 0
    question_hits: int = 0
    # behaviour -> [true positives, false positives, false negatives]
    counts: dict[str, list[int]] = field(
        default_factory=lambda: {b: [0, 0, 0] for b in (*SCORED, OFF_TOPIC_ASIDE_META)}
    )
    misses: list[str] = field(default_factory=list)

    @property
    def spin(self) -> float:
        return self.spin_hits / self.turns if self.turns else 0.0

    @property
    def question(self) -> float:
        return self.question_hits / self.turns if self.turns else 0.0

    def precision(self, behaviour: str) -> float | None:
        tp, fp, _ = self.counts[behaviour]
        return tp / (tp + fp) if tp + fp else None

    def recall(self, behaviour: str) -> float | None:
        tp, _, fn = self.counts[behaviour]
        return tp / (tp + fn) if tp + fn else None

    def merge(self, other: Figures) -> None:
        """Adds another batch's counts to these (for figures over several batches; its misses
        stay with it)."""
        self.turns += other.turns
        self.spin_hits += other.spin_hits
        self.question_hits += other.question_hits
        for b, (tp, fp, fn) in other.counts.items():
            c = self.counts[b]
            c[0], c[1], c[2] = c[0] + tp, c[1] + fp, c[2] + fn

    def add(self, example: Example, coaching: Coaching) -> None:
        gold, got = example.label, _read(coaching)
        self.turns += 1
        self.spin_hits += gold.spin == got.spin
        self.question_hits += gold.question == got.question
        if self.kind == "utterances":
            # Utterance batches label SPIN type and openness only.
            if self.tuned_on and (gold.spin, gold.question) != (got.spin, got.question):
                self.misses.append(
                    f"{example.batch} {example.text!r}: spin {got.spin} (want {gold.spin}),"
                    f" question {got.question} (want {gold.question})"
                )
            return
        expected, found = _shown(gold), _shown(got)
        if gold.repeat_of is not None and got.repeat_of != gold.repeat_of:
            found.discard("repeat")
        scored = [(b, b) for b in SCORED]
        if "meta" not in gold.behaviours:
            scored.append((OFF_TOPIC_ASIDE_META, "off_topic"))
        for key, b in scored:
            c = self.counts[key]
            c[0] += b in expected and b in found
            c[1] += b not in expected and b in found
            c[2] += b in expected and b not in found
        if self.tuned_on and (gold.spin, gold.question, expected) != (
            got.spin,
            got.question,
            found,
        ):
            where = f"{example.conversation}#{example.seq}" if example.conversation else ""
            self.misses.append(
                f"{example.batch} {where} {example.text!r}: spin {got.spin} (want {gold.spin}),"
                f" question {got.question} (want {gold.question}),"
                f" extra {sorted(found - expected)}, missing {sorted(expected - found)}"
            )


def measure(batch: Batch, rules: CoachRules) -> Figures:
    """The coach's figures on one batch: conversations replayed turn by turn, utterances alone."""
    figures = Figures(batch.name, batch.language, batch.kind, batch.tuned_on)

    def reader(text: str, context: CoachContext) -> Coaching:
        return analyzer.read(text, rules, context)

    if batch.kind == "conversations":
        for example, _, coaching in replay(batch, reader):
            figures.add(example, coaching)
    else:
        for example in utterances(batch):
            figures.add(example, reader(example.text, CoachContext()))
    return figures


def measure_all(root: Path, rules: CoachRules) -> list[Figures]:
    return [measure(b, rules) for b in batches(root)]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(rows: list[tuple[str, Figures]]) -> str:
    """A Markdown table: one row per (reader, batch) with SPIN, openness and P/R per behaviour."""
    shown: tuple[str, ...] = (
        "pitch",
        "next_step",
        "small_talk",
        "value_point",
        "summary",
        "off_topic",
    )
    head = ["batch", "reader", "turns", "SPIN", "open/closed"]
    head += [f"{b} P/R" for b in shown] + ["off_topic, meta turns aside, P/R"]
    shown = (*shown, OFF_TOPIC_ASIDE_META)
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for reader, f in rows:
        cells = [f.batch, reader, str(f.turns), f"{f.spin:.3f}", f"{f.question:.3f}"]
        if f.kind == "conversations":
            cells += [f"{_pct(f.precision(b))}/{_pct(f.recall(b))}" for b in shown]
        else:
            cells += ["" for _ in shown]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
