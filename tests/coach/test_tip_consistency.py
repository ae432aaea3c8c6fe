"""A tip never contradicts the turn it is shown under (issue #11, item 2).

Over every labelled utterance and every tuned-on labelled conversation in data/labelled/ (new
batches in data/labelled/conversations/ are picked up as they land, holdouts included), each rep
turn is tipped twice: from its labels (what a trainer says the turn is) and from the coach's own
reading, each in its conversation. A tip must not
- ask to re-ask openly when the question was open;
- say to hold the pitch when there was no pitch;
- ask for a next step when one with a time was proposed in this turn or earlier (and not put
  off by the customer);
- ask a question after a goodbye;
and it is in the session's language, fully rendered, and cites only customer turns whose words
it quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from app.coach import tips
from app.coach.analyzer import read
from app.coach.labelled import batches
from app.coach.schemas import CoachContext, Coaching, EarlierTurn, NextStepSignal, Signals
from app.playbook.loader import Playbook, load_playbook
from app.playbook.persona import Language, Persona
from app.review.labels import LabelledBatch, LabelledTurn
from app.roleplay.transcript import TranscriptTurn
from tests.coach.conftest import LABELLED, labelled_openers, labelled_utterances

PLAYBOOK: Playbook = load_playbook(Path(__file__).resolve().parents[2] / "playbook")
HAN = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r'[“"]([^“”"]+)[”"] ?\(#(\d+)\)')
INNER_QUOTES = str.maketrans({'"': "'", "“": "'", "”": "'"})
# Every conversation batch, holdouts included: a tip must never contradict its turn, whoever
# labelled it and whether or not the coach was tuned on it.
CONVERSATIONS = [b.path for b in batches(LABELLED) if b.kind == "conversations"]


def persona_for(language: Language, card: dict[str, str] | None = None) -> Persona:
    """The customer of a labelled conversation as a persona (no hidden facts: none revealed)."""
    card = card or {}
    fallback = PLAYBOOK.personas["chen-logistics" if language == "zh" else "morgan-saas"]
    return Persona(
        id="labelled-customer",
        language=language,
        name=card.get("name") or fallback.name,
        title=card.get("title") or fallback.title,
        company=card.get("company") or fallback.company,
        industry=card.get("industry") or fallback.industry,
    )


def labelled_reading(turn: LabelledTurn, language: Language) -> Coaching:
    step = turn.next_step
    return Coaching(
        language=language,
        spin=turn.spin,
        question=turn.question,
        signals=Signals(
            **dict.fromkeys(turn.behaviours, True),
            repeat_of=turn.repeat_of,
            next_step=NextStepSignal(
                proposed=step is not None,
                has_concrete_time=step is not None and step.time is not None,
                time_text=step.time if step else None,
            ),
        ),
    )


def problems(tip: tips.Tip, reading: Coaching, history: list[TranscriptTurn]) -> list[str]:
    """What is wrong with this tip under this reading (empty when nothing)."""
    found: list[str] = []
    s = reading.signals
    if reading.question == "open" and "ask_openly" in tip.says:
        found.append("asks to reopen an open question")
    if not (s.pitch or "premature_pitch" in reading.flags) and "hold_pitch" in tip.says:
        found.append("says hold the pitch without a pitch")
    timed = [t for t in history if t.speaker == "rep" and t.coaching is not None]
    timed = [t for t in timed if t.coaching and t.coaching.signals.next_step.has_concrete_time]
    put_off = {t.seq - 1 for t in history if t.act == "defer_next_step"}
    earlier = any(t.seq not in put_off for t in timed)
    if (s.next_step.has_concrete_time or earlier) and "propose_next_step" in tip.says:
        found.append("asks for a next step after one with a time")
    if s.goodbye and "ask_question" in tip.says:
        found.append("asks a question after a goodbye")
    if not tip.text or "{" in tip.text or "}" in tip.text:
        found.append("not fully rendered")
    if reading.language == "zh" and not HAN.search(tip.text):
        found.append("not in Chinese")
    # The customer's own words may be quoted as said (a mixed zh-en customer).
    if reading.language == "en" and HAN.search(QUOTED.sub("", tip.text)):
        found.append("Chinese in an English tip")
    said = {t.seq: t.text for t in history if t.speaker == "customer"}
    for quote, seq in QUOTED.findall(tip.text):
        # A quote inside the customer's words is shown in single quotes.
        words = said.get(int(seq), "").translate(INNER_QUOTES)
        if int(seq) not in said or quote.rstrip("…").translate(INNER_QUOTES) not in words:
            found.append(f"quotes #{seq} with words it did not say")
    return found


def conversations() -> Iterator[tuple[str, Language, str, dict[str, str], list[LabelledTurn]]]:
    for path in CONVERSATIONS:
        batch = LabelledBatch.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for conv in batch.conversations:
            language = conv.language or batch.language or "en"
            yield f"{path.name}:{conv.id}", language, conv.scenario, conv.customer, conv.turns


def test_the_labelled_conversations_are_there() -> None:
    found = list(conversations())
    assert len(found) >= 20
    assert {language for _, language, *_ in found} == {"zh", "en"}


@pytest.mark.parametrize("path", CONVERSATIONS, ids=lambda p: p.name)
def test_no_tip_contradicts_its_turn_in_labelled_conversations(path: Path) -> None:
    wrong: list[str] = []
    checked = 0
    for name, language, scenario, card, turns in conversations():
        if not name.startswith(path.name + ":"):
            continue
        persona = persona_for(language, card)
        labelled: list[TranscriptTurn] = []  # the conversation with the trainer's readings
        coached: list[TranscriptTurn] = []  # the same with the coach's readings
        for seq, turn in enumerate(turns, start=1):
            if turn.rep is None:
                text = turn.customer or ""
                for history in (labelled, coached):
                    history.append(TranscriptTurn(seq=seq, speaker="customer", text=text))
                continue
            context = CoachContext.of(
                scenario, [EarlierTurn.model_validate(t.model_dump()) for t in coached]
            )
            readings = {
                "labels": (labelled_reading(turn, language), labelled),
                "coach": (read(turn.rep, PLAYBOOK.coach, context, language=language), coached),
            }
            for source, (reading, history) in readings.items():
                tip = tips.next_best_move(
                    reading,
                    history,
                    persona,
                    scenario,  # type: ignore[arg-type]
                    PLAYBOOK,
                    rep_text=turn.rep,
                )
                checked += 1
                for problem in problems(tip, reading, history):
                    wrong.append(f"{name} #{seq} ({source}) {problem}: {turn.rep} -> {tip.text}")
                history.append(
                    TranscriptTurn(seq=seq, speaker="rep", text=turn.rep, coaching=reading)
                )
    assert checked > 0
    assert not wrong, "\n".join(wrong[:40])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_tip_contradicts_a_labelled_utterance(language: Language) -> None:
    persona = persona_for(language)
    wrong: list[str] = []
    items = [i for i in labelled_utterances() if i["language"] == language]
    assert items
    for item in items:
        labels = Coaching(language=language, spin=item["spin"], question=item["question"])
        for scenario in ("discovery", "cold_call"):
            coach = read(
                item["text"],
                PLAYBOOK.coach,
                CoachContext(scenario=scenario, rep_turn_index=2),
                language=language,
            )
            for source, reading in (("labels", labels), ("coach", coach)):
                tip = tips.next_best_move(
                    reading, [], persona, scenario, PLAYBOOK, rep_text=item["text"]
                )
                for problem in problems(tip, reading, []):
                    wrong.append(f"{item['source']} ({source}) {problem}: {item['text']}")
    assert not wrong, "\n".join(wrong[:40])


def test_no_tip_contradicts_a_labelled_opener() -> None:
    wrong: list[str] = []
    for item in labelled_openers():
        language: Language = item["language"]
        reading = read(
            item["text"],
            PLAYBOOK.coach,
            CoachContext(scenario="cold_call"),
            language=language,
        )
        assert reading.opener is not None
        tip = tips.next_best_move(
            reading, [], persona_for(language), "cold_call", PLAYBOOK, rep_text=item["text"]
        )
        found = [k for k, v in reading.opener.model_dump().items() if v is False]
        # The tip fixes a check the opener missed, or says it is complete when none is.
        if found and tip.kind not in {f"opener_{k}" for k in found}:
            wrong.append(f"{item['source']}: {tip.kind} for missed {found}: {item['text']}")
        if not found and tip.kind != "opener_complete":
            wrong.append(f"{item['source']}: {tip.kind} for a complete opener: {item['text']}")
        wrong += [f"{item['source']}: {p}" for p in problems(tip, reading, [])]
    assert not wrong, "\n".join(wrong[:40])
