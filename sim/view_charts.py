"""Line charts as SVG text for the page: lines, bands, reference lines, bars, axes with units.

The page redraws its charts after every step; an SVG string of a few traces of at most a few hundred
points is built in about a millisecond and the browser draws it directly, where a Matplotlib PNG
cost 0.39 s a step and Plotly's widget needs a front-end package this stack lacks (docs/
ARCHITECTURE.md, stack notes). Everything a chart shows is passed in: titles, units and labels come
from the caller.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Line:
    label: str
    x: np.ndarray
    y: np.ndarray
    colour: str
    width: float = 1.8
    dash: str = ""
    opacity: float = 1.0


@dataclass(frozen=True)
class Band:
    label: str
    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    colour: str
    opacity: float = 0.18


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line at ``y`` (e.g. the target fitness)."""

    label: str
    y: float
    colour: str = "#555555"


@dataclass
class Chart:
    title: str
    x_label: str
    y_label: str
    x_max: float
    y_range: tuple[float, float] | None = None  # None: from the data, from 0
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    width: int = 520
    height: int = 230


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.2g}"


def _points(xs: np.ndarray, ys: np.ndarray, sx, sy) -> str:
    px, py = sx(np.asarray(xs, float)), sy(np.asarray(ys, float))
    ok = np.isfinite(px) & np.isfinite(py)
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px[ok], py[ok], strict=True))


def svg(chart: Chart) -> str:
    """The chart as a standalone ``<svg>`` element."""
    w, h = chart.width, chart.height
    left, right, top, bottom = 52, 12, 44, 38
    if chart.y_range is not None:
        y0, y1 = chart.y_range
    else:
        highs = [float(np.nanmax(line.y)) for line in chart.lines if len(line.y)]
        highs += [float(np.nanmax(b.high)) for b in chart.bands if len(b.high)]
        highs += [r.y for r in chart.rules]
        y0, y1 = 0.0, max([v for v in highs if math.isfinite(v)] or [1.0]) * 1.08 or 1.0
    x0, x1 = 0.0, max(float(chart.x_max), 1.0)

    def sx(x):
        return left + (x - x0) / (x1 - x0) * (w - left - right)

    def sy(y):
        return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)

    e = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
           f'height="{h}" role="img" aria-label="{e(chart.title)}" class="pactsim-chart" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14" font-size="13" font-weight="bold">{e(chart.title)}</text>']
    for t in nice_ticks(y0, y1):
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
                   'stroke="#eeeeee"/>')
        out.append(f'<text x="{left - 4}" y="{sy(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in nice_ticks(x0, x1, 6):
        out.append(f'<text x="{sx(t):.1f}" y="{h - bottom + 14}" text-anchor="middle">'
                   f'{_fmt(t)}</text>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{h - bottom}" y2="{h - bottom}" '
               'stroke="#888888"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{h - bottom}" stroke="#888888"/>')
    out.append(f'<text x="{(left + w - right) / 2:.0f}" y="{h - 6}" text-anchor="middle">'
               f'{e(chart.x_label)}</text>')
    out.append(f'<text transform="translate(12,{(top + h - bottom) / 2:.0f}) rotate(-90)" '
               f'text-anchor="middle">{e(chart.y_label)}</text>')
    legend: list[tuple[str, str, str, float]] = []
    for b in chart.bands:
        if len(b.x) == 0:
            continue
        upper = _points(b.x, b.high, sx, sy)
        lower = _points(b.x[::-1], b.low[::-1], sx, sy)
        out.append(f'<polygon points="{upper} {lower}" fill="{b.colour}" '
                   f'fill-opacity="{b.opacity}" stroke="none"><title>{e(b.label)}</title></polygon>')
        legend.append((b.label, b.colour, "band", b.opacity))
    for r in chart.rules:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{sy(r.y):.1f}" y2="{sy(r.y):.1f}" '
                   f'stroke="{r.colour}" stroke-dasharray="5,4"/>')
        out.append(f'<text x="{w - right - 2}" y="{sy(r.y) - 3:.1f}" text-anchor="end" '
                   f'fill="{r.colour}">{e(r.label)}</text>')
    for line in chart.lines:
        if len(line.x) == 0:
            continue
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        out.append(f'<polyline points="{_points(line.x, line.y, sx, sy)}" fill="none" '
                   f'stroke="{line.colour}" stroke-width="{line.width}" '
                   f'stroke-opacity="{line.opacity}"{dash}><title>{e(line.label)}</title>'
                   '</polyline>')
        legend.append((line.label, line.colour, line.dash or "line", line.opacity))
    x, y = left, 28
    for label, colour, kind, opacity in legend:
        width = 14 + 6.2 * len(label) + 14
        if x + width > w - right and x > left:
            x, y = left, y + 13  # a second row (the plot starts below two)
        if kind == "band":
            out.append(f'<rect x="{x}" y="{y - 7}" width="12" height="8" fill="{colour}" '
                       f'fill-opacity="{max(opacity, 0.3)}"/>')
        else:
            dash = f' stroke-dasharray="{kind}"' if kind != "line" else ""
            out.append(f'<line x1="{x}" x2="{x + 12}" y1="{y - 3}" y2="{y - 3}" stroke="{colour}" '
                       f'stroke-width="2" stroke-opacity="{opacity}"{dash}/>')
        out.append(f'<text x="{x + 15}" y="{y}">{e(label)}</text>')
        x += width
    out.append("</svg>")
    return "".join(out)


