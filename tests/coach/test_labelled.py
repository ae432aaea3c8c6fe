"""The labelled set as the coach reads it: conversations replayed in context, trainers' exports."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.coach.analyzer import read
from app.coach.labelled import batches, replay
from app.coach.schemas import CoachContext, Coaching
from app.playbook.coaching import CoachRules


def test_a_trainer_export_trains_on_labelled_turns_and_keeps_the_rest_as_context(
    tmp_path: Path, rules: CoachRules
) -> None:
    # The shape `salescoach labels export` writes: unlabelled rep turns are context only.
    batch = {
        "batch": "trainer_labels_en",
        "language": "en",
        "written_by": "trainers' corrections",
        "tuned_on": False,
        "split": "train",
        "conversations": [
            {
                "id": "s1",
                "scenario": "discovery",
                "turns": [
                    {"rep": "How many drivers do you have?", "context_only": True},
                    {"customer": "About 120."},
                    {
                        "rep": "How many drivers do you have?",
                        "spin": "situation",
                        "question": "closed",
                        "behaviours": [],
                        "next_step": {"time": "Thursday"},
                        "repeat_of": 1,
                        "labelled_by": "trainer1",
                        "labelled_at": "2026-11-30T16:00:00+00:00",
                    },
                ],
            }
        ],
    }
    (tmp_path / "conversations").mkdir()
    (tmp_path / "conversations" / "trainer_labels_en.yaml").write_text(
        yaml.safe_dump(batch), "utf-8"
    )
    (found,) = batches(tmp_path)
    assert (found.name, found.kind, found.tuned_on) == ("trainer_labels_en", "conversations", False)

    def reader(text: str, context: CoachContext) -> Coaching:
        return read(text, rules, context)

    examples = list(replay(found, reader))
    assert len(examples) == 1
    example, context, reading = examples[0]
    assert example.seq == 3 and example.label.repeat_of == 1
    assert example.label.next_step and example.label.next_step_time
    # The context-only turn is in the conversation, with the coach's own reading.
    assert [t.speaker for t in context.earlier] == ["rep", "customer"]
    assert context.earlier[0].coaching is not None
    assert reading.signals.repeat_of == 1
