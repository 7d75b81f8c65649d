"""Save and resume without an account: a result's answers as a profile file to download, and that file loaded
back into the calculator.

The file is the profile `subsidy evaluate` reads (YAML, the field names as keys), so a result saved from the
page can be run from the command line, put in a batch row, or edited by hand and loaded again. Nothing is kept
on the server: the answers travel in the link that asks for the file, and the loaded file is read and dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from guangxi_subsidy.engine import i18n
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.web import form as forms
from guangxi_subsidy.engine.web.render import language_of

MAX_PROFILE_UPLOAD = 256 * 1024  # bytes: a profile is a few hundred; more is not a profile


def profile_text(profile: Profile) -> str:
    """The profile as YAML, only the facts given, in the model's order; money and dates as text, exact."""
    data: dict[str, Any] = {}
    for name, value in profile.__dict__.items():
        if value is None:
            continue
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        data[name] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def form_values(profile: Profile) -> dict[str, str]:
    """A profile as the calculator's form sends it: every given fact as text."""
    out: dict[str, str] = {}
    for name, value in profile.__dict__.items():
        if value is None:
            continue
        if isinstance(value, Enum):
            value = value.value
        out[name] = ("true" if value else "false") if isinstance(value, bool) else \
            format(value, "f") if isinstance(value, Decimal) else str(value)
    out["action"] = "evaluate"
    return out


def routes(pages: APIRouter, engine: Engine, calculator: Callable[..., HTMLResponse]) -> None:
    """`/profile.yaml` (the answers in a query or a form post) downloads them; `POST /profile` (a file in
    `profile`) opens its result."""

    @pages.get("/profile.yaml")
    async def saved(request: Request) -> Response:
        return download(request, {k: v for k, v in request.query_params.items() if isinstance(v, str)})

    @pages.post("/profile.yaml")
    async def saved_posted(request: Request) -> Response:
        """The calculator's own button: the answers posted, so a name never travels in a link."""
        posted = await request.form()
        return download(request, {k: v for k, v in posted.items() if isinstance(v, str)})

    def download(request: Request, query: dict[str, str]) -> Response:
        language = language_of(query.get("lang"))
        with i18n.speaking(language):
            kind, city, day, errors = forms.choose(query.get("kind"), query.get("city"), query.get("as_of"))
            answers = forms.read_answers(query, kind, city, day)
        if answers.profile is None or errors:
            return calculator(request, language, query, evaluate=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in answers.profile.id)[:60] or "profile"
        return Response(profile_text(answers.profile), media_type="application/yaml; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.yaml"'})

    @pages.post("/profile", response_class=HTMLResponse)
    async def load(request: Request) -> HTMLResponse:
        from starlette.datastructures import UploadFile

        from guangxi_subsidy.engine.applicant.reading import ProfileError, profile_from_bytes

        posted = await request.form()
        language = language_of(request.query_params.get("lang") or str(posted.get("lang") or ""))
        upload = posted.get("profile")
        gettext = i18n.translations(language).gettext
        try:
            if not isinstance(upload, UploadFile):
                return calculator(request, language, {}, evaluate=False, status=400,
                                  loaded=gettext("Choose a profile file (.yaml or .json) to load."))
            raw = await upload.read(MAX_PROFILE_UPLOAD + 1)
        finally:
            await posted.close()
        if len(raw) > MAX_PROFILE_UPLOAD:
            return calculator(request, language, {}, evaluate=False, status=413,
                              loaded=gettext("This file is too large to be a profile."))
        with i18n.speaking(language):
            try:
                profile = profile_from_bytes(raw, Path(Path(upload.filename or "profile.yaml").name))
            except ProfileError as error:
                problems = "; ".join(f"{f}: {v} — {e}" for f, v, e in error.problems[:5])
                return calculator(request, language, {}, evaluate=False, status=422,
                                  loaded=gettext("The file could not be read:") + " " + problems)
        values: Mapping[str, str] = form_values(profile)
        return calculator(request, language, values, evaluate=True)
