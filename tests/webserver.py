"""A real `subsidy serve` on 127.0.0.1 and a free port, started and stopped by the tests that need it."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBSIDY = Path(sys.executable).with_name("subsidy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(start_timeout: float = 60.0, args: tuple[str, ...] = (), env: dict[str, str] | None = None
           ) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """The server's host, port and process; stopped (and waited for) whatever the test did.

    The server's stderr goes to a file (a pipe nobody reads would stall a server that logs a lot), which
    `server_log(process)` reads back for a failing test's message."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="subsidy-serve-", suffix=".log", delete=False)
    process = subprocess.Popen([str(SUBSIDY), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                               env={**os.environ, "SUBSIDY_DEBUG": "", **(env or {})})
    _LOGS[process.pid] = Path(log.name)
    log.close()
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError("subsidy serve exited: " + server_log(process))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("subsidy serve did not answer within the start-up time")
            time.sleep(0.1)
        yield "127.0.0.1", port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _LOGS.pop(process.pid).unlink(missing_ok=True)


_LOGS: dict[int, Path] = {}


def server_log(process: subprocess.Popen[bytes], tail: int = 3000) -> str:
    """The last characters the server wrote to its stderr (tracebacks of a 500, say)."""
    path = _LOGS.get(process.pid)
    return path.read_text(errors="replace")[-tail:] if path and path.exists() else ""


def rss_kb(pid: int) -> int:
    """The process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")
