"""The connections of `subsidy serve --workers N` spread evenly over the workers: one listening socket they all
share, and a worker accepts a waiting connection only while it holds no more connections than any other worker.

Why not the kernel's own spreading: with a socket for each worker (SO_REUSEPORT) the kernel picks one by a hash of
the connection's addresses, even on average but not for the few dozen keep-alive clients of an office or of
`benchmarks/web_load.py`: 50 clients came out 33/17 and 27/23, and the busier worker sets the slowest answers
(its clients wait behind twice the queue). And with one shared socket and the event loop's own accepting,
whichever worker wakes first takes a whole burst of connections.

So each worker counts the connections it holds in a small array the workers share (one integer each, in shared
memory, written only by its own worker), and takes waiting connections, counting each as it takes it, only while it
holds fewer than its share of those open and those waiting (the accept queue's length, from the socket's TCP_INFO),
so a crowd arriving at once is shared at once. A worker at its share stops watching; while a connection still waits
it looks again every RECHECK seconds, and after PATIENCE seconds takes some all the same, an eighth more than it
holds at most, and so on every PATIENCE seconds (a worker that is busy, stuck or still starting does not keep
clients waiting long, and its share is not taken in one gulp either). A worker that ends loses no queued
connection: the socket stays open in the supervisor and the other workers, and its slot reads GONE until the worker
started in its place counts again.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import select
import socket
import struct
from collections.abc import Callable, MutableSequence
from typing import Any

import uvicorn

GONE = 1 << 30  # a slot's count while its worker is not accepting (starting, stopping, or ended)
RECHECK = 0.002  # seconds between looks at the counts while a connection waits on a worker at its share
PATIENCE = 0.05  # seconds waiting connections are left to the other workers before this one takes some anyway
LATE_SHARE = 8  # past PATIENCE, a worker at its share takes up to 1/LATE_SHARE more than it holds (at least one)
MOST = 128  # connections taken in one go at most (then the event loop's other work has its turn)
RETRY = 1.0  # seconds without accepting after the process ran out of descriptors (as asyncio's own server)

logger = logging.getLogger("uvicorn.error")


class Tally:
    """The connections each worker holds (`counts`, shared by the workers), and this worker's slot in it."""

    def __init__(self, counts: MutableSequence[int], slot: int) -> None:
        self.counts = counts
        self.slot = slot

    def under_share(self, waiting: int) -> bool:
        """Whether this worker holds fewer than its share (rounded up) of the connections the accepting workers
        hold and those `waiting`: whether it should take one more."""
        counts = self.counts[:]
        live = [count for count in counts if count < GONE // 2]  # (a stopping worker's GONE falls by its closings)
        return counts[self.slot] * len(live) < sum(live) + waiting

    def opened(self) -> None:
        self.counts[self.slot] += 1

    def closed(self) -> None:
        self.counts[self.slot] -= 1


def waiting(sock: socket.socket) -> int:
    """The connections waiting on the listening socket, not yet accepted: on Linux the accept queue's length,
    which TCP_INFO gives a listening socket as `tcpi_unacked` (the fifth 32-bit field, at byte 24); elsewhere 1
    or 0, whether one waits."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        if len(info) >= 28:
            return int(struct.unpack_from("I", info, 24)[0])
    except (AttributeError, OSError):
        pass
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return int(bool(poller.poll(0)))


class Acceptor:
    """Accepts this worker's share of the shared socket's connections and hands each to uvicorn's protocol.

    It stands in uvicorn's list of servers, so that uvicorn's shutdown stops it (`close`) as it would its own."""

    def __init__(self, sock: socket.socket, tally: Tally, protocol: Callable[[], asyncio.Protocol],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.tally = tally
        self.protocol = protocol
        self.loop = loop
        self.since: float | None = None  # when this worker, at its share, left waiting connections to the others
        self.resting = False  # out of descriptors: not accepting for RETRY seconds
        self.closing = False
        self.handing: set[asyncio.Task[Any]] = set()
        sock.setblocking(False)
        tally.counts[tally.slot] = 0
        self.watch()

    def watch(self) -> None:
        self.resting = False
        if not self.closing:
            self.since = None
            self.loop.add_reader(self.sock.fileno(), self.readable)

    def readable(self) -> None:
        """Take waiting connections up to this worker's share of those open and waiting, all in one turn of the
        loop (a busy worker's turn can be long: one connection a turn would keep a crowd of new clients waiting)."""
        for _ in range(MOST):
            if not self.tally.under_share(waiting(self.sock)):
                self.loop.remove_reader(self.sock.fileno())
                self.since = self.loop.time()
                self.loop.call_later(RECHECK, self.recheck)
                return
            if not self.accept():
                return

    def recheck(self) -> None:
        if self.closing:
            return
        left = waiting(self.sock)
        if not left:  # the others took them
            self.watch()
            return
        assert self.since is not None
        if not self.tally.under_share(left):
            if self.loop.time() - self.since < PATIENCE:
                self.loop.call_later(RECHECK, self.recheck)
                return
            # The others left them waiting PATIENCE (busy, or off the cores): this worker takes some, an eighth
            # more than it holds at most, so a stalled worker's share is taken in steps, not in one gulp
            for _ in range(max(1, self.tally.counts[self.tally.slot] // LATE_SHARE)):
                if not self.accept():
                    break
        if not self.resting:
            self.watch()

    def accept(self) -> bool:
        """Take one waiting connection: False when none waits, or when out of descriptors (resting RETRY s)."""
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return False  # (another worker took it)
        except ConnectionAbortedError:
            return True  # (the client gave up while it waited: the next one, if any)
        except OSError as error:
            if error.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            logger.error("cannot accept a connection (%s): trying again in %g s", error.strerror, RETRY)
            self.resting = True
            self.loop.remove_reader(self.sock.fileno())
            self.loop.call_later(RETRY, self.watch)
            return False
        self.tally.opened()
        protocol = self.protocol()
        # (`connections.Guards.connection_lost` calls it: the count falls when the connection ends)
        protocol.on_close = self.tally.closed  # type: ignore[attr-defined]
        task = self.loop.create_task(self.loop.connect_accepted_socket(lambda: protocol, conn))
        self.handing.add(task)
        task.add_done_callback(lambda done: self.handed(done, protocol, conn))
        return True

    def handed(self, task: asyncio.Task[Any], protocol: asyncio.Protocol, conn: socket.socket) -> None:
        self.handing.discard(task)
        if not task.cancelled() and task.exception() is None:
            return
        if getattr(protocol, "on_close", None) is not None:  # never made, so never lost: uncounted here
            protocol.on_close = None  # type: ignore[attr-defined]
            self.tally.closed()
        conn.close()

    def close(self) -> None:
        """Stop accepting (uvicorn's shutdown): the other workers take the waiting connections."""
        if not self.closing:
            self.closing = True
            self.tally.counts[self.tally.slot] = GONE
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()

    async def wait_closed(self) -> None:
        if self.handing:
            await asyncio.gather(*self.handing, return_exceptions=True)


class SharedSocketServer(uvicorn.Server):
    """uvicorn's server, accepting from the workers' shared socket through an `Acceptor`."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, tally: Tally) -> None:
        super().__init__(config)
        self.sock = sock
        self.tally = tally

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan, and no socket of uvicorn's own
        config = self.config

        def protocol() -> asyncio.Protocol:  # (as uvicorn's own `create_protocol`)
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state)

        acceptor = Acceptor(self.sock, self.tally, protocol, asyncio.get_running_loop())
        self.servers.append(acceptor)  # type: ignore[arg-type]
