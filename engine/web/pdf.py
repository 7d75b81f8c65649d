"""The applicant's report as a PDF, with ReportLab and the Adobe CID font STSong-Light.

ReportLab is pure Python and on PyPI; STSong-Light is one of the CJK fonts every PDF reader has built in, so the
file carries no font program and needs no font installed where it is made: Chinese renders the same on any
machine, with nothing but pip. (WeasyPrint would lay out the HTML page itself, but needs Pango and system fonts
from the operating system.) The content is the printable page's, from the same view (`results.view`); every
applicant text is escaped, since ReportLab paragraphs read a small markup language.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any
from xml.sax.saxutils import escape

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS
from guangxi_subsidy.engine.web.render import city_label, kind_label, yuan

FONT = "STSong-Light"


@functools.cache
def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=26, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=body, fontSize=13.5, leading=20, spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=body, fontSize=11.5, leading=18, spaceBefore=6),
        "body": body,
        "quote": ParagraphStyle("quote", parent=body, leftIndent=12, textColor="#333333", fontSize=9.5),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, textColor="#555555"),
    }


def amount_text(amount: dict[str, Any] | None, gettext: Any) -> str:
    if amount is None:
        return "—"
    kind, unit = amount["kind"], gettext("yuan")
    if kind == "exact":
        return f"{yuan(amount['value'])} {unit}"
    if kind == "estimate":
        return f"{yuan(amount['value'])} {unit} ({gettext('estimate')})"
    if kind == "range":
        return f"{yuan(amount['min'])} – {yuan(amount['max'])} {unit}"
    if kind == "up_to":
        return f"{gettext('up to')} {yuan(amount['max'])} {unit}"
    if kind == "unquantified":
        return gettext("not quantified by the documents")
    if kind == "non_monetary":
        return gettext("non-monetary") + (f": {amount['says']}" if amount.get("says") else "")
    return gettext("needs") + " " + ", ".join(amount["missing"])


STATUS = STATUS_WORDS


def report_pdf(result: dict[str, Any], language: str) -> bytes:
    """The report for one evaluation view, as PDF bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    gettext = i18n.translations(language).gettext
    styles = _styles()
    data = result["data"]
    applicant = data["applicant"]

    def para(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[Any] = [para(gettext("Subsidy assessment report"), "title")]
    who = applicant["name"] or applicant["id"]
    story += [
        para(f"{gettext('Applicant')}: {who}" + (f" ({applicant['id']})" if applicant["name"] else "")),
        para(f"{gettext('Kind of applicant')}: {kind_label(applicant['kind'], language)}"),
        para(f"{gettext('City')}: {city_label(applicant['city'], language)}"),
        para(f"{gettext('Evaluation date')}: {data['as_of']}"),
        para(gettext("Benefits"), "h2"),
    ]
    if not result["benefits"]:
        story.append(para(gettext("No benefit applies on this date with these answers.")))
    for number, b in enumerate(result["benefits"], 1):
        draft = f" [{gettext('DRAFT')}]" if b["draft"] else ""
        story.append(para(f"{number}. {b['name']}{draft} — {gettext(STATUS[b['status']])}", "h3"))
        story.append(para(f"{gettext('Amount')}: {amount_text(b['amount'], gettext)}"))
        doc = b["document"]
        number_text = f"({doc['number']})" if doc.get("number") else ""
        story.append(para(f"{doc['title']}{number_text}, {gettext('clause')} {b['clause']}"))
        story.append(para(f"“{b['quote']}”", "quote"))
        if b["raw"]:
            damaged = gettext("The document's text is damaged here:")
            story.append(para(f"{damaged} “{b['raw']}” "
                              f"{gettext('is read as')} “{b['reading']}”", "small"))
        if b["period_note"]:
            story.append(para(f"{gettext('Period:')} {b['period_note']}", "small"))
        story.append(para(f"{gettext('Apply to')}: {'、'.join(b['departments'])}"))
        if b["evidence"]:
            story.append(para(f"{gettext('What to show')}: " + "；".join(b["evidence"])))
    if result["next"]:
        story.append(para(gettext("Might also apply"), "h2"))
        for n in result["next"]:
            asked = "、".join(q.label_zh if language == "zh" else q.label_en for q in n.questions)
            story.append(para(f"{n.name} ({n.clause}): {gettext('if you can state')} {asked}"))
    totals = result["totals"]
    unit = gettext("yuan")
    story += [
        para(gettext("Totals"), "h2"),
        para(f"{gettext('Grants in total')}: {yuan(totals['grants'])} {unit}"),
        para(f"{gettext('Grants with ranges')}: {yuan(totals['grants_range']['min'])} – "
             f"{yuan(totals['grants_range']['max'])} {unit}"),
        para(f"{gettext('Tax and fee relief (estimate)')}: {yuan(totals['relief_estimate'])} {unit}"),
        para(f"{gettext('Loan quota')}: {yuan(totals['loan_quota'])} {unit}"),
        para(gettext("Receipt"), "h2"),
    ]
    receipt = result["receipt"]
    story.append(para(f"{gettext('Engine version')} {receipt['engine_version']} · {gettext('rules digest')} "
                      f"{receipt['rules_digest']} · {gettext('evaluated for')} {receipt['as_of']} · "
                      f"{gettext('printed')} {dt.date.today().isoformat()}", "small"))
    story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=gettext("Subsidy assessment report"),
                                 author="guangxi-subsidy", invariant=True)
    document.build(story)
    return out.getvalue()
