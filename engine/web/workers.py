"""Serving from several processes on one port: one listening socket, shared by the workers, whose connections
`balance` spreads evenly over them.

uvicorn's own `--workers` gives every worker the one socket the parent listens on, and asyncio accepts all the
connections waiting on a socket as soon as it wakes: a burst of connections (fifty clients opening theirs at
once) lands on whichever worker woke first. A socket for each worker (SO_REUSEPORT) leaves the choice to a hash of
the addresses: 33/17 for fifty clients in one run (`benchmarks/web_load.py`), and a worker that dies takes the
connections queued on its socket with it. Here the supervisor listens, every worker accepts from that one socket
(so nothing queued is lost while a worker starts again), and a worker takes a connection only while it holds no
more than the others (`balance`): fifty clients come out 25/25.

The supervisor is small: it checks the port is free (so a port in use is one clear error, before any worker
starts), listens, starts the workers, starts again any that dies, and on Ctrl-C or SIGTERM stops them all and
waits.
"""

from __future__ import annotations

import errno
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Mapping, MutableSequence
from typing import Any

from guangxi_subsidy.engine.web.balance import GONE

BACKLOG = 2048  # connections the kernel queues on the socket (uvicorn's default)


STARTING = 10.0  # seconds: workers ending this soon after they start, ATTEMPTS times in a row, are not
ATTEMPTS = 3  # started again and again: the server stops and says so


class WorkerFailed(RuntimeError):
    """A worker process ended while it was still starting (its own error is on stderr)."""


class PortInUse(OSError):
    """The address cannot be bound: another program (or another `subsidy serve`) listens there."""


def free_or_refuse(host: str, port: int) -> int:
    """The port to serve on (a free one chosen for 0); PortInUse when it is taken.

    The probe binds without SO_REUSEPORT, so it fails on a port that any other socket holds, even another
    server's reusable one: two `subsidy serve` on one port would otherwise share its connections silently."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUse(error.errno, f"{host}:{port}: {error.strerror}") from None
            raise
        return int(probe.getsockname()[1])


def listening_socket(host: str, port: int) -> socket.socket:
    """The one socket every worker accepts from (inherited by each; the supervisor keeps it open)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def worker(sock: socket.socket, counts: MutableSequence[int], slot: int, options: Mapping[str, Any]) -> None:
    """One worker process: the application built from SUBSIDY_RULES, served by uvicorn from the shared socket,
    its connections counted in `counts[slot]`."""
    import uvicorn

    from guangxi_subsidy.engine.web.balance import SharedSocketServer, Tally

    config = uvicorn.Config("guangxi_subsidy.engine.web.app:from_environment", factory=True, **options)
    SharedSocketServer(config, sock, Tally(counts, slot)).run()


def serve(host: str, port: int, workers: int, options: Mapping[str, Any], check_every: float = 0.5) -> None:
    """Run `workers` processes on host:port until Ctrl-C or SIGTERM; a worker that dies is started again."""
    context = multiprocessing.get_context("spawn")  # (a fresh interpreter each, as uvicorn's workers)
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    sock = listening_socket(host, port)
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    processes: list[multiprocessing.process.BaseProcess] = []
    counts = context.RawArray("i", [GONE] * workers)  # each worker's open connections (`balance.Tally`)

    started: dict[int, float] = {}
    quick = 0  # workers in a row that ended soon after starting

    def start(slot: int) -> multiprocessing.process.BaseProcess:
        counts[slot] = GONE  # (until the worker accepts: the others do not leave connections to it meanwhile)
        process = context.Process(target=worker, args=(sock, counts, slot, dict(options)), daemon=False)
        process.start()
        started[id(process)] = time.monotonic()
        return process

    try:
        processes = [start(slot) for slot in range(workers)]
        while not stopping:
            time.sleep(check_every)
            for number, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                quick = quick + 1 if time.monotonic() - started.pop(id(process)) < STARTING else 0
                if quick >= ATTEMPTS:
                    raise WorkerFailed(f"workers end as they start (exit {process.exitcode}); see above")
                sys.stderr.write(f"worker {process.pid} ended (exit {process.exitcode}); starting another\n")
                processes[number] = start(number)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in hand, then exits
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
