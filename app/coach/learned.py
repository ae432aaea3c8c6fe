"""The learned layer: linear models over character n-grams, the rules' own reading and the
conversation, trained from data/labelled/ by `salescoach coach train`.

Inference is a dict lookup per feature and one numpy sum over the features' weight rows.
The model file (JSON) holds one weight list per feature, over the slots of every head:
- `spin`: none, situation, problem, implication, need_payoff (softmax);
- `question`: none, open, closed (softmax);
- one binary head per behaviour it was trained on (sigmoid).
Features are strings; `features` is the one definition both training and reading use, so a
model trained on one version of the features is refused by another (`FEATURES_VERSION`).
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from app.playbook.lookahead import compile_finders

if TYPE_CHECKING:
    from collections.abc import Mapping

    from app.coach.analyzer import Conversation, Utterance
    from app.coach.schemas import CoachContext, Coaching
    from app.playbook.coaching import Patterns

FEATURES_VERSION = 4
SPIN_CLASSES = ("none", "situation", "problem", "implication", "need_payoff")
QUESTION_CLASSES = ("none", "open", "closed")
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
PUNCT = re.compile(r"[\s,.;:!?。,、…\"'()\-–—~～]+")
# A price, a discount or a free extra ("20% off", "八折", "$1,800", "三个月免费").
PRICE = re.compile(
    r"[$¥€£]\s?\d|\d\s*(?:%|percent|k\b|元|块|万)|\b(?:off|discount\w*|free|price\w*|deal|"
    r"cost[s]?|per (?:month|year|seat|user))\b|[一二三四五六七八九\d]折|优惠|免费|价格|报价|赠送|送[一二三四五六七八九十\d]"
)
# The customer's business addressed ("your team", "你们公司"): discovery, not chat.
YOUR_BUSINESS = re.compile(
    r"\b(?:your|ur|you guys'?) (?:\w+ )?(?:team|company|business|customers?|clients?|staff|people|"
    r"process\w*|sales|ops|operations|department|org\w*|site|sites|plant|store|stores|reps?|"
    r"agents?|drivers?|system|tools?|setup|workflow|numbers|budget|board|boss|patients|students)\b"
    r"|你们|贵(?:司|公司|院|校|厂)|咱们|您这边|你们这边|公司|团队|门店|工厂|客户"
)
LIST_MARK = re.compile(r"[,,、;;]")
# Only whether they match is asked: searched as finders (same answer, a fraction of the time).
_PRICE = compile_finders([PRICE.pattern], PRICE.flags)
_YOUR_BUSINESS = compile_finders([YOUR_BUSINESS.pattern], YOUR_BUSINESS.flags)


def _found(finders: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(rx.search(text) is not None for rx in finders)


class Head(BaseModel):
    """One prediction: its classes (binary heads have one) and where their slots start."""

    classes: list[str]
    offset: int
    bias: list[float]


class LearnedModel(BaseModel):
    """A trained model file: heads, weights per feature, and where it came from."""

    format: int = FEATURES_VERSION
    trained_on: list[str] = Field(default_factory=list)
    examples: int = 0
    heads: dict[str, Head]
    slots: int
    # feature -> [[slot, weight], ...] (only the non-zero ones)
    weights: dict[str, list[tuple[int, float]]]

    @cached_property
    def _bias(self) -> tuple[float, ...]:
        out = [0.0] * self.slots
        for head in self.heads.values():
            out[head.offset : head.offset + len(head.bias)] = head.bias
        return tuple(out)

    @cached_property
    def _matrix(self) -> tuple[dict[str, int], npt.NDArray[np.float64]]:
        """The biases in row 0, then each feature's weights over all slots (zero where it has
        none), and each feature's row, built once: numpy sums the rows of a turn's features in
        a fraction of the time Python takes column by column."""
        rows = np.zeros((len(self.weights) + 1, self.slots))
        rows[0] = self._bias
        index: dict[str, int] = {}
        for row, (feature, pairs) in enumerate(self.weights.items(), start=1):
            index[feature] = row
            for slot, w in pairs:
                rows[row, slot] += w
        return index, rows

    def scores(self, feats: list[str]) -> list[float]:
        index, rows = self._matrix
        # Features are present or not, as in training: a repeated n-gram counts once. Row 0
        # (the biases) is first, and no feature's row is 0.
        picked = [0]
        picked += filter(None, map(index.get, set(feats)))
        # Each slot: its bias, then the features' weights in turn (down the rows, in order).
        scores: list[float] = np.add.reduce(rows.take(picked, axis=0), axis=0).tolist()
        return scores

    @cached_property
    def _layout(self) -> tuple[tuple[str, int, int, list[str]], ...]:
        return tuple(
            (name, head.offset, head.offset + len(head.bias), head.classes)
            for name, head in self.heads.items()
        )

    def predict(self, feats: list[str]) -> dict[str, tuple[str, float]]:
        """Per head, the most likely class and its probability (binary heads: "yes" / "no")."""
        scores = self.scores(feats)
        out: dict[str, tuple[str, float]] = {}
        exp = math.exp
        for name, start, end, classes in self._layout:
            if len(classes) == 1:
                p = 1 / (1 + exp(-max(-30.0, min(30.0, scores[start]))))
                out[name] = ("yes", p) if p >= 0.5 else ("no", 1 - p)
                continue
            values = scores[start:end]
            top = max(values)
            exps = [exp(v - top) for v in values]
            best = values.index(top)  # the first of equal scores, as max() picks
            out[name] = (classes[best], exps[best] / sum(exps))
        return out


def load_model(path: Path) -> LearnedModel | None:
    """The model file, or None when it is missing or was trained on other features."""
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FEATURES_VERSION:
        return None
    return LearnedModel.model_validate(data)


def _ngrams(text: str, language: str) -> list[str]:
    low = text.lower()
    if language == "zh":
        chars = PUNCT.sub(" ", low).strip()
        chars = f"^{chars}$"
        grams = [f"c1:{c}" for c in chars if c != " "]
        grams += [f"c2:{chars[i : i + 2]}" for i in range(len(chars) - 1)]
        grams += [f"c3:{chars[i : i + 3]}" for i in range(len(chars) - 2)]
        return grams
    words = TOKEN.findall(low)
    grams = [f"w:{w}" for w in words]
    grams += [f"w2:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    if words:
        grams += [f"first:{words[0]}", f"last:{words[-1]}"]
    if len(words) > 1:
        grams.append(f"first2:{words[0]} {words[1]}")
    return grams


def features(
    u: Utterance,
    conv: Conversation,
    ctx: CoachContext,
    reading: Coaching,
    cues: Mapping[str, Patterns],
) -> list[str]:
    """What the learned layer sees of a rep turn: its n-grams, the rules' reading of it, the
    playbook's cue words (learned.yaml `cues`) and what the conversation so far says."""
    s = reading.signals
    feats = _ngrams(u.text, u.language)
    # The questions' own n-grams: the SPIN type is the question's, not the preamble's.
    asked = [q.text for q in u.sentences if q.is_question]
    if asked and len(asked) < len(u.sentences):
        feats += [f"q.{g}" for g in _ngrams(" ".join(asked), u.language)]
    feats += [
        f"lang:{u.language}",
        f"r.spin:{reading.spin}",
        f"r.q:{reading.question}",
        f"r.spin.q:{reading.spin}:{reading.question}",
        f"r.score:{min(int(u.score), 8)}",
        f"r.questions:{min(s.question_count, 3)}",
        f"len:{min(len(u.text) // (12 if u.language == 'zh' else 40), 6)}",
        f"x.scenario:{ctx.scenario}",
        f"x.stage:{ctx.stage}",
    ]
    feats += [f"r.shown:{name}" for name in sorted(u.shown)]
    feats += [f"r.cue:{name}" for name in sorted(u.cues)]
    if u.claims:
        feats.append("r.claim")
    for name in (
        "small_talk",
        "acknowledgement",
        "summary",
        "value_point",
        "pitch",
        "hard_close",
        "off_topic",
        "meta",
        "goodbye",
    ):
        if getattr(s, name):
            feats.append(f"r.sig:{name}")
    if s.next_step.proposed:
        feats.append("r.sig:next_step")
    if s.next_step.has_concrete_time:
        feats.append("r.sig:next_step_time")
    idx = ctx.rep_turn_index
    text = u.text
    low = text.lower()
    feats += [
        f"t.lists:{min(len(LIST_MARK.findall(text)), 6)}",
        f"t.sentences:{min(len(u.sentences), 4)}",
        f"x.echo:{_bucket(conv.echo)}",
        f"x.echo_pain:{_bucket(conv.echo_pain)}",
        f"x.figures:{min(conv.figures_echoed, 3)}",
    ]
    marks = {
        "t.qmark": "?" in text,
        "t.ends_q": text.rstrip().endswith("?"),
        "t.time": conv.names_time,
        "t.price": _found(_PRICE, low),
        "t.your_business": _found(_YOUR_BUSINESS, low),
        "t.digits": any(map(str.isdigit, text)),
        "x.pain": conv.pain_named,
        "x.payoff": conv.payoff_stated,
        "x.rapport_done": conv.rapport_done,
        "x.business": conv.business,
        "x.repeat": conv.repeat_of is not None,
        "c.pain": conv.last_pain,
        "c.asked": conv.last_asked,
    }
    feats += [name for name, on in marks.items() if on]
    # Cue words in what the turn states and in what it asks apart: "we help clinics like yours"
    # claims, "how do you help your clinics?" asks; each with the conversation around it (a
    # claim after a pain is named, or right after the customer named one; chat once rapport is
    # done).
    stated = " ".join(q.text for q in u.sentences if not q.is_question)
    asked_text = " ".join(asked) if asked else ""
    asks = u.question is not None
    for name, patterns in cues.items():
        where = "s" if stated and patterns.found(stated, u.language) else ""
        if asked_text and patterns.found(asked_text, u.language):
            where += "q"
        if where:
            feats += [
                f"k.{name}",
                f"k.{name}.{where}",
                f"j.k.{name}.pain:{conv.pain_named}",
                f"j.k.{name}.last_pain:{conv.last_pain}",
                f"j.k.{name}.rapport:{conv.rapport_done}",
                f"j.k.{name}.asks:{asks}",
            ]
    # Conjunctions a linear model cannot form: a claim that restates the customer's pain is a
    # value point, one that does not a pitch; chat early is rapport, later off the topic.
    claim = "claim" if u.claims else "noclaim"
    feats += [
        f"j.{claim}.pain:{conv.pain_named}",
        f"j.{claim}.echo:{_bucket(conv.echo_pain)}",
        f"j.q.echo:{reading.question}:{_bucket(conv.echo)}",
        f"j.qmark.biz:{marks['t.qmark']}:{marks['t.your_business']}",
    ]
    if ctx.scenario is not None:
        # Where the turn sits in the call (a turn read alone has no place in one).
        feats += [
            f"x.turn:{min(idx, 4)}",
            f"x.turnb:{min(idx, 12) // 3}",
            f"j.biz.turn:{marks['t.your_business']}:{min(idx, 3)}",
        ]
    return feats


def _bucket(share: float) -> int:
    """A share of words in four steps: none, some, about half, most."""
    return 0 if share == 0 else 1 if share < 0.3 else 2 if share < 0.6 else 3
