"""A wave's progress over time as a line chart (issue 30 point 3), worked out on the server: one
line per state (PROGRESS_STATES), one point per `status` call recorded in the run index. The
page draws it as inline SVG from these numbers: no script, nothing fetched, and no inline
style (the Content-Security-Policy allows styles from the app's own stylesheet only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from importer.model.progress import PROGRESS_STATES

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 16, 40  # room for the axes' labels (a time is ~100px wide)
LABELS = 6  # times written under the axis at most; more would overlap


@dataclass(frozen=True)
class Series:
    state: str
    css: str  # the stylesheet's class for this state's colour
    points: tuple[tuple[float, float, int], ...]  # x, y and the count drawn there

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


@dataclass(frozen=True)
class Chart:
    series: tuple[Series, ...]
    times: tuple[tuple[float, str], ...]  # x and when a status call read the site (some calls)
    ticks: tuple[tuple[float, int], ...]  # y and the count it marks
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    right: float = WIDTH - RIGHT


def progress_chart(history: Sequence[Mapping[str, Any]]) -> Chart | None:
    """The chart of a status report's progress_history; None without a reading to draw."""
    calls = [h for h in history if isinstance(h.get("read_at"), str)]
    if not calls:
        return None
    top = max(max((_count(h, s) for h in calls for s in PROGRESS_STATES), default=0), 1)
    span_x, span_y = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = span_x / (len(calls) - 1) if len(calls) > 1 else 0.0
    xs = [LEFT + i * step if len(calls) > 1 else LEFT + span_x / 2 for i in range(len(calls))]

    def y(count: int) -> float:
        return TOP + span_y * (1 - count / top)

    series = tuple(
        Series(
            state,
            "p-" + state.replace(" ", "-"),
            tuple((x, y(_count(h, state)), _count(h, state)) for x, h in zip(xs, calls, strict=True)),
        )
        for state in PROGRESS_STATES
    )
    every = -(-len(calls) // LABELS)
    times = tuple(
        (x, str(h["read_at"])[:16].replace("T", " "))
        for i, (x, h) in enumerate(zip(xs, calls, strict=True))
        if i % every == 0 or i == len(calls) - 1
    )
    ticks = tuple(dict.fromkeys((0, top // 2, top)))
    return Chart(series, times, tuple((y(t), t) for t in ticks))


def _count(reading: Mapping[str, Any], state: str) -> int:
    value = reading.get(state)
    return value if isinstance(value, int) and value >= 0 else 0
