"""The HTTP API, version 1: the CLI's answers over HTTP, byte for byte where the CLI prints JSON.

`POST /api/v1/evaluate` reads the body as `subsidy evaluate` reads a JSON profile (decimals as Decimal, a
top-level `profile` key unwrapped, the same model) and answers with the bytes `subsidy evaluate --format json`
prints. `POST /api/v1/evaluate-many` reads JSON Lines as they arrive and writes one line per input line as soon as
it is evaluated: the evaluation, or a problem naming the line. Every refusal is an RFC 7807 problem document
(`application/problem+json`) naming the field, the value and what was expected.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION, Engine
from guangxi_subsidy.engine.jsontext import json_bytes, json_line
from guangxi_subsidy.engine.rules.coverage import coverage_json, scan
from guangxi_subsidy.engine.rules.provenance import SEEDS
from guangxi_subsidy.engine.rules.rulejson import rule_detail, rule_list
from guangxi_subsidy.engine.web.problems import PROBLEM, problem_document

Day = Annotated[dt.date | None, Query(description="Evaluate for this date (YYYY-MM-DD), as the CLI's --as-of")]
MAX_LINE = 1024 * 1024
PROFILE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Profile"}}}}}


class Problem(Exception):
    """A request the API refuses, with each problem's field, value and expectation."""

    def __init__(self, status: int, title: str, errors: list[tuple[str, str, str]]):
        super().__init__(title)
        self.status, self.title, self.errors = status, title, errors

    def body(self, **extra: Any) -> dict[str, Any]:
        return problem_document(self.status, self.title, self.errors, **extra)

    def response(self) -> Response:
        return Response(json_line(self.body()), status_code=self.status, media_type=PROBLEM)


class LineStream(StreamingResponse):
    """Streamed while the request body is still being read: the body's own messages tell of a disconnect, so no
    second reader of `receive` (which would swallow body messages) is started."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.stream_response(send)
        except OSError:
            pass


def read_profile(text: str | bytes, source: str) -> Profile:
    """A profile from JSON text, as `load_profile` reads a .json file."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        data = json.loads(text, parse_float=Decimal)
    except UnicodeDecodeError:
        raise Problem(400, "Body is not UTF-8", [("(body)", "bytes", "UTF-8 JSON")]) from None
    except json.JSONDecodeError as error:
        raise Problem(400, "Malformed JSON", [("(body)", repr(text[:40]), f"valid JSON ({error.msg} at "
                                               f"line {error.lineno} column {error.colno})")]) from None
    if isinstance(data, dict) and "profile" in data and isinstance(data["profile"], dict):
        data = data["profile"]
    try:
        return parse_profile(data, source)
    except ProfileError as error:
        raise Problem(422, "Invalid profile", error.problems) from None


def cli_json(data: Any) -> bytes:
    """The bytes the CLI prints for a JSON answer (`click.echo` adds the newline)."""
    return json_bytes(data)


def router(engine: Engine) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["v1"])
    pack = engine.pack

    @api.get("/health", summary="Is the service up, and with which rules")
    async def health() -> Response:
        return Response(json_line({"status": "ok", "engine_version": ENGINE_VERSION, "rules_digest": pack.digest,
                                   "rules": len(pack.rules)}), media_type="application/json")

    @api.post("/evaluate", summary="Evaluate one profile (subsidy-evaluation/1, as `subsidy evaluate --format json`)",
              openapi_extra=PROFILE_BODY, response_class=Response)
    async def evaluate(request: Request, as_of: Day = None,
                       include_drafts: bool = False, explain: bool = False) -> Response:
        profile = read_profile(await request.body(), "request body")
        evaluation = engine.evaluate(profile, as_of=as_of, include_drafts=include_drafts)
        return Response(cli_json(evaluation_document(evaluation, pack, explain)), media_type="application/json")

    @api.post("/evaluate-many", summary="Evaluate JSON Lines of profiles; one JSON line out per line in, streamed",
              response_class=LineStream)
    async def evaluate_many(request: Request, as_of: Day = None,
                            include_drafts: bool = False, explain: bool = False) -> StreamingResponse:
        async def lines() -> AsyncIterator[bytes]:
            buffer = b""
            number = 0
            async for chunk in request.stream():
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    number += 1
                    if line.strip():
                        yield one(line, number)
                if len(buffer) > MAX_LINE:
                    number += 1
                    yield _problem_line(Problem(413, "Line too long", [(f"line {number}", f"{len(buffer)} bytes",
                                                                        f"at most {MAX_LINE} bytes")]), number)
                    return
            if buffer.strip():
                yield one(buffer, number + 1)

        def one(line: bytes, number: int) -> bytes:
            try:
                profile = read_profile(line, f"line {number}")
            except Problem as problem:
                return _problem_line(problem, number)
            evaluation = engine.evaluate(profile, as_of=as_of, include_drafts=include_drafts)
            return json_line(evaluation_document(evaluation, pack, explain))

        return LineStream(lines(), media_type="application/x-ndjson")

    @api.get("/rules", summary="Every rule: place, status, period, clause, amount kind")
    async def rules() -> Response:
        return Response(cli_json(rule_list(pack)), media_type="application/json")

    @api.get("/rules/{rule_id}", summary="One rule, as `subsidy rules show ID --format json`")
    async def rule(rule_id: str) -> Response:
        found = pack.rules.get(rule_id) or pack.derived.get(rule_id)
        if found is None:
            close = difflib.get_close_matches(rule_id, [*pack.rules, *pack.derived], n=3)
            hint = ("did you mean " + ", ".join(close)) if close else "a rule id from /api/v1/rules"
            raise Problem(404, "No such rule", [("rule_id", repr(rule_id[:80]), hint)])
        return Response(cli_json(rule_detail(found)), media_type="application/json")

    @api.get("/schema/profile", summary="The profile's JSON Schema, as `subsidy schema`")
    async def profile_schema() -> Response:
        return Response(_schema(), media_type="application/schema+json")

    @api.get("/coverage", summary="Every money figure in the seeds and the rule or reason covering it")
    async def coverage() -> Response:
        return Response(_coverage(engine), media_type="application/json")

    return api


def _problem_line(problem: Problem, number: int) -> bytes:
    return json_line(problem.body(line=number))


@functools.cache
def _schema() -> bytes:
    return cli_json(Profile.model_json_schema())


_COVERAGE: dict[str, bytes] = {}


def _coverage(engine: Engine) -> bytes:
    if engine.pack.digest not in _COVERAGE:
        _COVERAGE[engine.pack.digest] = cli_json(coverage_json(scan(engine.pack, SEEDS)))
    return _COVERAGE[engine.pack.digest]
