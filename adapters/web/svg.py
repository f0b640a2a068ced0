"""Charts for the pages as inline SVG: the same numbers as `progress` and the digest's team chart,
drawn as scalable vector pictures that stay sharp and readable on a phone (they fill the page's
width) and cost no matplotlib and no file. Every chart carries a text alternative.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from bot.charts import RatedAnswer, rolling
from bot.content import Rubric

# A narrow canvas with large type: drawn at a phone's width (~360 px) the text stays about 11-13 px.
W, H, PAD, FONT = 480, 300, 44, 20
PASS, INK, BAR = "#b03a2e", "#1f2d3d", "#2471a3"


def _frame(title: str, alt: str, body: str, height: int = H) -> Markup:
    key = "c" + "".join(ch for ch in title.lower() if ch.isalnum())[:24]  # ids unique per chart on a page
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" aria-labelledby="{key}-t {key}-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{key}-t">{escape(title)}</title>'
        f'<desc id="{key}-d">{escape(alt)}</desc>{body}</svg>')


def _y(value: float, top: float = 5.0, height: int = H) -> float:
    return height - PAD - (height - 2 * PAD) * max(0.0, min(value, top)) / top


def _axis(height: int = H, top: float = 5.0, step: float = 1.0) -> str:
    parts = []
    v = 0.0
    while v <= top + 1e-9:
        y = _y(v, top, height)
        parts.append(f'<line x1="{PAD}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5d8dc"/>'
                     f'<text x="{PAD - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="{FONT}" fill="{INK}">{v:g}</text>')
        v += step
    return "".join(parts)


def progress_chart(rated: Sequence[RatedAnswer], rubric: Rubric, pass_bar: float) -> Markup:
    """Weighted score per rated round against the pass bar, and its rolling average."""
    rated = sorted(rated, key=lambda r: r.day)
    n = len(rated)
    xs = [PAD + 10 + (W - PAD - 30) * (i / max(1, n - 1)) for i in range(n)]
    scores = [r.weighted for r in rated]
    trend = rolling(scores)
    line = " ".join(f"{x:.1f},{_y(s):.1f}" for x, s in zip(xs, scores, strict=True))
    avg = " ".join(f"{x:.1f},{_y(s):.1f}" for x, s in zip(xs, trend, strict=True))
    dots = "".join(f'<circle cx="{x:.1f}" cy="{_y(s):.1f}" r="5" fill="{BAR}"><title>{r.day:%d %b}: {s:.2f}</title></circle>'
                   for x, s, r in zip(xs, scores, rated, strict=True))
    labels = ""
    if n:
        labels = f'<text x="{xs[0]:.1f}" y="{H - 10}" font-size="{FONT}" fill="{INK}">{rated[0].day:%d %b}</text>'
    if n > 1:
        labels += (f'<text x="{xs[-1]:.1f}" y="{H - 10}" font-size="{FONT}" text-anchor="end" fill="{INK}">'
                   f'{rated[-1].day:%d %b}</text>')
    bar = _y(pass_bar)
    body = (_axis() + f'<line x1="{PAD}" x2="{W - 10}" y1="{bar:.1f}" y2="{bar:.1f}" stroke="{PASS}" stroke-width="2" '
            f'stroke-dasharray="8 5"/><text x="{W - 12}" y="{bar - 6:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="{PASS}">pass bar {pass_bar:.1f}</text>'
            + (f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="2"/>' if n > 1 else "")
            + (f'<polyline points="{avg}" fill="none" stroke="{INK}" stroke-width="3" stroke-opacity="0.6"/>' if n > 1 else "")
            + dots + labels)
    last = f" Latest {scores[-1]:.2f}, rolling average {trend[-1]:.2f}." if n else ""
    alt = f"Weighted score of {n} rated answers against the pass bar {pass_bar:.1f}.{last}"
    return _frame("Score per rated round", alt, body)


def dimension_bars(values: Mapping[str, float], rubric: Rubric, pass_bar: float, title: str) -> Markup:
    """Average per rubric dimension as horizontal bars, the pass bar marked."""
    dims = rubric.dimensions
    row, left = 58, 12  # each dimension: its name on one line, its bar below (no cramped label column)
    height = 20 + row * len(dims)
    scale = (W - left - 70) / 5
    parts = []
    for i, d in enumerate(dims):
        y = 10 + i * row
        v = values.get(d.id)
        width = scale * (v or 0)
        parts.append(f'<text x="{left}" y="{y + 20}" font-size="{FONT}" fill="{INK}">{escape(d.name)}</text>'
                     f'<rect x="{left}" y="{y + 28}" width="{width:.1f}" height="20" fill="#27ae60" rx="3"/>'
                     f'<text x="{left + width + 6:.1f}" y="{y + 45}" font-size="{FONT}" fill="{INK}">'
                     f'{"—" if v is None else f"{v:.2f}"}</text>')
    x = left + scale * pass_bar
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="30" y2="{height - 6}" stroke="{PASS}" stroke-width="2" '
                 f'stroke-dasharray="8 5"/>')
    alt = ", ".join(f"{d.name} {values[d.id]:.2f}" for d in dims if d.id in values) or "no votes yet"
    return _frame(title, f"{title}: {alt}; pass bar {pass_bar:.1f}.", "".join(parts), height)


def participation(days: Sequence[tuple[date, int]]) -> Markup:
    """Answers per practice day this week, as columns."""
    top = max([n for _, n in days] + [1])
    width = (W - PAD - 20) / max(1, len(days))
    parts = [_axis(top=float(top), step=max(1.0, float(top // 4 or 1)))]
    for i, (d, n) in enumerate(days):
        x = PAD + 10 + i * width
        y = _y(n, float(top))
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width - 14:.1f}" height="{H - PAD - y:.1f}" fill="{BAR}" rx="3">'
                     f'<title>{d:%a}: {n}</title></rect>'
                     f'<text x="{x + (width - 14) / 2:.1f}" y="{H - 14}" text-anchor="middle" font-size="{FONT}" '
                     f'fill="{INK}">{d:%a}</text>')
    alt = "; ".join(f"{d:%A} {n} answers" for d, n in days) or "no practice days yet this week"
    return _frame("Answers per practice day this week", alt, "".join(parts))
