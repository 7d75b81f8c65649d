"""A Chinese font embedded in the report's PDF, subset to the characters the report uses.

A PDF that only names a font (the CID font STSong-Light every reader is meant to have) is drawn with whatever
the reader substitutes: boxes for a character it lacks (`·`), another face on another machine. A report a
manager hands in must print the same everywhere, so the font's glyphs travel in the file. ReportLab embeds
TrueType outlines only; Noto Sans CJK (fonts-noto-cjk, installed by the Makefile's set-up) has PostScript (CFF)
outlines, so the glyphs the report uses are taken out of it with fontTools (a matplotlib dependency), their
curves converted to TrueType's (cu2qu, within a unit of the 1,000-unit em), and that small font (about 10 KB
for a page of text, ~2 s to cut from the 20 MB collection) handed to ReportLab, which embeds it as a subset.
A TrueType CJK font (WenQuanYi Zen Hei, AR PL UMing, SimHei) is used as it is. `SUBSIDY_PDF_FONT` names a font
file to use instead.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from pathlib import Path

# (file, font number in a collection); the first found is used
CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # the collection's simplified Chinese face
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora, Arch
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)


def font_file() -> tuple[Path, int] | None:
    """The Chinese font this machine has for the PDF, or None (the PDF then names STSong-Light, not embedded)."""
    chosen = os.environ.get("SUBSIDY_PDF_FONT")
    if chosen:
        return (Path(chosen), 0) if Path(chosen).is_file() else None
    for name, number in CANDIDATES:
        if Path(name).is_file():
            return Path(name), number
    return None


def embedded_font(text: str) -> str | None:
    """The name of a registered ReportLab font holding every character of `text` (those the font has), cut from
    the machine's Chinese font; None when there is none."""
    found = font_file()
    if found is None:
        return None
    chars = "".join(sorted(set(text) | set(" 0123456789")))
    return _registered(str(found[0]), found[1], chars)


@functools.lru_cache(maxsize=32)
def _registered(path: str, number: int, chars: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "CJK-" + hashlib.sha256(f"{path}:{number}:{chars}".encode()).hexdigest()[:12]
    pdfmetrics.registerFont(TTFont(name, io.BytesIO(_truetype_subset(path, number, chars, name))))
    return name


def _truetype_subset(path: str, number: int, chars: str, name: str) -> bytes:
    """The font's glyphs for `chars` as a TrueType font (its CFF outlines converted to quadratic curves), named
    `name` inside too: ReportLab knows a face by its internal name, and two cuts of one font under the same name
    would share the first one's glyphs."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(path, fontNumber=number, lazy=True)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(text=chars)
    cutter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        shapes = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for glyph in order:
            pen = TTGlyphPen(shapes)
            shapes[glyph].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf.glyphs[glyph] = pen.glyph()
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        del font["CFF "]
        if "VORG" in font:
            del font["VORG"]
        maxp = newTable("maxp")
        maxp.tableVersion = 0x00010000
        for key in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                    "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
            setattr(maxp, key, 0)
        maxp.maxZones = 1
        maxp.numGlyphs = len(order)
        font["maxp"] = maxp
        font["head"].glyphDataFormat = 0
        font["head"].indexToLocFormat = 0
        post = font["post"]
        post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
        font.sfntVersion = "\x00\x01\x00\x00"
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6):
            record.string = name
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
