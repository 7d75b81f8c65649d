"""The paragraph styles every PDF of the package prints with (the applicant's report, the 申兑指南), in one
place so that the two documents an office hands out look alike: a body in the given font with CJK wrapping, and
the title, headings, list items, quotes, warnings, small print and the signature lines built on it."""

from __future__ import annotations

from typing import Any


def paragraph_styles(font: str) -> dict[str, Any]:
    """reportlab paragraph styles in `font` (a registered font's name), by the name the documents use."""
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=26, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=body, fontSize=13.5, leading=20, spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=body, fontSize=11.5, leading=18, spaceBefore=6),
        "body": body,
        "item": ParagraphStyle("item", parent=body, leftIndent=14),
        "quote": ParagraphStyle("quote", parent=body, leftIndent=12, textColor="#333333", fontSize=9.5),
        "warn": ParagraphStyle("warn", parent=body, textColor="#8a4b00"),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, textColor="#555555"),
        "sign": ParagraphStyle("sign", parent=body, leading=30),
    }
