"""Charts as PNG pictures, drawn with matplotlib: for a report or a slide, where a picture is pasted.

The same charts as `charts.py` (budget bars, baseline against the alternative; the what-if curve), from the same
figures. SVG stays hand-written markup there (its text is text, shown in Chinese with whatever fonts the viewer
has, and the same bytes on every machine); a PNG has its letters drawn here, so it needs a font with Chinese
glyphs: the first of `CJK_FONTS` that matplotlib finds. Without one the picture is still drawn and a warning says
that Chinese labels may show as boxes (install e.g. fonts-noto-cjk, or write .svg). matplotlib is a dependency
of the package, imported only when a PNG is written (it takes a while to import).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.i18n import _

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei",
             "SimHei", "PingFang SC", "Hiragino Sans GB", "Arial Unicode MS")
COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
DPI = 150


class PlottingUnavailable(ValueError):
    """matplotlib is not installed: a PNG cannot be drawn (an SVG can)."""


def _pyplot() -> tuple[Any, str | None]:
    """matplotlib's pyplot on the Agg backend (no screen), and the Chinese font found (None: none)."""
    try:
        import matplotlib
    except ImportError:
        raise PlottingUnavailable(_("PNG charts need matplotlib (pip install matplotlib), or write .svg")) from None
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    have = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in have), None)
    matplotlib.rcParams["font.sans-serif"] = [*([found] if found else []), "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return plt, found


def _thousands() -> Any:
    """Axis figures with thousands separators (550,000), as the tables print them."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: f"{value:,.0f}" if value == int(value) else f"{value:,.2f}")


def _save(plt: Any, figure: Any, path: Path, found: str | None, labels: Sequence[str]) -> str | None:
    """Write the PNG; a note for the person when its Chinese labels had no font to be drawn with."""
    figure.tight_layout()
    try:
        figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    finally:
        plt.close(figure)
    if found is None and any(ord(c) > 0x2E80 for text in labels for c in text):
        return _("no font with Chinese glyphs was found for the PNG (install e.g. fonts-noto-cjk): its Chinese "
                 "labels may show as boxes; an .svg chart shows them with the viewer's fonts")
    return None


def bars_png(path: Path, title: str, labels: Sequence[str],
             sides: Sequence[tuple[str, Sequence[Decimal]]]) -> str | None:
    """Grouped horizontal bars, one group per label, one bar per side; amounts in yuan (the axis in 万元)."""
    plt, found = _pyplot()
    figure, axes = plt.subplots(figsize=(9, max(2.5, 0.5 * len(labels) * len(sides) + 1.2)))
    height = 0.8 / max(len(sides), 1)
    for number, (name, values) in enumerate(sides):
        positions = [i + number * height for i in range(len(labels))]
        axes.barh(positions, [float(v) / 10_000 for v in values], height=height, label=name,
                  color=COLOURS[number % len(COLOURS)])
    axes.set_yticks([i + height * (len(sides) - 1) / 2 for i in range(len(labels))], list(labels))
    axes.invert_yaxis()
    axes.set_xlabel("万元")
    axes.xaxis.set_major_formatter(_thousands())
    axes.set_title(title)
    axes.legend()
    return _save(plt, figure, path, found, [title, *labels, *(n for n, _v in sides)])


def curve_png(path: Path, title: str, axis: str, xs: Sequence[Decimal | int],
              series: Sequence[tuple[str, Sequence[Any]]]) -> str | None:
    """One line per benefit over the varied field's values; a point where the benefit is not paid is a gap."""
    plt, found = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 5))
    for number, (name, values) in enumerate(series):
        axes.plot([float(x) for x in xs], [float(v) if v is not None else float("nan") for v in values],
                  marker="o", label=name, color=COLOURS[number % len(COLOURS)])
    axes.set_xlabel(axis)
    axes.set_ylabel("元")
    axes.set_title(title)
    axes.xaxis.set_major_formatter(_thousands())
    axes.yaxis.set_major_formatter(_thousands())
    if series:
        axes.legend()
    return _save(plt, figure, path, found, [title, axis, *(n for n, _v in series)])
