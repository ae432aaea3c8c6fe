"""Readings found wrong while playing whole calls as a trainer (each was wrong before its fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.coach.analyzer import analyze
from app.playbook.loader import load_playbook

RULES = load_playbook(Path(__file__).resolve().parents[2] / "playbook").coach


@pytest.mark.parametrize(
    "text",
    ["咱们门店现在订货是怎么做的?", "现在采购流程是怎样的?"],
)
def test_asking_how_ordering_works_is_not_a_hard_close(text: str) -> None:
    reading = analyze(text, RULES)
    assert reading.spin == "situation" and not reading.signals.hard_close


@pytest.mark.parametrize("text", ["今天就定下来吧,给您打九折", "现在就买的话我给您留个名额"])
def test_asking_to_buy_now_is_still_a_hard_close(text: str) -> None:
    assert analyze(text, RULES).signals.hard_close


@pytest.mark.parametrize(
    "text",
    [
        "What has that cost the district over the last year?",
        "What did the downtime cost the plant last quarter?",
    ],
)
def test_what_a_problem_has_cost_is_an_open_implication_question(text: str) -> None:
    reading = analyze(text, RULES)
    assert (reading.spin, reading.question) == ("implication", "open")


def test_asking_a_price_is_not_an_implication() -> None:
    assert analyze("What does the new system cost?", RULES).spin != "implication"
