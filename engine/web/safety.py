"""What every request passes through: a size limit, a deadline and the security headers, as plain ASGI.

Written as ASGI middleware rather than framework hooks so the limits hold before any route reads a byte: a
declared `Content-Length` over the limit is refused at once (413) and a body that grows past it while streaming
is cut off (413) without being kept. A request that has not finished within its deadline is answered 408 when its
body was still arriving (a client too slow to send) and 503 otherwise. Every response carries a
Content-Security-Policy that allows only this origin's stylesheet and no script at all (the pages need none),
`nosniff`, no framing and no referrer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from guangxi_subsidy.engine.web.problems import problem_bytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MB = 1024 * 1024
DEFAULT_LIMIT = 1 * MB  # one profile is a few kilobytes
LIMITS = {"/api/v1/evaluate-many": 64 * MB, "/batch": 20 * MB, "/api/v1/batch": 20 * MB,
          "/office/imports": 20 * MB, "/api/v1/office/facts": 8 * MB}
DEFAULT_TIMEOUT = 30.0
TIMEOUTS = {"/api/v1/evaluate-many": 300.0, "/batch": 300.0, "/api/v1/batch": 300.0,
            "/office/imports": 300.0, "/api/v1/office/facts": 120.0,
            "/office/login": 120.0}  # (a login waiting its turn for the password check holds no thread)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class TooLarge(Exception):
    pass


def problem_body(status: int, title: str, detail: str, field: str = "(request)", value: str = "",
                 expected: str = "") -> bytes:
    """An RFC 7807 problem document, with the one problem's field, value and expectation."""
    return problem_bytes(status, title, [(field, value, expected or detail)], detail=detail)


async def send_problem(send: Send, status: int, title: str, detail: str, **extra: str) -> None:
    body = problem_body(status, title, detail, **extra)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Size limits, deadlines and security headers around the whole application."""

    def __init__(self, app: ASGIApp, limits: dict[str, int] | None = None, timeouts: dict[str, float] | None = None,
                 default_limit: int = DEFAULT_LIMIT, default_timeout: float = DEFAULT_TIMEOUT):
        self.app = app
        self.limits = LIMITS if limits is None else limits
        self.timeouts = TIMEOUTS if timeouts is None else timeouts
        self.default_limit = default_limit
        self.default_timeout = default_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limits.get(path, self.default_limit)
        deadline = self.timeouts.get(path, self.default_timeout)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_problem(send, 413, "Request body too large",
                               f"at most {limit} bytes for {path}; this request declares {declared}",
                               field="(body)", value=str(declared), expected=f"at most {limit} bytes")
            return
        state = {"started": False, "received": 0, "body_done": False}

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    raise TooLarge()
                if not message.get("more_body", False):
                    state["body_done"] = True
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        try:
            async with asyncio.timeout(deadline):  # (in this task: wait_for would start a task per request)
                await self.app(scope, guarded_receive, guarded_send)
        except TooLarge:
            if not state["started"]:
                await send_problem(send, 413, "Request body too large", f"at most {limit} bytes for {path}",
                                   field="(body)", value=f"more than {limit} bytes", expected=f"at most {limit} bytes")
        except TimeoutError:
            if not state["started"]:
                if state["body_done"] or scope.get("method") in ("GET", "HEAD"):
                    await send_problem(send, 503, "Took too long", f"not answered within {deadline:g} s")
                else:
                    await send_problem(send, 408, "Request timeout", f"the body did not arrive within {deadline:g} s",
                                       field="(body)", value="incomplete", expected=f"sent within {deadline:g} s")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
