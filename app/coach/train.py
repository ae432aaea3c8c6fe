"""`salescoach coach train`: fit the learned layer to data/labelled/ and write its model file.

Trained on every batch marked as tuned on (never on a blind batch): the utterance batches
teach SPIN type and openness, the conversation batches those and the behaviours. Each rep turn
of a conversation is featurised in the conversation so far, read by the rules (the model learns
where the rules go wrong). Needs scikit-learn (`pip install -e '.[train]'`); the app reads the
written weights in plain Python.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.coach import analyzer
from app.coach.accuracy import Figures
from app.coach.labelled import Batch, Example, batches, replay, utterances
from app.coach.learned import FEATURES_VERSION, QUESTION_CLASSES, SPIN_CLASSES, LearnedModel
from app.coach.schemas import CoachContext, Coaching
from app.playbook.coaching import CoachRules

BINARY_HEADS = (
    "small_talk",
    "acknowledgement",
    "summary",
    "value_point",
    "pitch",
    "hard_close",
    "off_topic",
    "meta",
    "goodbye",
    "next_step",
)
# Fewer positive examples than this and a behaviour is left to the rules.
MIN_POSITIVES = 4
MIN_FEATURE_COUNT = 3
PRUNE_BELOW = 0.03
C = 1.0
# Regularisation per head where cross-validation chose another than `C` (smaller: stronger).
HEAD_C: dict[str, float] = {}
# The behaviour heads: Newton-CG reaches the optimum in a fraction of lbfgs's time on these
# features (the SPIN type and openness heads keep lbfgs, as they were tuned with it).
SOLVER = "newton-cg"
CONVERSATION_WEIGHT = 2.0
# Features the SPIN type and openness heads do not see: the cue words of learned.yaml, chosen for
# behaviours (pitch, chat...), not for what a question asks.
BEHAVIOUR_ONLY = ("k.", "j.k.")


@dataclass(frozen=True)
class Row:
    example: Example
    features: list[str]
    # Whether behaviours were labelled (conversation turns), not only SPIN type and openness.
    behaviours: bool


def rows_of(batch: Batch, rules: CoachRules) -> list[Row]:
    """The batch's labelled rep turns with their features (rules-only readings in context)."""
    if batch.kind == "utterances":
        empty = CoachContext()
        return [
            Row(e, analyzer.learned_features(e.text, rules, empty), False)
            for e in utterances(batch)
        ]

    def reader(text: str, context: CoachContext) -> Coaching:
        return analyzer.read(text, rules, context, learned=False)

    return [
        Row(example, analyzer.learned_features(example.text, rules, context), True)
        for example, context, _ in replay(batch, reader)
    ]


def _targets(row: Row) -> dict[str, str | bool]:
    label = row.example.label
    out: dict[str, str | bool] = {
        "spin": label.spin or "none",
        "question": label.question or "none",
    }
    if row.behaviours:
        for name in BINARY_HEADS:
            out[name] = label.next_step if name == "next_step" else name in label.behaviours
    return out


def fit(
    rows: Sequence[Row],
    trained_on: list[str],
    skip: Sequence[str] = (),
    strength: Mapping[str, float] | None = None,
) -> LearnedModel:
    """One logistic regression per head over the rows' binary features (`skip`: heads the
    rules decide alone, not trained; `strength`: C per head, else `HEAD_C` or `C`)."""
    strength = HEAD_C if strength is None else strength
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    counts = Counter(f for r in rows for f in set(r.features))
    vocab = sorted(f for f, n in counts.items() if n >= MIN_FEATURE_COUNT)
    index = {f: i for i, f in enumerate(vocab)}
    type_index = {f: i for f, i in index.items() if not f.startswith(BEHAVIOUR_ONLY)}

    heads: dict[str, dict[str, Any]] = {}
    weights: dict[str, list[tuple[int, float]]] = {}
    offset = 0
    plan: list[tuple[str, tuple[str, ...] | None]] = [
        ("spin", SPIN_CLASSES),
        ("question", QUESTION_CLASSES),
        *((name, None) for name in BINARY_HEADS if name not in skip),
    ]
    for head, classes in plan:
        chosen = [r for r in rows if head in _targets(r)]
        y = [_targets(r)[head] for r in chosen]
        if classes is None and sum(1 for v in y if v) < MIN_POSITIVES:
            continue
        # The playbook's cue words (learned.yaml `cues`) feed the behaviour heads alone.
        seen = index if classes is None else type_index
        data, cols, ptr = [], [], [0]
        for r in chosen:
            feats = sorted({seen[f] for f in r.features if f in seen})
            cols += feats
            data += [1.0] * len(feats)
            ptr.append(len(cols))
        x = csr_matrix((data, cols, ptr), shape=(len(chosen), len(vocab)))
        sample_weight = [CONVERSATION_WEIGHT if r.behaviours else 1.0 for r in chosen]
        model = LogisticRegression(
            C=strength.get(head, C),
            max_iter=2000,
            class_weight="balanced" if classes is None else None,
            solver=SOLVER if classes is None else "lbfgs",
        )
        model.fit(x, y, sample_weight=sample_weight)
        names = list(classes) if classes is not None else ["yes"]
        if classes is None:
            coef = [model.coef_[0]]
            bias = [float(model.intercept_[0])]
        else:
            known = [str(c) for c in model.classes_]
            coef, bias = [], []
            for name in names:
                if name in known:
                    k = known.index(name)
                    coef.append(model.coef_[k] if len(known) > 2 else _binary(model, k))
                    bias.append(float(model.intercept_[k if len(known) > 2 else 0]) * _sign(k))
                else:
                    coef.append(None)
                    bias.append(-30.0)
        for slot, row in enumerate(coef):
            if row is None:
                continue
            for j, w in enumerate(row):
                if abs(w) >= PRUNE_BELOW:
                    weights.setdefault(vocab[j], []).append((offset + slot, round(float(w), 4)))
        heads[head] = {"classes": names, "offset": offset, "bias": [round(b, 4) for b in bias]}
        offset += len(names)
    return LearnedModel(
        format=FEATURES_VERSION,
        trained_on=trained_on,
        examples=len(rows),
        heads=heads,
        slots=offset,
        weights=weights,
    )


