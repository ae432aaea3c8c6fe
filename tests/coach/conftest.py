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


def labelled_utterances() -> list[dict[str, Any]]:
    """Every labelled rep utterance, each with its language and split (dev or holdout)."""
    items: list[dict[str, Any]] = []
    for lang in ("zh", "en"):
        data = yaml.safe_load((LABELLED / f"utterances_{lang}.yaml").read_text(encoding="utf-8"))
        for item in data["items"]:
            items.append({"language": lang, "split": "dev", **item})
    return items


def labelled_openers() -> list[dict[str, Any]]:
    data = yaml.safe_load((LABELLED / "openers.yaml").read_text(encoding="utf-8"))
    return [{"split": "dev", **item} for item in data["items"]]
