"""Tiny inline SVG bar charts for the campaign report: no JavaScript, no network, text escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = {"高风险": "#c0392b", "中风险": "#e67e22", "低风险": "#f1c40f", "无明显风险": "#95a5a6"}
DEFAULT_COLOUR = "#2c7fb8"


def bar_chart(items: Sequence[tuple[str, float]], unit: str = "", width: int = 640) -> str:
    """Horizontal bars, one per (label, value), labelled with the value."""
    if not items:
        return "<p>（无数据）</p>"
    row, label_w = 26, 190
    top = max(value for _, value in items) or 1.0
    bars = []
    for i, (label, value) in enumerate(items):
        y = i * row
        length = max(1.0, (width - label_w - 80) * value / top)
        colour = PALETTE.get(label, DEFAULT_COLOUR)
        bars.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 17}">{value:,.0f}{escape(unit)}</text>'
        )
    height = row * len(items)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-size="13" font-family="sans-serif" role="img">{"".join(bars)}</svg>'
    )
