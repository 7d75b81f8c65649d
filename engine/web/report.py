"""The applicant's report (测算报告) written to a file: a printable HTML page or a PDF, for `subsidy evaluate --report`.

The same page and the same PDF as the web calculator's, from the same view of the evaluation; the HTML file
carries its stylesheet inline so it opens and prints on its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from guangxi_subsidy.engine.evaluation.evaluate import Evaluation
from guangxi_subsidy.engine.rules.pack import RulePack
from guangxi_subsidy.engine.web.render import STATIC, language_of, render
from guangxi_subsidy.engine.web.results import view

FORMATS = (".html", ".htm", ".pdf")


def report_bytes(evaluation: Evaluation, pack: RulePack, suffix: str, language: str | None = None,
                 signature: bool = False) -> bytes:
    """The report's bytes; `signature` adds the block the applicant signs and seals (申报单位盖章, 经办人, …)."""
    lang = language_of(language)
    result = view(evaluation, pack)
    if suffix == ".pdf":
        from guangxi_subsidy.engine.web.pdf import report_pdf

        return report_pdf(result, lang, signature)
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    page = render("report.html", lang, view=result, today=dt.date.today().isoformat(), switch_url="#",
                  title=result["data"]["applicant"]["name"] or result["data"]["applicant"]["id"], inline_css=css,
                  signature=signature)
    return page.encode("utf-8")


def write_report(evaluation: Evaluation, pack: RulePack, path: Path, language: str | None = None,
                 signature: bool = False) -> None:
    """Write the report; the format is the file's suffix (.html or .pdf)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: a report is .html or .pdf")
    path.write_bytes(report_bytes(evaluation, pack, ".pdf" if suffix == ".pdf" else ".html", language,
                                  signature))
