"""Horizontal bar charts drawn on the server as SVG: no script, no library, readable by a screen reader.

A batch summary's totals are exact decimal strings; a bar's length is the amount's share of the largest, in
whole pixels (the figure printed beside the bar is the exact amount). Every label is escaped, since benefit
and department names come from rule files and must never become markup. The chart carries a `<title>` and each
bar a text label, so the figures are readable without seeing the bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from guangxi_subsidy.engine.web.render import yuan

ROW = 26
LABEL_WIDTH = 300
BAR_WIDTH = 300
VALUE_WIDTH = 150


def bar_chart(title: str, items: Sequence[tuple[str, str]], empty: str) -> Markup:
    """A chart of (label, amount in yuan as a decimal string), largest first; zero amounts are left out."""
    rows = sorted(((label, Decimal(value)) for label, value in items if Decimal(value) > 0),
                  key=lambda item: (-item[1], item[0]))
    if not rows:
        return Markup('<p class="none">{}</p>').format(empty)
    top = rows[0][1]
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * len(rows) + 8
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        length = max(1, int(BAR_WIDTH * value / top))
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<g><title>{escape(label)}: {escape(yuan(value))}</title>'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 8}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}">{escape(yuan(value))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