def histogram_svg(title: str, x_label: str, values: np.ndarray, never: int, x_max: float,
                  width: int = 520, height: int = 200, colour: str = PALETTE[0]) -> str:
    """Bars of ``values`` (e.g. weeks to target) in bins of round width, and a separate bar for
    the ``never`` runs that did not get there (labelled with ``x_label``'s unit)."""
    values = np.asarray(values, float)
    edges = np.array(nice_ticks(0, max(x_max, 1.0), 12))
    if edges[-1] < x_max:
        edges = np.append(edges, edges[-1] + (edges[1] - edges[0]))
    counts, _ = np.histogram(values, bins=edges)
    left, right, top, bottom = 40, 80, 26, 38
    top_count = max(int(counts.max()) if len(counts) else 0, never, 1)
    pw, ph = width - left - right, height - top - bottom

    def sx(x):
        return left + x / edges[-1] * pw

    def sy(c):
        return height - bottom - c / top_count * ph

    e = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{e(title)}" class="pactsim-chart" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14" font-size="13" font-weight="bold">{e(title)}</text>']
    for c, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        if c:
            out.append(f'<rect x="{sx(a) + 1:.1f}" y="{sy(c):.1f}" width="{sx(b) - sx(a) - 2:.1f}" '
                       f'height="{sy(0) - sy(c):.1f}" fill="{colour}"><title>{c} runs: '
                       f'{_fmt(a)}-{_fmt(b)}</title></rect>')
    if never:
        nx = width - right + 16
        out.append(f'<rect x="{nx}" y="{sy(never):.1f}" width="30" height="{sy(0) - sy(never):.1f}"'
                   f' fill="#999999"><title>{never} runs never reached it</title></rect>')
    out.append(f'<text x="{width - right + 31}" y="{height - bottom + 14}" text-anchor="middle">'
               'never</text>')
    for t in edges[::2]:
        out.append(f'<text x="{sx(t):.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                   f'{_fmt(t)}</text>')
    for t in nice_ticks(0, top_count, 4):
        if t == int(t):
            out.append(f'<text x="{left - 4}" y="{sy(t) + 4:.1f}" text-anchor="end">{int(t)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right + 50}" y1="{sy(0)}" y2="{sy(0)}" '
               'stroke="#888888"/>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle">'
               f'{e(x_label)}</text>')
    out.append(f'<text transform="translate(12,{(top + height - bottom) / 2:.0f}) rotate(-90)" '
               'text-anchor="middle">runs</text>')
    out.append("</svg>")
    return "".join(out)
