"""Charts as SVG written directly: budgets baseline against alternative, what-if curves, and the ranked bars of a
batch's totals that the web page shows (styled by the page's stylesheet, readable by a screen reader: the chart
has a `<title>` and each bar a text label with its exact amount).

SVG text is drawn by whatever shows it (a browser, an office suite) with the fonts it has, so Chinese labels need
no font installed here and no plotting library is loaded: the file is a few kilobytes of markup, the same on
every machine (tests compare it). The web calculator calls `budget_svg` and `curve_svg` for the same pictures.
Amounts are exact Decimal; only the drawing positions are rounded (to a tenth of a pixel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.money import format_yuan

FONT = "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Microsoft YaHei','PingFang SC',sans-serif"
COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def _n(value: Decimal | float) -> str:
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, size: int = 12, anchor: str = "start", weight: str = "normal",
          fill: str = "#222") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}">{escape(text)}</text>')


def _document(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}">\n'
            f'<title>{escape(title)}</title>\n<rect width="100%" height="100%" fill="#fff"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def _nice(top: Decimal) -> Decimal:
    """A round number at or above `top` for the end of an axis: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(top))) - 1)
    for step in (1, 2, 5, 10):
        if power * step >= top:
            return power * step
    return power * 10


def _short(value: Decimal) -> str:
    """An axis label: 万 for ten thousands, 亿 for hundred millions, as a finance office writes them."""
    if abs(value) >= 10**8:
        return f"{(value / 10**8).normalize():f}亿"
    if abs(value) >= 10**4:
        return f"{(value / 10**4).normalize():f}万"
    return f"{value.normalize():f}"


def bars_svg(title: str, labels: Sequence[str], sides: Sequence[tuple[str, Sequence[Decimal]]]) -> str:
    """Horizontal bars, one group per label, one bar per side (e.g. baseline and reform), amounts at the ends."""
    label_width, bar_width, bar = 300, 520, 14
    group = bar * len(sides) + 12
    height = 70 + group * max(len(labels), 1) + 40
    width = label_width + bar_width + 150
    top = _nice(max([v for _, values in sides for v in values] + [Decimal(0)]))
    body = [_text(16, 28, title, 16, weight="bold")]
    for i, (name, _values) in enumerate(sides):
        x = label_width + i * 170
        body.append(f'<rect x="{x}" y="40" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        body.append(_text(x + 18, 51, name, 12))
    y0 = 66
    for k in range(5):
        grid = label_width + bar_width * k / 4
        body.append(f'<line x1="{_n(grid)}" y1="{y0}" x2="{_n(grid)}" y2="{height - 36}" stroke="#ddd"/>')
        body.append(_text(grid, height - 20, _short(top * k / 4), 11, "middle", fill="#666"))
    for row, label in enumerate(labels):
        y = y0 + row * group + 6
        body.append(_text(label_width - 8, y + bar * len(sides) / 2 + 4, label, 12, "end"))
        for i, (side, values) in enumerate(sides):
            value = values[row]
            tip = f"{escape(label)} · {escape(side)}: {format_yuan(value)}"
            length = bar_width * float(max(value, Decimal(0)) / top)
            colour = COLOURS[i % len(COLOURS)]
            body.append(f'<rect x="{label_width}" y="{_n(y + i * bar)}" width="{_n(length)}" height="{bar - 2}" '
                        f'fill="{colour}"><title>{tip}</title></rect>')
            body.append(_text(label_width + length + 4, y + i * bar + bar - 4, format_yuan(value), 10, fill="#444"))
    return _document(width, height, body, title)


def curve_svg(title: str, axis: str, xs: Sequence[Decimal | int], series: Sequence[tuple[str, Sequence[Any]]]
              ) -> str:
    """Lines of amount against a varied field: a point where a benefit does not pay (or is not a number) is 0
    on the chart only when the benefit is not eligible there; unquantified points are left out of its line."""
    width, height, left, right, top_margin, bottom = 860, 460, 90, 250, 50, 60
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    low, high = Decimal(min(xs)), Decimal(max(xs))
    span = high - low or Decimal(1)
    peak = _nice(max([Decimal(v) for _, values in series for v in values if v is not None] + [Decimal(0)]))
    body = [_text(16, 28, title, 16, weight="bold")]

    def px(x: Any) -> float:
        return left + plot_w * float((Decimal(x) - low) / span)

    def py(y: Any) -> float:
        return top_margin + plot_h * (1 - float(Decimal(y) / peak))

    for k in range(5):
        y = top_margin + plot_h * k / 4
        body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{left + plot_w}" y2="{_n(y)}" stroke="#ddd"/>')
        body.append(_text(left - 6, y + 4, _short(peak * (4 - k) / 4), 11, "end", fill="#666"))
    for k in range(5):
        x = low + span * k / 4
        body.append(_text(px(x), top_margin + plot_h + 18, _short(Decimal(x)), 11, "middle", fill="#666"))
    body.append(_text(left + plot_w / 2, height - 14, axis, 12, "middle"))
    body.append(_text(14, top_margin - 10, _("yuan"), 11, fill="#666"))
    for i, (name, values) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path, drawing = [], False
        for point, v in zip(xs, values, strict=True):
            if v is None:
                drawing = False
                continue
            path.append(("L" if drawing else "M") + f"{_n(px(point))},{_n(py(v))}")
            drawing = True
        if path:
            body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<rect x="{width - right + 16}" y="{top_margin + i * 20}" width="12" height="12" '
                    f'fill="{colour}"/>')
        body.append(_text(width - right + 34, top_margin + i * 20 + 11, name, 12))
    return _document(width, height, body, title)


