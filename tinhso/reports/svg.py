"""Small charts drawn on the server as SVG (*biểu đồ*), for pages that must work without JavaScript and pass
the site's content security policy (no inline styles or scripts: presentation attributes only).

Readable without colour: every bar and point carries its value as text, lines differ by dash pattern and
marker shape and are named at their ends, and the legend repeats both. Each chart is `role="img"` with a
`<title>` and an `aria-label` that say what it shows and its figures; the page puts the same numbers in a
table below it (the accessible alternative). Text is escaped here; the result is safe markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["Series", "bar_chart", "line_chart", "number"]

INK = "#1b1b1b"
BAR = "#0b4d8a"
GRID = "#c9d1d9"
# Series styles that differ in shape and pattern, not only in colour.
DASHES = ("", "8 5", "2 4")
MARKERS = ("circle", "square", "triangle")
COLOURS = ("#0b4d8a", "#8a3b0b", "#2f6b2f")


def number(value: int | float | Decimal | None, *, decimals: int = 0) -> str:
    """Vietnamese style: 1.234 and 83,3; "—" for no value."""
    if value is None:
        return "—"
    text = f"{float(value):,.{decimals}f}" if decimals else f"{int(value):,d}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _svg(width: int, height: int, title: str, summary: str, body: list[str], css: str) -> SafeString:
    label = escape(f"{title}. {summary}")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{label}" focusable="false"><title>{escape(title)}. {escape(summary)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 — every text above went through escape()


def bar_chart(
    items: Sequence[tuple[str, int | float | Decimal | None]],
    *,
    title: str,
    unit: str = "",
    decimals: int = 0,
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars, one per item: its label above the bar, its value at the bar's end (so long names
    fit and nothing depends on colour). `maximum` fixes the scale (100 for shares)."""
    width, left, right = 640, 8, 90
    row, bar_h = 46, 18
    height = max(1, len(items)) * row + 8
    values = [float(v) for _l, v in items if v is not None]
    top = maximum or max(values, default=0) or 1
    span = width - left - right
    body: list[str] = []
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        shown = number(value, decimals=decimals) + (unit if value is not None else "")
        parts.append(f"{label}: {shown}")
        body.append(f'<text x="{left}" y="{y + 14}" font-size="14" fill="{INK}">{escape(label)}</text>')
        w = 0.0 if value is None else span * float(value) / top
        body.append(
            f'<rect x="{left}" y="{y + 20}" width="{w:.1f}" height="{bar_h}" fill="{BAR}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 34}" font-size="14" font-weight="700" '
            f'fill="{INK}">{escape(shown)}</text>'
        )
    if not items:
        body.append(f'<text x="{left}" y="24" font-size="14" fill="{INK}">—</text>')
    summary = "; ".join(parts) if parts else "—"
    return _svg(width, height, title, summary, body, "chart-bars")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float | Decimal | None]


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" fill="{colour}"/>'
    if kind == "triangle":
        pts = f"{x:.1f},{y - 6:.1f} {x - 5.5:.1f},{y + 4:.1f} {x + 5.5:.1f},{y + 4:.1f}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "", decimals: int = 0
) -> SafeString:
    """Lines over `labels` (months), each with its own dash pattern and marker, its values written by its
    points and its name at its end; a legend above repeats pattern, marker and name."""
    width, height = 720, 320
    left, right, top, bottom = 32, 110, 48, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for s in series for v in s.values if v is not None]
    peak = max(values, default=0) or 1
    step = plot_w / max(1, len(labels) - 1)
    body: list[str] = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>'
    ]
    for i, label in enumerate(labels):
        x = left + i * step
        body.append(
            f'<text x="{x:.1f}" y="{height - 14}" font-size="13" text-anchor="middle" fill="{INK}">'
            f"{escape(label)}</text>"
        )
    parts = []
    for n, s in enumerate(series):
        colour, dash, marker = COLOURS[n % 3], DASHES[n % 3], MARKERS[n % 3]
        # The legend: a short line in the series' pattern, its marker and its name.
        lx = left + n * 200
        body.append(
            f'<line x1="{lx}" y1="16" x2="{lx + 36}" y2="16" stroke="{colour}" stroke-width="3"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        body.append(_marker(marker, lx + 18, 16, colour))
        body.append(f'<text x="{lx + 44}" y="21" font-size="14" fill="{INK}">{escape(s.name)}</text>')
        points = [
            (left + i * step, top + plot_h - plot_h * float(v) / peak, v)
            for i, v in enumerate(s.values)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _v in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        # Values above the points of the first series and below those of the others, so they do not meet.
        dy = -10 if n == 0 else 20
        for x, y, v in points:
            body.append(_marker(marker, x, y, colour))
            body.append(
                f'<text x="{x:.1f}" y="{y + dy:.1f}" font-size="12" text-anchor="middle" fill="{INK}">'
                f"{escape(number(v, decimals=decimals))}</text>"
            )
        if points:
            x, y, _v = points[-1]
            body.append(
                f'<text x="{x + 10:.1f}" y="{y + 5:.1f}" font-size="13" font-weight="700" '
                f'fill="{INK}">{escape(s.name)}</text>'
            )
        shown = ", ".join(
            f"{lab} {number(v, decimals=decimals)}{unit if v is not None else ''}"
            for lab, v in zip(labels, s.values, strict=False)
        )
        parts.append(f"{s.name}: {shown}")
    return _svg(width, height, title, "; ".join(parts) or "—", body, "chart-lines")
