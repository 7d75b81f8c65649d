"""The applicant's report (测算报告): a printable HTML page or a PDF, for `subsidy evaluate --report` and the web's
/report and /report.pdf alike.

A manager hands the report in with an application, so it is drawn from the reader's view of the evaluation
(engine/answers/view.py) and written here once: the article (applicant, benefits line by line, might also apply,
totals, the signature block, the receipt) from this folder's templates, the PDF by engine/answers/reportpdf.py.
The web places the article in its own page frame; the HTML file written for the CLI carries the stylesheet inline
so that it opens and prints on its own. Autoescaping is on: an applicant's name is text, never markup.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.answers.shown import city_label, kind_label, language_of, yuan
from guangxi_subsidy.engine.evaluation.evaluate import Evaluation
from guangxi_subsidy.engine.evaluation.outcome import STATUS_WORDS
from guangxi_subsidy.engine.rules.pack import RulePack

if TYPE_CHECKING:  # (Jinja2 and MarkupSafe are imported when a report is drawn)
    from jinja2 import Environment
    from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"  # the house's stylesheet: the web serves it to every page
FORMATS = (".html", ".htm", ".pdf")


@functools.cache
def _environment(language: str) -> Environment:
    """The report's templates in one language (the catalogue bound to the environment, so one each)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    gettext = i18n.translations(language).gettext
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = yuan
    env.globals.update(lang=language, kind_label=lambda code: kind_label(code, language),
                       city_label=lambda code: city_label(code, language),
                       status_word=lambda status: gettext(STATUS_WORDS.get(status, "not met")))
    return env


def report_article(result: dict[str, Any], language: str, signature: bool = False) -> Markup:
    """The report's article (the page's content, without the frame around it), for a reader's view
    (`answers.view.view`); `signature` adds the block the applicant signs and seals (申报单位盖章, 经办人, …)."""
    from markupsafe import Markup

    template = _environment(language).get_template("_report.html")
    return Markup(template.render(view=result, today=dt.date.today().isoformat(), signature=signature))


def report_page(result: dict[str, Any], language: str, signature: bool = False) -> str:
    """The report as an HTML page of its own, its stylesheet inline."""
    applicant = result["data"]["applicant"]
    return _environment(language).get_template("report.html").render(
        title=applicant["name"] or applicant["id"], css=(STATIC / "style.css").read_text(encoding="utf-8"),
        article=report_article(result, language, signature))


def report_bytes(evaluation: Evaluation, pack: RulePack, suffix: str, language: str | None = None,
                 signature: bool = False) -> bytes:
    """The report's bytes, as a page (.html) or a PDF (.pdf)."""
    from guangxi_subsidy.engine.answers.view import view

    lang = language_of(language)
    result = view(evaluation, pack)
    if suffix == ".pdf":
        from guangxi_subsidy.engine.answers.reportpdf import report_pdf

        return report_pdf(result, lang, signature)
    return report_page(result, lang, signature).encode("utf-8")


def write_report(evaluation: Evaluation, pack: RulePack, path: Path, language: str | None = None,
                 signature: bool = False) -> None:
    """Write the report; the format is the file's suffix (.html or .pdf)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: a report is .html or .pdf")
    path.write_bytes(report_bytes(evaluation, pack, ".pdf" if suffix == ".pdf" else ".html", language,
                                  signature))
