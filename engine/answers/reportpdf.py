"""The applicant's report as a PDF, with ReportLab and a Chinese font embedded as a subset (answers/pdffont.py).

ReportLab is pure Python and on PyPI. The report's glyphs travel in the file, cut from the machine's Chinese font,
so it prints the same on any reader, every character (`·` included); on a machine with no Chinese font the PDF
names the Adobe CID font STSong-Light instead, which readers substitute (the CLI says so). (WeasyPrint would lay
out the HTML page itself, but needs Pango from the operating system.) The content is the printable page's,
line for line (`answers.view.view`, `reportview.benefit_lines`); every applicant text is escaped, since ReportLab
paragraphs read a small markup language.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.answers.pdffont import embedded_font
from guangxi_subsidy.engine.answers.shown import city_label, kind_label, yuan
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS
from guangxi_subsidy.engine.pdfstyles import paragraph_styles

FALLBACK = "STSong-Light"
STATUS = STATUS_WORDS


def _font(text: str) -> str:
    font = embedded_font(text)
    if font is not None:
        return font
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FALLBACK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


def report_lines(result: dict[str, Any], language: str, signature: bool = False) -> list[tuple[str, str]]:
    """The report as (style, text) lines, in the order printed."""
    gettext = i18n.translations(language).gettext
    data = result["data"]
    applicant = data["applicant"]
    who = applicant["name"] or applicant["id"]
    out = [
        ("title", gettext("Subsidy assessment report")),
        ("body", f"{gettext('Applicant')}：{who}" + (f"（{applicant['id']}）" if applicant["name"] else "")),
        ("body", f"{gettext('Kind of applicant')}：{kind_label(applicant['kind'], language)}"),
        ("body", f"{gettext('City')}：{city_label(applicant['city'], language)}"),
        ("body", f"{gettext('Evaluation date')}：{data['as_of']}"),
        ("h2", gettext("Benefits")),
    ]
    if not result["benefits"]:
        out.append(("body", gettext("No benefit applies on this date with these answers.")))
    for number, b in enumerate(result["benefits"], 1):
        draft = f" [{gettext('DRAFT')}]" if b["draft"] else ""
        out.append(("h3", f"{number}. {b['name']}{draft} — {gettext(STATUS[b['status']])}"))
        for line in b["report_lines"][language]:
            label = f"{line.label}：" if line.label else ""
            out.append((line.style or "body", label + line.text))
            out.extend(("item", f"· {item}") for item in line.items)
    if result["next"]:
        out.append(("h2", gettext("Might also apply")))
        for n in result["next"]:
            asked = "、".join(q.label_zh if language == "zh" else q.label_en for q in n.questions)
            out.append(("body", f"{n.name}（{n.clause}）：{gettext('if you can state')} {asked}"))
    totals, unit = result["totals"], gettext("yuan")
    out += [
        ("h2", gettext("Totals")),
        ("body", f"{gettext('Grants in total')}：{yuan(totals['grants'])} {unit}"),
        ("body", f"{gettext('Grants with ranges')}：{yuan(totals['grants_range']['min'])} – "
                 f"{yuan(totals['grants_range']['max'])} {unit}"),
        ("body", f"{gettext('Tax and fee relief (estimate)')}：{yuan(totals['relief_estimate'])} {unit}"),
        ("body", f"{gettext('Loan quota')}：{yuan(totals['loan_quota'])} {unit}"),
    ]
    if signature:
        out.append(("h2", gettext("Submitted by")))
        for label in ("Applicant (seal)", "Person handling", "Telephone", "Date"):
            out.append(("sign", f"{gettext(label)}：" + "_" * 30))
    receipt = result["receipt"]
    out += [
        ("h2", gettext("Receipt")),
        ("small", f"{gettext('Engine version')} {receipt['engine_version']} · {gettext('rules digest')} "
                  f"{receipt['rules_digest']} · {gettext('evaluated for')} {receipt['as_of']} · "
                  f"{gettext('printed')} {dt.date.today().isoformat()}"),
    ]
    return out


def report_pdf(result: dict[str, Any], language: str, signature: bool = False) -> bytes:
    """The report for one evaluation view, as PDF bytes, its font embedded."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    gettext = i18n.translations(language).gettext
    lines = report_lines(result, language, signature)
    styles = paragraph_styles(_font("".join(text for _, text in lines) + gettext("Subsidy assessment report")))
    story = [Paragraph(escape(text), styles[style]) for style, text in lines]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=gettext("Subsidy assessment report"),
                                 author="guangxi-subsidy", invariant=True)
    document.build(story)
    return out.getvalue()
