"""`subsidy serve --workers N`: a socket for each worker, connections spread over them, one error for a port in
use, and every worker stopped with the server."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from webserver import ROOT, SUBSIDY, free_port


def children(pid: int) -> list[int]:
    """The worker processes (multiprocessing's resource tracker, which serves no request, left out)."""
    found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [p for p in found if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_text()]


def connections(pid: int) -> int:
    """The TCP sockets a process holds open (its listening one included)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


@contextmanager
def workers(count: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen([str(SUBSIDY), "serve", "--port", str(port), "--workers", str(count)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while not (healthy(port) and len(children(process.pid)) == count):
            assert process.poll() is None and time.monotonic() < deadline, "subsidy serve did not start"
            time.sleep(0.2)
        time.sleep(1.0)  # (the second worker may be a moment behind the first)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


class Pool:
    """A server of two workers shared by this module's tests (each start spawns three interpreters): the test
    that stops it runs last, and a test that finds it stopped starts another."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.running: tuple[int, subprocess.Popen[bytes]] | None = None

    def get(self) -> tuple[int, subprocess.Popen[bytes]]:
        if self.running is None or self.running[1].poll() is not None:
            self.running = self.stack.enter_context(workers(2))
        return self.running


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with ExitStack() as stack:
        yield Pool(stack)


def test_connections_opened_at_once_are_spread_evenly_over_the_workers(pool: Pool) -> None:
    """Forty clients connecting together: each worker takes half (a worker takes a connection only while it holds
    no more than the other; a hash of the addresses, one socket for each worker, gave 33/17 for fifty)."""
    port, process = pool.get()
    pids = children(process.pid)
    before = {pid: connections(pid) for pid in pids}
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    for client in clients:
        client.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    for client in clients:
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
    taken = {pid: connections(pid) - before[pid] for pid in pids}
    assert sum(taken.values()) == 40
    # 20 each; one or two more on one side only when the other was kept off the cores past balance.PATIENCE
    assert max(taken.values()) - min(taken.values()) <= 2, taken
    for client in clients:
        client.close()


def test_a_worker_that_dies_loses_no_waiting_client_is_started_again_and_stopping_stops_every_worker(
        pool: Pool) -> None:
    """Ten clients connect while both workers are held still; one worker dies: the other answers all ten (the
    socket they wait on is shared, not the dead worker's own)."""
    port, process = pool.get()
    first = children(process.pid)
    for pid in first:
        os.kill(pid, signal.SIGSTOP)
    try:
        clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(10)]
        for client in clients:
            client.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        os.kill(first[0], signal.SIGKILL)
    finally:
        for pid in first[1:]:
            os.kill(pid, signal.SIGCONT)
    answers = [client.recv(4096) for client in clients]
    assert [a[:15] for a in answers] == [b"HTTP/1.1 200 OK"] * 10
    for client in clients:
        client.close()
    deadline = time.monotonic() + 90
    while not (len(now := children(process.pid)) == 2 and first[0] not in now and healthy(port)):
        assert time.monotonic() < deadline, "the worker was not started again"
        time.sleep(0.2)
    kept = children(process.pid)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    err = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in err and f"worker {first[0]} ended" in err
    for pid in kept:  # none left behind
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert not healthy(port)


@pytest.mark.parametrize("count", [1, 2])
def test_a_port_in_use_is_one_error_naming_it_with_exit_2(count: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = subprocess.run([str(SUBSIDY), "serve", "--port", str(port), "--workers", str(count)],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "SUBSIDY_LANG": "zh"})
    assert ran.returncode == 2
    assert f"127.0.0.1:{port} 已被占用" in ran.stderr and "--port" in ran.stderr
    assert "Traceback" not in ran.stderr and "服务已启动" not in ran.stderr