Bars = tuple[str, list[str], list[tuple[str, list[Decimal]]]]  # title, labels, (side, amounts) for each side


def budget_bars(scenario: dict[str, Any], by: str = "benefit", gettext: Callable[[str], str] = _) -> Bars:
    """A batch summary's scenario (`summary["scenario"]`) as what a bar chart shows: its title, the labels (each
    benefit or lead department with money on either side) and the two sides' amounts; `gettext`: the language
    of a web page, when it is not the process's."""
    _ = gettext  # noqa: N806 - the catalogue's own name, so the messages below are extracted
    sides = (_("baseline"), str(scenario.get("label", _("alternative"))))
    if by == "department":
        rows = [(name, Decimal(v["baseline"]["grants"]), Decimal(v["alternative"]["grants"]))
                for name, v in scenario["departments"].items()]
        title = _("Grants by lead department: baseline against {label}").format(label=sides[1])
    else:
        rows = [(f"{b['name']}", Decimal(b["baseline"]["amount"]), Decimal(b["alternative"]["amount"]))
                for b in scenario["benefits"]]
        title = _("Amount by benefit: baseline against {label}").format(label=sides[1])
    rows = [r for r in rows if r[1] or r[2]]
    return title, [r[0] for r in rows], [(sides[0], [r[1] for r in rows]), (sides[1], [r[2] for r in rows])]


def budget_svg(scenario: dict[str, Any], by: str = "benefit") -> str:
    """A batch summary's scenario as bars: money per benefit or per lead department."""
    return bars_svg(*budget_bars(scenario, by))


RANKED_ROW, RANKED_LABEL, RANKED_BAR, RANKED_VALUE = 26, 300, 300, 150


def ranked_bars_svg(title: str, items: Sequence[tuple[str, str]]) -> str | None:
    """(label, amount in yuan as a decimal string) as one bar each, largest first; zero amounts are left out, and
    None when nothing is left. A bar's length is the amount's share of the largest, in whole pixels; the figure
    beside it is the exact amount. Labels come from rule files and are escaped, never markup."""
    rows = sorted(((label, Decimal(value)) for label, value in items if Decimal(value) > 0),
                  key=lambda item: (-item[1], item[0]))
    if not rows:
        return None
    top = rows[0][1]
    width = RANKED_LABEL + RANKED_BAR + RANKED_VALUE
    height = RANKED_ROW * len(rows) + 8
    quoted = escape(title, {'"': "&quot;"})
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{quoted}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * RANKED_ROW
        length = max(1, int(RANKED_BAR * value / top))
        short = label if len(label) <= 22 else label[:21] + "…"
        figure = escape(format_yuan(value))
        parts.append(
            f'<g><title>{escape(label)}: {figure}</title>'
            f'<text x="{RANKED_LABEL - 6}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{RANKED_LABEL}" y="{y + 3}" width="{length}" height="{RANKED_ROW - 8}"></rect>'
            f'<text x="{RANKED_LABEL + length + 6}" y="{y + 16}">{figure}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
