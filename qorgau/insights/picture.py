"""The case at a glance: lanes of marks on one time axis, as SVG geometry (pure).

Incidents by severity, reports and the authorities' responses, orders as bars over their
validity with their breaches, the responses that never came (at the day they fell due),
proceedings, and the risk level as a band. An approximate date is drawn as a range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def gettext_noop(message: str) -> str:
    return message


LANES: tuple[tuple[str, str], ...] = (
    ("abuse", gettext_noop("Incidents")),
    ("reports", gettext_noop("Reports and responses")),
    ("orders", gettext_noop("Protection orders")),
    ("missing", gettext_noop("Responses that never came")),
    ("proceedings", gettext_noop("Proceedings")),
    ("risk", gettext_noop("Risk level")),
)
LANE_HEIGHT, TOP, LEFT, WIDTH = 34, 8, 132, 900
MIN_MARK = 4.0


@dataclass(frozen=True)
class Mark:
    lane: str
    start: date
    end: date | None  # a range (approximate date, or an order's validity), else a point
    css: str  # e.g. "severe", "incident", "report", "response", "order", "breach", "missing"
    label: str  # shown on hover and to screen readers


@dataclass(frozen=True)
class Shape:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    point: bool  # drawn as a diamond (a day) rather than a bar (a range)


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    left: int
    lanes: list[tuple[str, float]]  # (label, y of the lane's middle)
    shapes: list[Shape]
    ticks: list[Tick]
    start: date
    end: date


def draw(marks: Sequence[Mark], today: date, since: date | None = None) -> Picture | None:
    shown = [m for m in marks if (m.end or m.start) >= (since or date.min)]
    if not shown:
        return None
    start = since or min(m.start for m in shown)
    end = max(today, max((m.end or m.start) for m in shown))
    start = date(start.year, 1, 1)
    span = max(1, (end - start).days)
    plot = WIDTH - LEFT - 8

    def x_of(day: date) -> float:
        return LEFT + plot * max(0, (day - start).days) / span

    lane_y = {lane: TOP + i * LANE_HEIGHT for i, (lane, _label) in enumerate(LANES)}
    shapes = []
    for m in sorted(shown, key=lambda m: (m.start, m.lane)):
        y = lane_y[m.lane] + 8
        x0 = x_of(max(m.start, start))
        if m.end is not None and m.end > m.start:
            width = max(MIN_MARK, x_of(m.end) - x0)
            shapes.append(Shape(x0, y, width, LANE_HEIGHT - 16, m.css, m.label, False))
        else:
            shapes.append(Shape(x0, y, 0, LANE_HEIGHT - 16, m.css, m.label, True))
    ticks = []
    years = end.year - start.year + 1
    every = 1 if years <= 12 else 2 if years <= 24 else 5
    for year in range(start.year, end.year + 1):
        if (year - start.year) % every == 0:
            ticks.append(Tick(x_of(date(year, 1, 1)), str(year)))
    height = TOP + LANE_HEIGHT * len(LANES) + 22
    return Picture(WIDTH, height, LEFT,
                   [(label, lane_y[lane] + LANE_HEIGHT / 2) for lane, label in LANES],
                   shapes, ticks, start, end)


def order_end(start: date, valid_days: int | None, default_days: int = 30) -> date:
    return start + timedelta(days=valid_days or default_days)
