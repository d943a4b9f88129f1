"""Bar charts as SVG geometry (pure): stacked bars per period, hidden counts drawn as such."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT, BOTTOM, LEFT = 320, 150, 20, 28


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str  # bar--<series index> or bar--hidden
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[Label]  # under the bars
    ticks: list[Label]  # the scale, left
    baseline: float
    empty: bool
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css, name) drawn


def stacked(columns: Sequence[str], totals: Sequence[int | None],
            series: Sequence[tuple[str, Sequence[int | None]]], hidden_label: str) -> Chart:
    """One bar per column, its total split into the shown series; what the shown parts do
    not account for (hidden cells) is drawn as one "hidden" segment. A hidden total is
    drawn as a marker of unknown height."""
    known = [t for t in totals if t is not None]
    top = max(known, default=0) or 1
    plot = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / max(1, len(columns))
    bar = step * 0.6
    rects: list[Rect] = []
    labels: list[Label] = []
    for i, (column, total) in enumerate(zip(columns, totals, strict=True)):
        x = LEFT + i * step + (step - bar) / 2
        labels.append(Label(x + bar / 2, HEIGHT - 6, column))
        if total is None:
            rects.append(Rect(x, plot - 12, bar, 12, "bar--hidden", hidden_label))
            continue
        y = float(plot)
        shown = 0
        for index, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot * value / top
            y -= h
            shown += value
            rects.append(Rect(x, y, bar, h, f"bar--{index % 6}", f"{column} · {name}: {value}"))
        rest = total - shown
        if rest > 0:
            h = plot * rest / top
            rects.append(Rect(x, y - h, bar, h, "bar--hidden", f"{column} · {hidden_label}"))
    ticks = [Label(LEFT - 4, plot - plot * f, str(round(top * f))) for f in (0, 0.5, 1)]
    drawn = {r.css for r in rects}
    legend = [(f"bar--{index % 6}", name) for index, (name, _values) in enumerate(series)
              if f"bar--{index % 6}" in drawn]
    if "bar--hidden" in drawn:
        legend.append(("bar--hidden", hidden_label))
    return Chart(WIDTH, HEIGHT, rects, labels, ticks, plot, not known or max(known) == 0,
                 legend)
