"""The calculator and the applicant's report, as server-rendered pages.

One form does everything, with no script: it posts the kind, city and date with every answer; "show the
questions" redraws the form for another kind or city, "calculate" evaluates and shows the result above the
questions, with the facts that might change it asked first. Nothing is kept between requests: the answers travel
in the form (or in a link's query, `action=evaluate`, which opens the result), the language switch carries them,
and the report is drawn from the same answers posted again. The guided questions are `guide.py`'s; saving and
loading a profile file `saving.py`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.answers.report import report_article
from guangxi_subsidy.engine.answers.view import view as reader_view
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.web import form as forms
from guangxi_subsidy.engine.web import guide, saving
from guangxi_subsidy.engine.web.render import field_label, language_of, render
from guangxi_subsidy.engine.web.results import view

WHATIF_STEPS = 11  # points of a curve drawn from the calculator, both ends included


def switch_url(request: Request, language: str, path: str | None = None,
               keep: Mapping[str, str] | None = None) -> str:
    """The same page in the other language: a GET page with its query; a posted page with the answers it was
    sent (`keep`), so switching language never drops them."""
    query = {k: v for k, v in (keep if keep is not None else request.query_params).items() if k != "lang"}
    query["lang"] = "en" if language == "zh" else "zh"
    return (path or request.url.path) + "?" + urlencode(query)


def page(request: Request, template: str, language: str, status: int = 200, path: str | None = None,
         keep: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    text = render(template, language, switch_url=switch_url(request, language, path, keep), **context)
    return HTMLResponse(text, status_code=status)


def answers_query(values: Mapping[str, str], kind: str, city: str, day: str, include_drafts: bool,
                  action: str | None = "evaluate") -> dict[str, str]:
    """The answers as a link's query: what opens the same result (or form) again, in any language. The
    applicant's name is left out: a link is copied, sent and logged, and a person's name has no place there (the
    saved profile file keeps it)."""
    query = {"kind": kind, "city": city, "as_of": day,
             **{k: v for k, v in values.items() if v.strip() and k not in ("kind", "city", "as_of", "name")}}
    if include_drafts:
        query["include_drafts"] = "1"
    if action:
        query["action"] = action
    return query


def _lang(request: Request, posted: Mapping[str, Any] | None = None) -> str:
    return language_of(request.query_params.get("lang") or (posted or {}).get("lang"))


def _whatif_fields(answered: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The numeric facts the person gave: the figures a what-if curve can vary, each with its label."""
    from guangxi_subsidy.engine.applicant.fields import fields
    from guangxi_subsidy.engine.language import ValueType

    numeric = (ValueType.MONEY, ValueType.INTEGER, ValueType.DECIMAL)
    return [(name, info.label) for name, info in fields().items()
            if info.read_by_rules and info.type in numeric and str(answered.get(name) or "").strip()]


def _strings(posted: Mapping[str, Any]) -> dict[str, str]:
    """Text fields only: a file or a repeated key is not an answer."""
    return {k: v for k, v in posted.items() if isinstance(v, str)}


