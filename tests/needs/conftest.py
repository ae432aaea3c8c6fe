from __future__ import annotations

from pathlib import Path

import pytest

from app.playbook import needs as needs_playbook
from app.playbook import scoring as scoring_playbook
from app.playbook.needs import NeedsRules
from app.playbook.scoring import ScoringRubric

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbook"


@pytest.fixture(scope="session")
def needs_rules() -> NeedsRules:
    return needs_playbook.load(PLAYBOOK)


@pytest.fixture(scope="session")
def rubric() -> ScoringRubric:
    return scoring_playbook.load(PLAYBOOK)
