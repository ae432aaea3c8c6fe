"""Geometry for the server-rendered SVG charts: the SPIN timeline, score trends, the SPIN mix.

Functions return coordinates only; the templates draw them, so the charts need no script.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.coach.schemas import Coaching
from app.web.progress import SPIN_ORDER

TIMELINE_LANES: tuple[str, ...] = (*SPIN_ORDER, "none")


@dataclass(frozen=True)
class TimelineDot:
    seq: int
    x: float
    y: float
    spin: str  # a SpinType or "none"
    open: bool
    text: str


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    lane_y: dict[str, float]
    dots: list[TimelineDot]
    left: float


def spin_timeline(
    rep_turns: list[tuple[int, str, Coaching | None]],
    *,
    left: float = 118.0,
    step: float = 34.0,
    lane_height: float = 30.0,
) -> Timeline:
    """One dot per rep turn `(seq, text, coaching)`, in order, on the lane of its SPIN type."""
    lane_y = {lane: 20.0 + i * lane_height for i, lane in enumerate(TIMELINE_LANES)}
    dots = []
    for i, (seq, text, coaching) in enumerate(rep_turns):
        spin: str = (coaching.spin if coaching else None) or "none"
        dots.append(
            TimelineDot(
                seq=seq,
                x=left + 16 + i * step,
                y=lane_y[spin],
                spin=spin,
                open=coaching is not None and coaching.question == "open",
                text=text if len(text) <= 80 else text[:79] + "…",
            )
        )
    width = max(left + 32 + len(dots) * step, 360.0)
    height = 20.0 + len(TIMELINE_LANES) * lane_height
    return Timeline(width=width, height=height, lane_y=lane_y, dots=dots, left=left)


def sparkline(
    values: list[float], *, width: float = 160, height: float = 40, top: float = 100.0
) -> str:
    """SVG polyline points for scores 0..top, evenly spaced; one value draws a flat stub."""
    if not values:
        return ""
    pad = 4.0
    span = max(len(values) - 1, 1)
    xs = [pad + i * (width - 2 * pad) / span for i in range(len(values))]
    if len(values) == 1:
        xs = [pad, width - pad]
        values = values * 2
    ys = [height - pad - max(0.0, min(v, top)) / top * (height - 2 * pad) for v in values]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


@dataclass(frozen=True)
class MixSegment:
    spin: str
    x: float
    width: float
    count: int


def spin_mix(mix: dict[str, int], *, width: float = 160) -> list[MixSegment]:
    """A stacked bar of rep turns per SPIN type (then the turns that asked none)."""
    total = sum(mix.get(lane, 0) for lane in TIMELINE_LANES)
    segments: list[MixSegment] = []
    x = 0.0
    for lane in TIMELINE_LANES:
        count = mix.get(lane, 0)
        if not count or not total:
            continue
        w = width * count / total
        segments.append(MixSegment(spin=lane, x=x, width=w, count=count))
        x += w
    return segments


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    value: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    """A score trend with axes: y from 0 to 100 with gridlines, x the sessions in order."""

    width: float
    height: float
    left: float
    bottom: float
    top: float
    right: float
    y_ticks: list[tuple[float, int]]  # (y, value)
    points: list[TrendPoint]
    x_labels: list[TrendPoint]  # the first and last session (and the middle one if wide)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend_chart(
    values: list[tuple[str, float]],
    *,
    width: float = 220,
    height: float = 90,
    ticks: tuple[int, ...] = (0, 50, 100),
) -> TrendChart:
    """Geometry for scores `(label, 0..100)` in time order, with a labelled y axis."""
    left, right, top, bottom = 30.0, 8.0, 8.0, 18.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(v: float) -> float:
        return top + plot_h - max(0.0, min(v, 100.0)) / 100.0 * plot_h

    span = max(len(values) - 1, 1)
    points = [
        TrendPoint(
            x=left + (i / span * plot_w if len(values) > 1 else plot_w / 2),
            y=y_of(v),
            value=v,
            label=label,
        )
        for i, (label, v) in enumerate(values)
    ]
    picks = sorted({0, len(points) - 1} | ({len(points) // 2} if width >= 400 else set()))
    x_labels = [points[i] for i in picks if 0 <= i < len(points)]
    return TrendChart(
        width=width,
        height=height,
        left=left,
        bottom=height - bottom,
        top=top,
        right=width - right,
        y_ticks=[(y_of(t), t) for t in ticks],
        points=points,
        x_labels=x_labels,
    )
