"""Horizontal bar charts as inline SVG, laid out here and drawn by a template.

No chart library: a bar chart is rectangles and text. Coordinates are in the SVG's
own units (`viewBox`); the browser scales the whole drawing to the column's width, so
it is as readable on a phone as at 1280 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LABEL_WIDTH = 180
BAR_WIDTH = 300
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 6
LABEL_CHARS = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: int
    width: int
    css_class: str
    href: str

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

    @property
    def bar_x(self) -> int:
        return LABEL_WIDTH

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bar_chart(
    title: str,
    rows: list[tuple[str, Decimal, str, str, str]],
    *,
    scale_max: Decimal | None = None,
) -> BarChart:
    """Rows of (label, value, value text, css class, link); bars scaled to the largest
    value (or `scale_max`, e.g. 100 for percentages)."""
    top = scale_max if scale_max is not None else max((r[1] for r in rows), default=Decimal(0))
    bars = []
    for index, (label, value, text, css, href) in enumerate(rows):
        width = int(BAR_WIDTH * value / top) if top > 0 else 0
        bars.append(
            Bar(
                label=_short(label),
                value_text=text,
                y=TOP + index * ROW_HEIGHT,
                width=max(width, 2 if value > 0 else 0),
                css_class=css,
                href=href,
            )
        )
    return BarChart(title=title, bars=tuple(bars))
