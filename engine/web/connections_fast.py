"""The guarded protocol over httptools (llhttp, the C parser Node.js uses) instead of h11's pure Python: the
same guards as `connections.GuardedProtocol` (the per-address cap, the header deadline, problem documents for the
HTTP layer's refusals), and the limit on a request's head that h11 kept by itself (`h11_max_incomplete_event_size`)
kept here: llhttp sets none, and httptools gathers a header's name and value in memory until it ends.

Only imported where httptools is installed (`connections.protocol` chooses)."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from guangxi_subsidy.engine.web.connections import HEAD_BYTES, Guards, answer


class HeadTooLarge(Exception):
    """Raised in the parser's callback: httptools turns it into its own error, which uvicorn answers."""


class FastProtocol(Guards, HttpToolsProtocol):
    """uvicorn's httptools protocol with the guards.

    `heading` is true from the connection's opening and from the end of each request until the next request's
    headers are complete. Two counts are held to HEAD_BYTES: the bytes received while heading (a head that
    never ends: httptools would gather it in memory), checked after each read, and the request line and headers
    as parsed, checked when they are complete (a whole head over the limit arriving in one read)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heading = True
        self.head_bytes = 0  # bytes received while heading (bounds a head that never ends)
        self.head_size = 0  # the request line and headers parsed (bounds a whole head received at once)
        self.oversized = False

    def awaiting_headers(self) -> bool:
        return self.heading

    def responding(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def headers_too_slow(self) -> None:
        if self.heading and self.responding():  # a pipelined request's head, waiting for the answer before it:
            self.header_timer = None  # its deadline is counted again, and no 408 cuts into that answer
            self.start_header_timer()
            return
        super().headers_too_slow()

    def data_received(self, data: bytes) -> None:
        if self.heading:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.heading and self.head_bytes > HEAD_BYTES and not self.transport.is_closing():
            self.refuse(self.too_large())

    def too_large(self) -> bytes:
        return answer(431, "Request Header Fields Too Large", "Request headers too large",
                      f"the request line and headers exceed {HEAD_BYTES} bytes",
                      f"a request line and headers of at most {HEAD_BYTES} bytes")

    def send_400_response(self, msg: str) -> None:
        if self.oversized:
            self.refuse(self.too_large())
        else:
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_size = 0
        self.start_header_timer()  # a request's first byte: its headers have HEADER_TIMEOUT to arrive

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4  # (": " and the line's end)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.heading = False
        self.head_bytes = 0
        self.stop_header_timer()
        if self.head_size > HEAD_BYTES:  # a whole head over the limit in one read: the parser's error, answered
            self.oversized = True  # 431 by send_400_response
            raise HeadTooLarge()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.heading = True
