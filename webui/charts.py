"""Charts drawn on the server as SVG: no script, no chart library, and readable by a screen
reader (``role="img"`` with a ``<title>`` and a ``<desc>`` that says the figures; the page
shows the same figures as a table beside each chart).

Colours come from CSS classes (``webui/static/recordings.css``): the content security policy
allows no inline styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 720
ROW_CHART_WIDTH = 440  # the row charts sit two side by side
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar / beside it
    value: float
    part: float = 0.0  # the lower, differently coloured share of the bar (stacked)
    css: str = "bar"


def _frame(title: str, desc: str, height: int, body: list[str], width: int = WIDTH) -> Markup:
    number = next(_ids)
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-labelledby="chart-{number}-t chart-{number}-d">'
        f'<title id="chart-{number}-t">{escape(title)}</title>'
        f'<desc id="chart-{number}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text is escaped


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def _value_axis(left: int, top: int, plot_h: int, top_text: str) -> list[str]:
    """The base line, and the values 0 and the maximum beside the plot's left edge."""
    return [
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 10}"'
        f' y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{escape(top_text)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]


def column_chart(
    title: str,
    desc: str,
    bars: list[Bar],
    *,
    height: int = 220,
    label_every: int = 1,
    value_text=str,
) -> Markup:
    """Vertical bars (one per day, say) with a y axis from 0 to a round maximum."""
    left, bottom, top = 48, 28, 10
    plot_h = height - bottom - top
    plot_w = WIDTH - left - 10
    top_value = _nice_max(max((bar.value for bar in bars), default=0))
    slot = plot_w / max(len(bars), 1)
    body = _value_axis(left, top, plot_h, value_text(top_value))
    for index, bar in enumerate(bars):
        x = left + index * slot + slot * 0.15
        width = max(slot * 0.7, 1)
        full = plot_h * bar.value / top_value
        part = plot_h * min(bar.part, bar.value) / top_value
        if full:
            body.append(
                f'<rect class="{escape(bar.css)}" x="{x:.1f}" y="{top + plot_h - full:.1f}"'
                f' width="{width:.1f}" height="{full - part:.1f}"/>'
            )
        if part:
            body.append(
                f'<rect class="{escape(bar.css)} false" x="{x:.1f}"'
                f' y="{top + plot_h - part:.1f}" width="{width:.1f}" height="{part:.1f}"/>'
            )
        if index % label_every == 0:
            body.append(
                f'<text x="{x + width / 2:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    return _frame(title, desc, height, body)


def row_chart(title: str, desc: str, bars: list[Bar], *, value_text=str) -> Markup:
    """Horizontal bars with their label on the left and value on the right."""
    row_h, left, right, width = 26, 150, 50, ROW_CHART_WIDTH
    height = max(len(bars), 1) * row_h + 8
    top_value = max((bar.value for bar in bars), default=0) or 1
    plot_w = width - left - right
    body = []
    for index, bar in enumerate(bars):
        y = 4 + index * row_h
        length = plot_w * bar.value / top_value
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect class="{escape(bar.css)}" x="{left}" y="{y + 3}" width="{length:.1f}"'
            f' height="{row_h - 8}"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 16}">{escape(value_text(bar.value))}</text>'
        )
    return _frame(title, desc, height, body, width)


def line_chart(
    title: str,
    desc: str,
    points: list[tuple[str, float | None]],
    *,
    height: int = 200,
    label_every: int = 1,
    value_text=str,
) -> Markup:
    """A line through the points that have a value (None: not measured that day)."""
    left, bottom, top = 70, 28, 10
    plot_h = height - bottom - top
    plot_w = WIDTH - left - 10
    top_value = _nice_max(max((value or 0 for _, value in points), default=0))
    step = plot_w / max(len(points) - 1, 1)
    body = _value_axis(left, top, plot_h, value_text(top_value))
    path = []
    for index, (label, value) in enumerate(points):
        x = left + index * step
        if value is not None:
            y = top + plot_h - plot_h * value / top_value
            path.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle class="bar" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
        if index % label_every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>'
            )
    if len(path) > 1:
        body.insert(0, f'<polyline class="line" points="{" ".join(path)}"/>')
    return _frame(title, desc, height, body)
