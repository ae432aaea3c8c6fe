"""The labelled set in data/labelled/, as the coach's training and accuracy code reads it.

Two kinds of batch (data/labelled/README.md says who wrote each and whether it was tuned on):
- utterance batches (`*.yaml` at the top): single rep utterances with `spin` and `question`;
- conversation batches (`conversations/*.yaml`, conversations/FORMAT.md): whole practice
  conversations whose rep turns carry `spin`, `question`, `behaviours`, `next_step` and
  `repeat_of`, judged in the conversation. A rep turn marked `context_only` (a trainer export's
  unlabelled turn) is part of the conversation but not an example.

A conversation is replayed the way the app reads it: each rep turn is read in the
conversation so far, whose earlier rep turns carry the coach's own readings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.coach.schemas import CoachContext, Coaching, EarlierTurn, Openness, Scenario, SpinType
from app.playbook.persona import Language

BEHAVIOURS = (
    "small_talk",
    "acknowledgement",
    "summary",
    "value_point",
    "pitch",
    "hard_close",
    "off_topic",
    "meta",
    "goodbye",
)


@dataclass(frozen=True)
class Label:
    """What a labeller says about one rep turn."""

    spin: SpinType | None
    question: Openness | None
    behaviours: frozenset[str] = frozenset()
    next_step: bool = False
    next_step_time: bool = False
    repeat_of: int | None = None


@dataclass(frozen=True)
class Example:
    """One labelled rep turn and where it comes from."""

    batch: str
    language: Language
    text: str
    label: Label
    conversation: str | None = None
    seq: int | None = None
    scenario: Scenario | None = None


@dataclass(frozen=True)
class Batch:
    name: str
    language: Language
    kind: str  # utterances | conversations
    tuned_on: bool
    path: Path
    data: dict[str, Any]


def batches(root: Path) -> list[Batch]:
    """Every utterance and conversation batch under data/labelled/ (openers excluded)."""
    found: list[Batch] = []
    paths = [p for p in sorted(root.glob("*.yaml")) if "openers" not in p.name]
    paths += sorted((root / "conversations").glob("*.yaml"))
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kind = "conversations" if "conversations" in data else "utterances"
        found.append(
            Batch(
                name=str(data.get("batch") or path.stem),
                language=data.get("language", "zh" if path.stem.endswith("zh") else "en"),
                kind=kind,
                tuned_on=bool(data.get("tuned_on", kind == "utterances")),
                path=path,
                data=data,
            )
        )
    return found


def _label(turn: dict[str, Any]) -> Label:
    step = turn.get("next_step")
    return Label(
        spin=turn.get("spin"),
        question=turn.get("question"),
        behaviours=frozenset(turn.get("behaviours") or ()),
        next_step=step is not None,
        next_step_time=bool(step and step.get("time")),
        repeat_of=turn.get("repeat_of"),
    )


def utterances(batch: Batch) -> list[Example]:
    return [
        Example(batch.name, batch.language, item["text"], Label(item["spin"], item["question"]))
        for item in batch.data.get("items", [])
    ]


Reader = Callable[[str, CoachContext], Coaching]


def replay(batch: Batch, reader: Reader) -> Iterator[tuple[Example, CoachContext, Coaching]]:
    """Each labelled rep turn of a conversation batch with the context it was read in and the
    reading, every rep turn read in the conversation so far (as the app does)."""
    for conv in batch.data.get("conversations", []):
        scenario: Scenario = conv.get("scenario", "discovery")
        language: Language = conv.get("language") or batch.language
        earlier: list[EarlierTurn] = []
        for seq, turn in enumerate(conv["turns"], start=1):
            if "customer" in turn:
                earlier.append(EarlierTurn(seq=seq, speaker="customer", text=turn["customer"]))
                continue
            context = CoachContext.of(scenario, earlier)
            reading = reader(turn["rep"], context)
            if not turn.get("context_only"):
                example = Example(
                    batch.name, language, turn["rep"], _label(turn), conv["id"], seq, scenario
                )
                yield example, context, reading
            earlier.append(EarlierTurn(seq=seq, speaker="rep", text=turn["rep"], coaching=reading))
