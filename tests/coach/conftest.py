from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.playbook.coaching import CoachRules, load

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbook"
LABELLED = ROOT / "data" / "labelled"


@pytest.fixture(scope="session")
def rules() -> CoachRules:
    return load(PLAYBOOK)


def _files(kind: str) -> list[Path]:
    return sorted(
        p for p in LABELLED.glob("*.yaml") if ("openers" in p.name) == (kind == "openers")
    )


def labelled_utterances() -> list[dict[str, Any]]:
    """Every labelled rep utterance (the first set and the blind batches written without seeing
    the rules), each with its language and split (dev or holdout)."""
    items: list[dict[str, Any]] = []
    for path in _files("utterances"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["items"]:
            items.append(
                {"language": data["language"], "split": "dev", "source": path.name, **item}
            )
    return items


def labelled_openers() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in _files("openers"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items.extend({"split": "dev", "source": path.name, **item} for item in data["items"])
    return items
