"""A server-rendered SVG line chart of one outcome scale over a course.

Written here (no charting library): dates along x, the score along y (for ordinal scales
the category's position, labelled with the category). The SVG carries a title and a
description for screen readers; pages show the same numbers in a table next to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 520, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def _scale_y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / span)


def _scale_x(moment: dt.datetime, first: dt.datetime, last: dt.datetime) -> float:
    span = (last - first).total_seconds() or 1.0
    offset = (moment - first).total_seconds() if last != first else span / 2
    return LEFT + (WIDTH - LEFT - RIGHT) * offset / span


def line_chart_svg(
    *,
    title: str,
    points: Sequence[tuple[dt.datetime, float, str]],
    minimum: float | None = None,
    maximum: float | None = None,
    lower_is_better: bool = True,
) -> SafeString:
    """An accessible SVG line chart of ``(when, value, label)`` points."""
    values = [value for _moment, value, _label in points]
    low = min([*values, minimum if minimum is not None else min(values, default=0)])
    high = max([*values, maximum if maximum is not None else max(values, default=1)])
    first = min((m for m, _v, _l in points), default=None)
    last = max((m for m, _v, _l in points), default=None)
    parts = _frame(
        "outcome-chart",
        f"chart-title-{id(points)}",
        title,
        f"{len(points)} scores; {'lower' if lower_is_better else 'higher'} is better.",
        low,
        high,
    )
    if first is not None and last is not None:
        coords = [
            (_scale_x(moment, first, last), _scale_y(value, low, high), moment, label)
            for moment, value, label in points
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _m, _l in coords)
        parts.append(f'<polyline class="series" points="{path}"/>')
        for x, y, moment, label in coords:
            parts.append(
                f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4">'
                f"<title>{moment:%d %b %Y}: {escape(label)}</title></circle>"
            )
        for x, _y, moment, _label in (coords[0], coords[-1]) if len(coords) > 1 else coords[:1]:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{moment:%d %b %Y}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- numbers, dates and escape()d labels only


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if span / s <= 6)
    first = (low // step) * step
    ticks, tick = [], first
    while tick <= high + 1e-9:
        if tick >= low - 1e-9:
            ticks.append(round(tick, 2))
        tick += step
    return ticks


def _frame(css: str, label: str, title: str, desc: str, low: float, high: float) -> list[str]:
    """The opening of a chart: its accessible title and description, the axes and the
    value ticks from ``low`` to ``high``."""
    parts = [
        f'<svg class="{css}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{label}">',
        f'<title id="{label}">{escape(title)}</title>',
        f"<desc>{escape(desc)}</desc>",
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>',
    ]
    for tick in _ticks(low, high):
        y = _scale_y(tick, low, high)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    return parts


def trajectory_chart_svg(
    *,
    title: str,
    paths: Sequence[Sequence[tuple[int, float]]],
    means: Sequence[tuple[int, float, float | None, float | None]],
    y_label: str,
) -> SafeString:
    """Each client's ``(sessions, value)`` path as a thin line and the mean at each number
    of sessions ``(sessions, mean, low, high)`` as a thick line with its 95 % interval."""
    xs = [x for path in paths for x, _ in path] + [x for x, *_ in means]
    ys = [y for path in paths for _, y in path] + [
        value for _, mean, low, high in means for value in (mean, low, high) if value is not None
    ]
    low_y, high_y = min([*ys, 0.0]), max([*ys, 0.0])
    last_x = max(xs, default=1) or 1

    def x_of(sessions: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * sessions / last_x

    def y_of(value: float) -> float:
        return _scale_y(value, low_y, high_y)

    def line(pairs: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{x_of(x):.1f},{y_of(y):.1f}" for x, y in pairs)

    parts = _frame(
        "outcome-chart trajectories",
        f"chart-title-{id(paths)}",
        title,
        f"{len(paths)} clients' {y_label} by sessions given, and the mean with its 95% "
        "confidence interval; the table below gives the numbers.",
        low_y,
        high_y,
    )
    for sessions in sorted(set(xs)):
        parts.append(
            f'<text class="tick" x="{x_of(sessions):.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{sessions}</text>'
        )
    parts.append(
        f'<text class="tick" x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 4}" '
        'text-anchor="middle">sessions given</text>'
    )
    parts += [f'<polyline class="client-path" points="{line(path)}"/>' for path in paths]
    if means:
        parts.append(
            f'<polyline class="series" points="{line([(x, m) for x, m, _, _ in means])}"/>'
        )
    for x, mean, low, high in means:
        if low is not None and high is not None:
            parts.append(
                f'<line class="interval" x1="{x_of(x):.1f}" y1="{y_of(high):.1f}" '
                f'x2="{x_of(x):.1f}" y2="{y_of(low):.1f}"/>'
            )
        parts.append(f'<circle class="dot" cx="{x_of(x):.1f}" cy="{y_of(mean):.1f}" r="4"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- numbers and escape()d text only