def router(engine: Engine) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    pack = engine.pack

    def calculator(request: Request, language: str, posted: Mapping[str, str], evaluate: bool,
                   status: int = 200, loaded: str | None = None) -> HTMLResponse:
        with i18n.speaking(language):
            kind, city, day, errors = forms.choose(posted.get("kind"), posted.get("city"), posted.get("as_of"))
            include_drafts = posted.get("include_drafts") == "1"
            answers = forms.read_answers(posted, kind, city, day) if evaluate else forms.Answers(dict(posted))
            errors = {**answers.errors, **errors}
            result = None
            if evaluate and answers.profile is not None and not errors:
                result = view(engine.evaluate(answers.profile, include_drafts=include_drafts), pack)
            if evaluate and errors:
                status = 422
            query = answers_query(answers.values, kind, city, day, include_drafts, "evaluate" if result else None)
            return page(request, "calculator.html", language, status, path="/", keep=query if posted else None,
                        title=i18n.translations(language).gettext("Policy calculator"),
                        kind=kind, city=city, as_of=day, include_drafts=include_drafts,
                        topics=forms.topics(pack, kind, city, include_drafts), values=answers.values,
                        errors=errors, view=result, asked=result["asked"] if result else [], shown_next=[],
                        whatif_fields=_whatif_fields(answers.values) if result else [],
                        id_q=forms.question("id"), name_q=forms.question("name"), loaded=loaded,
                        link="/?" + urlencode(query) if result else None,
                        saved="/profile.yaml?" + urlencode(query) if result else None)

    @pages.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        """The form; with `action=evaluate` in the query (a saved link), the result of the answers it carries."""
        query = _strings(request.query_params)
        return calculator(request, _lang(request), query, evaluate=query.get("action") == "evaluate")

    @pages.post("/", response_class=HTMLResponse)
    async def calculate(request: Request) -> HTMLResponse:
        posted = _strings(await request.form())
        return calculator(request, _lang(request, posted), posted, evaluate=posted.get("action") != "questions")

    saving.routes(pages, engine, calculator)
    pages.include_router(guide.router(engine))

    async def report_view(request: Request) -> tuple[str, Any, Mapping[str, str]]:
        posted = _strings(await request.form())
        language = _lang(request, posted)
        with i18n.speaking(language):
            kind, city, day, errors = forms.choose(posted.get("kind"), posted.get("city"), posted.get("as_of"))
            answers = forms.read_answers(posted, kind, city, day)
            if answers.profile is None or errors:
                return language, None, {**answers.errors, **errors}
            evaluation = engine.evaluate(answers.profile, include_drafts=posted.get("include_drafts") == "1")
            return language, reader_view(evaluation, pack), {}

    @pages.post("/report", response_class=HTMLResponse)
    async def report(request: Request) -> HTMLResponse:
        language, result, errors = await report_view(request)
        if result is None:
            return _refused(request, language, errors)
        return page(request, "report.html", language, path="/", article=report_article(result, language),
                    title=i18n.translations(language).gettext("Subsidy assessment report"))

    @pages.post("/report.pdf")
    async def report_pdf(request: Request) -> Response:
        from guangxi_subsidy.engine.answers.reportpdf import report_pdf as build

        language, result, errors = await report_view(request)
        if result is None:
            return _refused(request, language, errors)
        name = f"report-{result['data']['applicant']['id']}.pdf".encode("ascii", "replace").decode()
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return Response(build(result, language), media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{safe}"'})

    @pages.post("/whatif", response_class=HTMLResponse)
    async def whatif(request: Request) -> HTMLResponse:
        """The calculator's answers with one figure varied from a value to another: each benefit's amount along
        the way, as a curve (the SVG `subsidy whatif --chart` writes) and a table."""
        from markupsafe import Markup

        from guangxi_subsidy.engine.applicant import values
        from guangxi_subsidy.engine.applicant.fields import fields
        from guangxi_subsidy.engine.applicant.reading import ProfileError
        from guangxi_subsidy.engine.language import ValueType
        from guangxi_subsidy.engine.scenarios.charts import curve_svg
        from guangxi_subsidy.engine.scenarios.whatif import vary

        posted = _strings(await request.form())
        language = _lang(request, posted)
        gettext = i18n.translations(language).gettext
        with i18n.speaking(language):
            kind, city, day, errors = forms.choose(posted.get("kind"), posted.get("city"), posted.get("as_of"))
            answers = forms.read_answers(posted, kind, city, day)
            if answers.profile is None or errors:
                return _refused(request, language, {**answers.errors, **errors})
            field = posted.get("vary", "")
            # the ends read as the field's own cells are: 100万 for money, as everywhere else
            read = values.money if field in fields() and fields()[field].type == ValueType.MONEY else \
                lambda text: values.decimal(text, "a number")
            try:
                start, stop = read(posted.get("vary_from", "")), read(posted.get("vary_to", ""))
                curve = vary(engine, answers.profile, field, start, stop, WHATIF_STEPS,
                             include_drafts=posted.get("include_drafts") == "1")
            except ProfileError as error:
                return _refused(request, language, {field_label(f, language): f"{v} — {e}"
                                                    for f, v, e in error.problems})
            except (ValueError, ArithmeticError) as error:  # (a range no Decimal context computes: a 422 too)
                return _refused(request, language, {gettext("from / to"): str(error)})
        series = curve.series()
        rows = [(value, [series[rule_id][i] for rule_id, _name in curve.benefits()])
                for i, value in enumerate(curve.values)]
        _title, label, xs, lines = curve.chart()
        svg = curve_svg(gettext("Amount as {label} varies").format(label=label), label, xs, lines)
        return page(request, "whatif.html", language, path="/", title=gettext("What if a figure changes"),
                    field=field, label=label, chart=Markup(svg), benefits=curve.benefits(), rows=rows)

    def _refused(request: Request, language: str, errors: Mapping[str, str]) -> HTMLResponse:
        gettext = i18n.translations(language).gettext
        detail = "; ".join(f"{field_label(k, language)}: {v}" for k, v in errors.items())
        return page(request, "problem.html", language, 422, path="/", title=gettext("Please check the answers"),
                    detail=detail)

    return pages
