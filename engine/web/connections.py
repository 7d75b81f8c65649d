"""What every connection passes through before any request is read: a time limit on the headers, a cap on the
connections one client address may hold open, and the security headers on the answers the HTTP layer gives.

The application's guard (`safety.Guard`) only sees a request once its headers are complete, so it cannot stop a
client that opens hundreds of connections and trickles a header byte every few seconds: each such connection
would be held forever and counted against the server's connection limit, and every other client would wait. Here,
in uvicorn's HTTP protocol itself, a connection whose request headers have not all arrived within
`HEADER_TIMEOUT` seconds of its first byte (or of its opening) is answered 408 and closed, and a client address
already holding `PER_CLIENT` connections to this worker is answered 429 and closed at once; a request line and
headers over `HEAD_BYTES` are refused (h11's own limit, or 431 over httptools). The reverse proxy's
addresses (`subsidy serve --proxy`) are not capped: every client arrives from them, and the proxy caps each of
its own clients (README, "Deployment").

The settings come from the environment (SUBSIDY_HEADER_TIMEOUT, SUBSIDY_PER_CLIENT, SUBSIDY_PROXY), set by
`subsidy serve` before the workers start, so every worker process reads the same ones.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from guangxi_subsidy.engine.web.safety import HEADERS, problem_body

HEADER_TIMEOUT = 10.0  # seconds for a request's headers (a browser sends them in one packet)
PER_CLIENT = 256  # connections one address may hold open to one worker (an office behind one NAT address, each
# browser opening up to 6; a proxy in front is not capped at all)


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    per_client: int
    proxies: frozenset[str]


@cache
def limits() -> Limits:
    """The limits of this process, read once from the environment `subsidy serve` sets."""
    proxies = frozenset(p.strip() for p in os.environ.get("SUBSIDY_PROXY", "").split(",") if p.strip())
    return Limits(float(os.environ.get("SUBSIDY_HEADER_TIMEOUT") or HEADER_TIMEOUT),
                  int(os.environ.get("SUBSIDY_PER_CLIENT") or PER_CLIENT), proxies)


CONNECTIONS = 4096  # connections a worker holds (idle ones too) before it answers 503: slow or idle clients are
# held to HEADER_TIMEOUT and PER_CLIENT here, so the bound is set by memory, not by a few hundred clients


HEAD_BYTES = 64 * 1024  # a request line and headers longer than this are refused (a browser sends a few kB)


def protocol() -> str:
    """The guarded protocol uvicorn serves with: over httptools (llhttp, in C) where it is installed, else over
    h11 (pure Python, slower); SUBSIDY_HTTP=h11 chooses h11 anyway."""
    if os.environ.get("SUBSIDY_HTTP") != "h11" and find_spec("httptools") is not None:
        return "guangxi_subsidy.engine.web.connections_fast:FastProtocol"
    return "guangxi_subsidy.engine.web.connections:GuardedProtocol"


def server_options(proxies: tuple[str, ...] = ()) -> dict[str, Any]:
    """uvicorn's settings for `subsidy serve`: the guarded protocol, the connection bound, and X-Forwarded-For
    believed from the given proxy addresses only (from nobody without one: a client could otherwise name any
    address)."""
    os.environ["SUBSIDY_PROXY"] = ",".join(proxies)
    limits.cache_clear()
    return dict(log_level="warning", timeout_keep_alive=5, limit_concurrency=CONNECTIONS,
                h11_max_incomplete_event_size=HEAD_BYTES, server_header=False, http=protocol(),
                proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) or None)


OPEN: Counter[str] = Counter()  # connections open in this process, by client address


def answer(status: int, reason: str, title: str, detail: str, expected: str) -> bytes:
    """A complete HTTP response carrying a problem document and the security headers, then closing."""
    body = problem_body(status, title, detail, field="(connection)", value=detail, expected=expected)
    head = [f"HTTP/1.1 {status} {reason}".encode(), b"content-type: application/problem+json",
            b"content-length: " + str(len(body)).encode(), b"connection: close",
            *(name + b": " + value for name, value in HEADERS)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


HELD = 16 * 1024  # a write this small (a response's head) may wait for the next one (its body) to go out with it


class Coalescing:
    """The connection's transport, sending a response's head and body in one write.

    uvicorn writes the status line and headers, then the body, then the end of the message, each at once: two
    sends on the socket for every answer, and on loopback or a LAN each send costs the kernel's whole path and a
    wake-up of the client, about a tenth of a worker's time under load. Here a small write is held until the next
    write (which takes it along) or the end of this turn of the event loop, whichever comes first; at most one
    write is ever held, so memory and flow control are as before. Everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self.held is not None:
            data, self.held = self.held + data, None
        elif len(data) <= HELD and data:
            self.held = data
            self.loop.call_soon(self.flush)
            return
        if data:
            self.transport.write(data)

    def flush(self) -> None:
        if self.held is not None:
            data, self.held = self.held, None
            if not self.transport.is_closing():
                self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class Guards(asyncio.Protocol):
    """The guards of a connection, shared by the two HTTP protocols (h11's below, httptools' in
    `connections_fast`): the per-address cap, the header deadline and problem documents for the HTTP layer's own
    refusals. A protocol says when a request's headers are awaited (`awaiting_headers`) and keeps the timer
    running while they are."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    client: tuple[str, int] | None
    on_close: Callable[[], None] | None = None  # set by the worker's acceptor that counted the connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits()
        self.header_timer: asyncio.TimerHandle | None = None
        self.address: str | None = None  # counted in OPEN while the connection is open

    def awaiting_headers(self) -> bool:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(Coalescing(transport, self.loop))  # type: ignore[arg-type]
        address = self.client[0] if self.client else None
        if address is not None and address not in self.limits.proxies:
            if OPEN[address] >= self.limits.per_client:
                self.refuse(answer(429, "Too Many Requests", "Too many connections from one address",
                                   f"{OPEN[address]} connections already open from this address",
                                   f"at most {self.limits.per_client} at once; close some and try again"))
                return
            OPEN[address] += 1
            self.address = address
        self.start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_header_timer()
        if self.on_close is not None:
            self.on_close()
            self.on_close = None
        if self.address is not None:
            OPEN[self.address] -= 1
            if OPEN[self.address] <= 0:
                del OPEN[self.address]
            self.address = None
        super().connection_lost(exc)

    def start_header_timer(self) -> None:
        if self.header_timer is None and not self.transport.is_closing():
            self.header_timer = self.loop.call_later(self.limits.header_timeout, self.headers_too_slow)

    def stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def headers_too_slow(self) -> None:
        self.header_timer = None
        if self.awaiting_headers() and not self.transport.is_closing():
            seconds = f"{self.limits.header_timeout:g}"
            self.refuse(answer(408, "Request Timeout", "Request headers too slow",
                               f"the request's headers did not arrive within {seconds} s",
                               f"a request's headers sent within {seconds} s"))

    def send_400_response(self, msg: str) -> None:
        self.refuse(answer(400, "Bad Request", "Invalid HTTP request", msg,
                           "an HTTP/1.1 request (a valid request line, headers and Content-Length)"))

    def refuse(self, response: bytes) -> None:
        self.stop_header_timer()
        self.transport.write(response)
        self.transport.close()


class GuardedProtocol(Guards, H11Protocol):
    """uvicorn's h11 protocol with the guards: the fallback where httptools is not installed."""

    def awaiting_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE  # (h11 holds a request until its headers are complete)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self.start_header_timer()  # a new request begins: its headers have HEADER_TIMEOUT to arrive
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self.stop_header_timer()
