"""A real `subsidy serve` under load and under bad input: bounded runs that stop by themselves.

The load test holds a stated number of requests from parallel keep-alive clients within a time bound, with every
answer right and the server's memory flat; the bad-request test sends malformed JSON, huge bodies, wrong types,
unknown fields and a few thousand generated bad requests, and every one is answered 4xx while the server goes on
answering good ones. Timings are bounds on the run, never the thing measured (see benchmarks/web_load.py).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import socket
import threading
import time

import pytest
from webserver import rss_kb, server_log

from guangxi_subsidy.engine.web.safety import Guard

BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}
BODY = json.dumps(BASE, ensure_ascii=False).encode()
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(default_server):
    return default_server


def post(conn: http.client.HTTPConnection, body: bytes, path: str = "/api/v1/evaluate") -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers=JSON)
    response = conn.getresponse()
    return response.status, response.read()


def worker(host: str, port: int, count: int, out: list[str], stop_at: float) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        for _ in range(count):
            if time.monotonic() > stop_at:
                out.append("deadline")
                return
            try:
                status, body = post(conn, BODY)
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # The server closes a keep-alive connection idle for 5 s (a thread starved of CPU on a loaded
                # machine); as any HTTP client does, send the request again once on a new connection.
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                status, body = post(conn, BODY)
            if status != 200 or b'"value": "550000.00"' not in body:
                out.append(f"{status}: {body[:80]!r}")
    except OSError as error:
        out.append(repr(error))
    finally:
        conn.close()


def run_load(host: str, port: int, clients: int, each: int, seconds: float) -> list[str]:
    problems: list[str] = []
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=worker, args=(host, port, each, problems, stop_at)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return problems


def test_load_of_parallel_clients_is_answered_without_error_and_memory_stays_flat(server):
    host, port, process = server
    problems = run_load(host, port, 10, 50, 60)  # warm-up: caches, allocator arenas
    assert problems == [], server_log(process)
    warm = rss_kb(process.pid)
    problems = run_load(host, port, 20, 100, 90)  # 2,000 requests, bounded in count and in time
    assert problems == [], server_log(process)
    grown = rss_kb(process.pid) - warm
    assert grown < 20_000, f"server memory grew {grown} kB over 2,000 requests"
    # (the rate is measured by benchmarks/web_load.py, not here: on a shared machine a timed test measures the load)


def mutated(rng: random.Random) -> tuple[str, bytes]:
    """A request body sure to be refused, and what makes it bad."""
    choice = rng.randrange(7)
    if choice == 0:  # any strict prefix of a JSON object is not JSON
        return "truncated", BODY[: rng.randrange(len(BODY))]
    if choice == 1:
        return "random bytes", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if choice == 2:
        name = "x_" + "".join(rng.choice("abcdefghij_") for _ in range(rng.randrange(1, 12)))
        return "unknown field", json.dumps({**BASE, name: rng.choice([1, "a", None, True])}).encode()
    if choice == 3:
        wrong = rng.choice(["lots", -1, [1], {"a": 1}, "1e400", "NaN", "", "12.345", True])
        return "bad money", json.dumps({**BASE, "rent_and_broadband_paid": wrong}).encode()
    if choice == 4:
        wrong = rng.choice(["maybe", [True], {"x": 1}, 2, "是的", 0.5])
        return "bad yes/no", json.dumps({**BASE, "recognised_incubation_base": wrong}).encode()
    if choice == 5:
        field, wrong = rng.choice([("id", ""), ("id", 12), ("id", None), ("id", [1]), ("id", "x" * 300),
                                   ("kind", "castle"), ("kind", ""), ("kind", 3), ("city", "北京"), ("city", None),
                                   ("as_of", "2017-02-30"), ("as_of", "soon"), ("as_of", [2017])])
        return f"bad {field}", json.dumps({**BASE, field: wrong}).encode()
    return "not a mapping", json.dumps(rng.choice([[1, 2], "text", 3, None, True, [BASE]])).encode()


def raw_post(host: str, port: int, body: bytes) -> tuple[int, bytes]:
    """A body over the limit: the server answers 413 and closes while it is still being sent."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        try:
            sock.sendall(body)
        except OSError:
            pass
        head = sock.recv(4096)
    return int(head.split()[1]), b""


def test_bad_requests_are_each_answered_4xx_while_the_server_keeps_serving(server):
    host, port, _ = server
    conn = http.client.HTTPConnection(host, port, timeout=10)
    fixed = [("malformed", b"{\"id\": \"A\", "), ("empty", b""), ("huge", b"[" + b"1," * 600_000 + b"1]")]
    rng = random.Random(17)
    cases = fixed + [mutated(rng) for _ in range(2500)]
    wrong = []
    for number, (what, body) in enumerate(cases):
        try:
            status, answer = post(conn, body)
        except (OSError, http.client.HTTPException):  # the server closed after a refusal: reconnect
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            status, answer = post(conn, body) if len(body) < 1024 * 1024 else raw_post(host, port, body)
        if not 400 <= status < 500:
            wrong.append((what, body[:60], status))
        elif status != 413:
            assert json.loads(answer)["errors"][0]["field"], what
        if number % 500 == 0:
            assert post(conn, BODY)[0] == 200  # still serving
    conn.close()
    assert wrong == [], sorted({w[0] + " " + repr(w[1]) for w in wrong})[:10]


def test_a_declared_huge_body_is_refused_before_it_is_sent(server):
    host, port, _ = server
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10000000000\r\n\r\n{")
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413")
    conn = http.client.HTTPConnection(host, port, timeout=10)
    assert post(conn, BODY)[0] == 200


def test_wrong_methods_paths_and_headers_are_4xx(server):
    host, port, _ = server
    conn = http.client.HTTPConnection(host, port, timeout=10)
    for method, path in [("GET", "/api/v1/evaluate"), ("DELETE", "/"), ("GET", "/api/v2/evaluate"),
                         ("GET", "/static/../pyproject.toml"), ("PUT", "/api/v1/rules")]:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        assert 400 <= response.status < 500, (method, path, response.status)


def _call(app: Guard, messages: list[dict], delay: float = 0.0) -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        await asyncio.sleep(delay)
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/evaluate", "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


async def _reader(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_body_that_arrives_too_slowly_is_answered_408():
    sent = _call(Guard(_reader, default_timeout=0.2), [{"type": "http.request", "body": b"{", "more_body": True}] * 5,
                 delay=0.1)
    assert sent[0]["status"] == 408


def test_a_streamed_body_past_the_limit_is_cut_off_with_413():
    chunk = {"type": "http.request", "body": b"x" * 600, "more_body": True}
    sent = _call(Guard(_reader, limits={}, default_limit=1000), [dict(chunk) for _ in range(3)])
    assert sent[0]["status"] == 413
    assert dict(sent[0]["headers"])[b"x-content-type-options"] == b"nosniff"
