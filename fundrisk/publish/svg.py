"""Tiny inline SVG bar charts for the campaign report: no JavaScript, no network, text escaped.

When the largest bar is many times the smallest (2,882 subjects of the lowest tier beside 59 of the second
highest) a linear axis turns the tiers an official cares about into slivers, so the axis switches to a
log scale, says so under the chart, and every bar keeps its real count (and, when asked, its share) as
its label. A bar labelled with a tier's name takes the tier's colour from tiers.toml.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from scoring.config import tier_scale

DEFAULT_COLOUR = "#2c7fb8"
GRID_COLOUR = "#dddddd"
LOG_FROM = 20.0  # largest / smallest non-zero value from which the axis is logarithmic
LOG_NOTE = "横轴为对数刻度（每格为10倍），条旁数字为实际数量"


def needs_log(values: Sequence[float]) -> bool:
    """True when a linear axis would squeeze the smaller non-zero bars into slivers."""
    positive = [v for v in values if v > 0]
    return len(positive) > 1 and max(positive) / min(positive) >= LOG_FROM


def _length(value: float, top: float, span: float, log: bool) -> float:
    if value <= 0:
        return 0.0
    share = math.log10(1 + value) / math.log10(1 + top) if log else value / top
    return max(2.0, span * share)


def _grid(top: float, span: float, x0: int, height: int) -> list[str]:
    """Vertical lines at 1, 10, 100 … with their values, under the bars of a log chart."""
    lines = []
    for power in range(int(math.log10(top)) + 1):
        x = x0 + span * math.log10(1 + 10**power) / math.log10(1 + top)
        lines.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{x:.1f}" y="{height + 14}" text-anchor="middle" fill="#888" font-size="11">'
            f"{10**power:,}</text>"
        )
    return lines


def bar_chart(
    items: Sequence[tuple[str, float]],
    unit: str = "",
    width: int = 640,
    *,
    log: bool | None = None,
    shares: bool = False,
    colour: str | None = None,
) -> str:
    """Horizontal bars, one per (label, value), labelled with the value (and its share of the total).

    `log` None picks the scale by `needs_log`; a log chart draws its decades and says it is logarithmic.
    Bars take their tier's colour when the label is a tier, else `colour` or the default blue.
    """
    if not items:
        return "<p>（无数据）</p>"
    values = [value for _, value in items]
    palette = tier_scale().colours  # a tier's bar takes its colour from tiers.toml
    log = needs_log(values) if log is None else log
    row, label_w = 26, 190
    span = width - label_w - 130
    top = max(values) or 1.0
    total = sum(values) or 1.0
    height = row * len(items)
    parts = _grid(top, span, label_w, height) if log else []
    for i, (label, value) in enumerate(items):
        y = i * row
        length = _length(value, top, span, log)
        fill = palette.get(label, colour or DEFAULT_COLOUR)
        share = f"（{value / total:.1%}）" if shares else ""
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{fill}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 17}">{value:,.0f}{escape(unit)}{share}</text>'
        )
    if log:
        parts.append(f'<text x="{label_w}" y="{height + 32}" fill="#666" font-size="12">{LOG_NOTE}</text>')
        height += 40
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-size="13" font-family="sans-serif" role="img" data-scale="{"log" if log else "linear"}">'
        f"{''.join(parts)}</svg>"
    )
