"""The guided questionnaire's pages (`/guide`): one short step at a time, each a plain form post, no script.

The whole state travels in the form (and, as the same names, in a link's query): who the applicant is, the city
and the date, every answer given under its field's name, and the fields answered 不清楚 in `unknown`. Each step
evaluates those answers once, asks the question `questionnaire.step` chooses, and shows the result so far; when
no question is left it shows the whole result, as the calculator does. A step can also be opened by GET with
the same query, which is what the language switch and a saved link do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.applicant.fields import fields
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.web import form as forms
from guangxi_subsidy.engine.web import questionnaire as qn
from guangxi_subsidy.engine.web.render import language_of
from guangxi_subsidy.engine.web.results import view

STATE = ("identity", "city", "as_of", "include_drafts", "focus")  # besides the answers, what every step carries


def _state(posted: Mapping[str, str], pack: Any) -> tuple[qn.Identity | None, dict[str, str], list[str]]:
    """Who, the answers (field → text, the one just given included) and the fields answered 不清楚."""
    who = qn.identity(pack, posted.get("identity"))
    unknown = [n for n in posted.get("unknown", "").split(",") if n in fields()]
    answers = {k: v for k, v in posted.items() if k in fields() and k not in ("kind", "city", "as_of") and v != ""}
    asked = posted.get("ask", "")
    reply = posted.get("reply", "")
    if asked in fields() and asked not in answers:
        if reply == "none":
            answers[asked] = "0"
        elif reply == "unknown" or not posted.get(asked, "").strip():
            unknown.append(asked)
    if who is not None:
        for name in who.sets:
            answers[name] = "true"
    return who, answers, list(dict.fromkeys(n for n in unknown if n not in answers))


def router(engine: Engine) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    pack = engine.pack

    def guide(request: Request, posted: Mapping[str, str]) -> HTMLResponse:
        from guangxi_subsidy.engine.web.pages import page

        language = language_of(request.query_params.get("lang") or posted.get("lang"))
        gettext = i18n.translations(language).gettext
        title = gettext("Guided questions")
        who, answers, unknown = _state(posted, pack)
        with i18n.speaking(language):
            if who is None:  # the first step: who, where, when
                _, city, day, errors = forms.choose(None, posted.get("city"), posted.get("as_of"))
                if "identity" in posted:
                    errors["identity"] = gettext("Choose what the applicant is.")
                return page(request, "guide.html", language, 422 if errors else 200, path="/guide",
                            keep={k: posted[k] for k in ("city", "as_of") if k in posted},
                            title=title, start=True, identities=qn.identities(pack), city=city, as_of=day,
                            errors=errors, chosen=None)
            kind, city, day, errors = forms.choose(who.kind, posted.get("city"), posted.get("as_of"))
            include_drafts = posted.get("include_drafts") == "1"
            focus = posted.get("focus") if posted.get("focus") in pack.rules else None
            focused = pack.rules[focus].name if focus else None
            read = forms.read_answers(answers, kind, city, day)
            errors = {**read.errors, **errors}
            state = {"identity": who.code, "city": city, "as_of": day, "unknown": ",".join(unknown),
                     **({"include_drafts": "1"} if include_drafts else {}), **({"focus": focus} if focus else {})}
            keep = {**state, **{k: v for k, v in answers.items() if k not in who.sets}}
            if read.profile is None or errors:  # an answer not understood: asked again, the error beside it
                bad = next(iter(errors))
                for name in errors:
                    answers.pop(name, None)
                return page(request, "guide.html", language, 422, path="/guide", keep=keep, title=title,
                            start=False, chosen=who, state=state, answers=answers, errors=errors,
                            question=forms.question(bad) if bad in fields() else None, step=None, view=None,
                            asked=_count(answers, unknown, who), kind=kind, city=city, typed=read.values,
                            received=qn.is_received(bad), link=None, saved=None, focused=focused)
            evaluation = engine.evaluate(read.profile, include_drafts=include_drafts)
            step = qn.step(evaluation, pack, unknown, focus)
            result = view(evaluation, pack)
            query = {**{k: v for k, v in answers.items()}, "kind": kind, "city": city, "as_of": day,
                     "action": "evaluate", **({"include_drafts": "1"} if include_drafts else {})}
            return page(request, "guide.html", language, path="/guide", keep=keep, title=title, start=False,
                        chosen=who, state=state, answers={k: v for k, v in answers.items() if k not in who.sets},
                        errors={}, question=forms.question(step.field) if step.field else None, step=step,
                        view=result, asked=_count(answers, unknown, who), kind=kind, city=city, typed={},
                        received=bool(step.field and qn.is_received(step.field)), link="/?" + urlencode(query),
                        saved="/profile.yaml?" + urlencode(query), compact=step.field is not None,
                        focused=focused)

    @pages.get("/guide", response_class=HTMLResponse)
    async def guide_get(request: Request) -> HTMLResponse:
        return guide(request, {k: v for k, v in request.query_params.items() if isinstance(v, str)})

    @pages.post("/guide", response_class=HTMLResponse)
    async def guide_post(request: Request) -> HTMLResponse:
        posted = await request.form()
        return guide(request, {k: v for k, v in posted.items() if isinstance(v, str)})

    return pages


def _count(answers: Mapping[str, str], unknown: list[str], who: qn.Identity) -> int:
    """Questions answered so far (the first step's choice not counted): each given fact and each 不清楚."""
    return len([k for k in answers if k not in who.sets]) + len(unknown)
