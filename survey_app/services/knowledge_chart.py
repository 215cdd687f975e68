"""The geometry of a municipality's history chart: recommended, requested, decided and settled per year.

Drawn as SVG by ``templates/staff/_history.html``; the table beside it is its text alternative. Each series
differs by colour (each at least 5:1 against white, WCAG 1.4.11 asks 3:1), by line style and by marker, so
that none depends on telling colours apart. A year without a value breaks the line instead of drawing
through it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 34


class _Year(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def recommended(self) -> int | None: ...
    @property
    def requested(self) -> int | None: ...
    @property
    def decided(self) -> int | None: ...
    @property
    def settled(self) -> int | None: ...


@dataclass(frozen=True)
class Style:
    key: str
    label: str
    colour: str
    dash: str  # stroke-dasharray; "" is solid
    marker: str  # circle, square, triangle, diamond
    # The request is often the recommendation: the solid line is drawn first and wider, so that it shows
    # on both sides of the dashed line drawn over it.
    width: float = 2.5
    size: float = 4.5  # the marker's radius

    @property
    def legend_marker(self) -> str:
        """The marker in the middle of the legend's 44 × 14 sample."""
        return marker_path(self.marker, 22, 7, min(self.size, 6) * 0.75)


STYLES = (
    Style("recommended", "Anbefalt av fylket", "#0062BA", "", "circle", 6, 6.5),
    Style("requested", "Anmodet av IMDi", "#B34700", "8 4", "square"),
    Style("decided", "Vedtatt av kommunestyret", "#1A7F37", "2 4", "triangle"),
    Style("settled", "Bosatt", "#6F2DA8", "10 4 2 4", "diamond"),
)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    year: int
    value: int
    marker: str  # an SVG path around (x, y)


@dataclass(frozen=True)
class Series:
    style: Style
    path: str  # "" when the series has fewer than two neighbouring values
    points: list[Point]


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: list[Series]
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, int]]  # (x, year)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def nice_max(value: float) -> tuple[int, int]:
    """An axis maximum at or above ``value`` and its tick step: 1, 2 or 5 times a power of ten, ≤ 5 steps."""
    if value <= 0:
        return 10, 2
    for exponent in range(0, 8):
        for base in (1, 2, 5):
            step = base * 10**exponent
            if math.ceil(value / step) <= 5:
                return step * max(1, math.ceil(value / step)), step
    return int(value), int(value)


def marker_path(shape: str, x: float, y: float, r: float = 4.5) -> str:
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r - 1:.1f}L{x + r + 0.5:.1f},{y + r:.1f}L{x - r - 0.5:.1f},{y + r:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r - 1:.1f}L{x + r + 1:.1f},{y:.1f}L{x:.1f},{y + r + 1:.1f}L{x - r - 1:.1f},{y:.1f}Z"
    return f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0Z"


def history_chart(years: Sequence[_Year]) -> HistoryChart:
    """Lay out the four series over the years of a municipality's history (oldest first)."""
    values = [getattr(y, s.key) for y in years for s in STYLES]
    top_value, step = nice_max(max((v for v in values if v is not None), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max(1, len(years) - 1)

    def x_of(i: int) -> float:
        return LEFT + (plot_w / 2 if len(years) == 1 else plot_w * i / span)

    def y_of(v: float) -> float:
        return TOP + plot_h * (1 - v / top_value)

    series = []
    for style in STYLES:
        points, parts, previous = [], [], False
        for i, y in enumerate(years):
            value = getattr(y, style.key)
            if value is None:
                previous = False
                continue
            px, py = x_of(i), y_of(value)
            marker = marker_path(style.marker, px, py, style.size)
            points.append(Point(round(px, 1), round(py, 1), y.year, value, marker))
            parts.append(f"{'L' if previous else 'M'}{px:.1f},{py:.1f}")
            previous = True
        path = "".join(parts) if any(p.startswith("L") for p in parts) else ""
        series.append(Series(style, path, points))
    y_ticks = [(round(y_of(v), 1), v) for v in range(0, top_value + 1, step)]
    x_ticks = [(round(x_of(i), 1), y.year) for i, y in enumerate(years)]
    return HistoryChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, series, y_ticks, x_ticks)
