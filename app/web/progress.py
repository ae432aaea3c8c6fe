"""What the chat page shows beside the transcript: the SPIN tracker and the opener checklist.

Both are read from the coaching stored on the rep turns, the same objects the chat page's
script receives live in `coaching` events, so the server and the script agree on the rules:
- SPIN tracker: questions asked per SPIN type; the stage reached is the furthest type of the
  S -> P -> I -> N order that the rep has asked at least once.
- Opener checklist (cold calls): a check is met once any opener reading in the session met it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from app.coach.schemas import Coaching, SpinType

SPIN_ORDER: tuple[SpinType, ...] = get_args(SpinType)
OPENER_CHECKS: tuple[str, ...] = (
    "introduced_self",
    "stated_purpose",
    "named_pain",
    "asked_for_time",
    "within_30_seconds",
)


@dataclass
class SpinTracker:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPIN_ORDER, 0))

    @property
    def stage(self) -> SpinType | None:
        reached = [s for s in SPIN_ORDER if self.counts.get(s, 0) > 0]
        return reached[-1] if reached else None


@dataclass
class OpenerChecklist:
    checks: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(OPENER_CHECKS, False))
    seconds: float | None = None


def spin_tracker(coachings: list[Coaching | None]) -> SpinTracker:
    tracker = SpinTracker()
    for coaching in coachings:
        spin = coaching.spin if coaching else None
        if spin is not None and spin in tracker.counts:
            tracker.counts[spin] += 1
    return tracker


def opener_checklist(coachings: list[Coaching | None]) -> OpenerChecklist:
    checklist = OpenerChecklist()
    for coaching in coachings:
        opener = coaching.opener if coaching else None
        if opener is None:
            continue
        if checklist.seconds is None:
            checklist.seconds = opener.estimated_seconds
        for check in OPENER_CHECKS:
            checklist.checks[check] = checklist.checks[check] or bool(getattr(opener, check))
    return checklist