def _sign(k: int) -> float:
    # A two-class model keeps one coefficient row, for its second class.
    return 1.0 if k == 1 else -1.0


def _binary(model: Any, k: int) -> Any:
    return model.coef_[0] * _sign(k)


def training_rows(root: Path, rules: CoachRules) -> tuple[list[Row], list[str]]:
    chosen = [b for b in batches(root) if b.tuned_on]
    rows = [r for b in chosen for r in rows_of(b, rules)]
    return rows, [b.name for b in chosen]


def train(root: Path, rules: CoachRules) -> LearnedModel:
    rows, names = training_rows(root, rules)
    return fit(rows, names, rules.learning.rules_decide)


def write(model: LearnedModel, path: Path) -> None:
    data = model.model_dump(mode="json")
    data["trained_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")


def labelling_round(batch_name: str) -> str:
    """The labelling round a conversation batch came from: `conv_blind4_zh` → `blind4`."""
    return batch_name.removeprefix("conv_").rsplit("_", 1)[0]


def cross_validate(
    root: Path, rules: CoachRules, folds: int = 4, seed: int = 7, by_round: bool = False
) -> list[tuple[str, Figures]]:
    """Rules alone against rules + learned on the tuned-on conversation batches: every
    conversation falls in one of `folds` folds, and each fold is read by a model trained on
    everything else (whole conversations held out, so context is kept). With `by_round`, a fold
    is one labelling round (both languages' batches of it), which is what a fresh holdout by new
    labellers looks like. Figures per batch, then per language over all its batches."""
    chosen = [b for b in batches(root) if b.tuned_on]
    rows = {b.name: rows_of(b, rules) for b in chosen}
    talks = [b for b in chosen if b.kind == "conversations"]
    keys = [(b.name, c["id"]) for b in talks for c in b.data["conversations"]]
    if by_round:
        rounds = sorted({labelling_round(b.name) for b in talks})
        fold_of = {key: rounds.index(labelling_round(key[0])) for key in keys}
        folds = len(rounds)
    else:
        random.Random(seed).shuffle(keys)
        fold_of = {key: i % folds for i, key in enumerate(keys)}
    plain_rules = rules.model_copy(update={"learned": None})
    figures = {
        (b.name, reader): Figures(b.name, b.language, b.kind, True)
        for b in talks
        for reader in ("rules", "rules + learned")
    }
    for k in range(folds):
        train_rows = [
            r
            for name, batch_rows in rows.items()
            for r in batch_rows
            if fold_of.get((name, r.example.conversation or "")) != k
        ]
        model = fit(train_rows, [], rules.learning.rules_decide)
        learned_rules = rules.model_copy(update={"learned": model})
        for batch in talks:
            held = [c for c in batch.data["conversations"] if fold_of[(batch.name, c["id"])] == k]
            test = replace(batch, data={**batch.data, "conversations": held})
            for reader, r in (("rules", plain_rules), ("rules + learned", learned_rules)):

                def read(text: str, context: CoachContext, r: CoachRules = r) -> Coaching:
                    return analyzer.read(text, r, context)

                for example, _, coaching in replay(test, read):
                    figures[(batch.name, reader)].add(example, coaching)
    out = [(reader, f) for (_, reader), f in figures.items()]
    for language in sorted({b.language for b in talks}, reverse=True):
        for reader in ("rules", "rules + learned"):
            pooled = Figures(f"all {language}", language, "conversations", True)
            for (_, who), f in figures.items():
                if who == reader and f.language == language:
                    pooled.merge(f)
            out.append((reader, pooled))
    return out
