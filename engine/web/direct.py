"""`POST /api/v1/evaluate` without a query string, answered without the framework's routing and dependencies.

It is the request the API mostly serves (one profile, the defaults), and per request the framework's middleware,
route matching, parameter solving and response objects cost about as much as evaluating: at 50 concurrent
clients on two cores that is the difference between p99 under 50 ms and well over it (`benchmarks/web_load.py`).
So this thin ASGI layer, inside the guard (its size limit, deadline and security headers hold as for every
request), answers that one request itself with the very functions the route calls (`api.read_profile`, the
engine, `evaluation_document`, the CLI's JSON bytes), so its answer is byte-equal to the route's: the same body,
the same status and problem documents, the same headers (`tests/test_web_direct.py` compares them). Every other
request, the same path with any query parameter (`as_of`, `include_drafts`, `explain`: validated by the route),
and every other method, goes on to the application unchanged.
"""

from __future__ import annotations

from typing import Any

from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.jsontext import json_line
from guangxi_subsidy.engine.web.api import Problem, cli_json, read_profile
from guangxi_subsidy.engine.web.problems import PROBLEM
from guangxi_subsidy.engine.web.safety import ASGIApp, Receive, Scope, Send, TooLarge

PATH = "/api/v1/evaluate"
JSON = b"application/json"


class Disconnected(Exception):
    """The client went away before its body was complete: nothing to answer."""


class DirectEvaluate:
    """Answers `POST /api/v1/evaluate` (no query string) itself; passes everything else to `app`."""

    def __init__(self, app: ASGIApp, engine: Engine, limit: int):
        self.app = app
        self.engine = engine
        self.limit = limit  # the guard's limit for this path, named in the 413 as the application's handler does

    def __getattr__(self, name: str) -> Any:
        """The application's own attributes (its routes, its OpenAPI document) read through this layer."""
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST"
                or scope.get("query_string") or scope.get("root_path")):
            await self.app(scope, receive, send)
            return
        try:
            body = await _body(receive)
        except Disconnected:
            return
        except TooLarge:
            problem = Problem(413, "Request body too large",
                              [("(body)", "a larger body", f"at most {self.limit} bytes")])
            await _answer(send, problem.status, json_line(problem.body()), PROBLEM.encode())
            return
        try:
            profile = read_profile(body, "request body")
        except Problem as problem:
            await _answer(send, problem.status, json_line(problem.body()), PROBLEM.encode())
            return
        evaluation = self.engine.evaluate(profile)
        await _answer(send, 200, cli_json(evaluation_document(evaluation, self.engine.pack, False)), JSON)


async def _body(receive: Receive) -> bytes:
    """The whole request body, as the framework's `Request.body()` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, content: bytes, media: bytes) -> None:
    """The response as the framework's `Response` sends it: content-length, then content-type."""
    headers: list[tuple[bytes, bytes]] = [(b"content-length", str(len(content)).encode()), (b"content-type", media)]
    start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": content})
