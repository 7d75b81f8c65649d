"""Both HTTP parsers `subsidy serve` can run on hold the same guards: httptools (the default where installed) and
h11 (the fallback, `SUBSIDY_HTTP=h11`). For each, a real server on loopback: keep-alive and pipelined requests
answered in order, a malformed request line and an oversized head refused with a problem document, a trickled
head cut off at the header deadline with 408. (500 slow connections and the per-address cap against the default
parser: tests/test_web_slow_clients.py.)"""

from __future__ import annotations

import socket
import time

import pytest
from webserver import served

HEADER_TIMEOUT = 1.0  # seconds, for these servers (the default is longer)
BODY = (b'{"id": "NN-BASE-001", "kind": "incubation_base", "city": "\xe5\x8d\x97\xe5\xae\x81", "as_of": "2017-03-01", '
        b'"recognised_incubation_base": true, "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}')
EVALUATE = (b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(request):
    env = {"SUBSIDY_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "SUBSIDY_HTTP": request.param}
    with served(env=env) as running:
        yield running


def read_all(sock: socket.socket, seconds: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (or `seconds` pass)."""
    sock.settimeout(seconds)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        chunks.append(b"(still open)")
    return b"".join(chunks)


def exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
        except OSError:  # refused and closed while still sending: the answer is read all the same
            pass
        return read_all(sock)


def test_two_pipelined_evaluations_and_a_closing_request_are_answered_in_order(server):
    _, port, _ = server
    closing = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = exchange(port, EVALUATE + EVALUATE + closing)
    answers = answer.split(b"HTTP/1.1 200 OK")[1:]
    assert len(answers) == 3, answer[:200]
    assert [b'"value": "550000.00"' in one for one in answers] == [True, True, False]  # health comes last


def test_a_malformed_request_line_is_a_400_problem_document_with_the_security_headers(server):
    _, port, _ = server
    answer = exchange(port, b"GET /api/v1/health HTTP/1.1 extra words\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert b"application/problem+json" in answer and b"content-security-policy" in answer.lower()


def test_a_request_head_growing_past_64_kib_is_refused_4xx_and_the_connection_closed(server):
    _, port, _ = server
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70_000  # and never ends
    answer = exchange(port, head)
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), answer[:80]  # h11's own refusal, or ours
    assert b"application/problem+json" in answer and not answer.endswith(b"(still open)")


def test_over_httptools_a_whole_head_over_64_kib_in_one_write_is_refused_431(server, request):
    if request.node.callspec.params["server"] != "httptools":
        pytest.skip("h11 bounds only the head it holds incomplete: a complete one is parsed whole")
    _, port, _ = server
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    answer = exchange(port, head)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert b"application/problem+json" in answer and not answer.endswith(b"(still open)")


def test_a_head_still_trickling_at_the_deadline_is_answered_408_after_a_request_on_the_same_connection(server):
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(EVALUATE)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        started = time.monotonic()
        sock.settimeout(0.25)
        answer = b""
        while not answer and time.monotonic() - started < HEADER_TIMEOUT + 4:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                sock.sendall(b"a")
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
        assert b"application/problem+json" in answer
        assert time.monotonic() - started >= HEADER_TIMEOUT * 0.9  # not before its deadline
