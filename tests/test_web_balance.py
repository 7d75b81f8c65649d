"""`web.balance`: workers accepting from one shared socket take turns by the connections they hold, and a
connection left waiting by the others is taken after the patience runs out. In one process and one event loop:
each "worker" is an Acceptor on its own descriptor of the same listening socket, with a list as the shared counts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from guangxi_subsidy.engine.web import balance
from guangxi_subsidy.engine.web.balance import GONE, Acceptor, Tally


class Held(asyncio.Protocol):
    """A connection that does nothing but tell its acceptor when it ends (as `connections.Guards` does)."""

    on_close: Callable[[], None] | None = None
    transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.on_close is not None:
            self.on_close()
            self.on_close = None


async def connect(port: int, count: int) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        clients.append(client)
        await asyncio.sleep(0.001)  # (the acceptors' turn)
    return clients


async def settle(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.005)


@pytest.fixture
def listening():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock
    sock.close()


def test_two_workers_take_alternate_connections_and_a_freed_one_goes_to_the_worker_holding_fewer(listening):
    port = listening.getsockname()[1]

    async def run() -> tuple[list[int], list[int], list[int]]:
        loop = asyncio.get_running_loop()
        counts = [GONE, GONE]
        held: list[list[Held]] = [[], []]

        def made(slot: int) -> Callable[[], Held]:
            def protocol() -> Held:
                held[slot].append(Held())
                return held[slot][-1]
            return protocol

        acceptors = [Acceptor(listening.dup(), Tally(counts, slot), made(slot), loop) for slot in (0, 1)]
        clients = await connect(port, 10)
        await settle(lambda: sum(counts) == 10)
        first = counts[:]
        for connection in held[0][:4]:  # four of the first worker's connections end...
            assert connection.transport is not None
            connection.transport.close()
        await settle(lambda: sum(counts) == 6)
        after_closing = counts[:]
        clients += await connect(port, 4)  # ...and the four new ones all go to the worker holding fewer
        await settle(lambda: sum(counts) == 10)
        last = counts[:]
        for acceptor in acceptors:
            acceptor.close()
        for client in clients:
            client.close()
        return first, after_closing, last

    first, after_closing, last = asyncio.run(run())
    assert first == [5, 5]
    assert after_closing == [1, 5]
    assert last == [5, 5]


def test_a_worker_ahead_takes_a_connection_the_others_leave_waiting_after_its_patience(listening, monkeypatch):
    monkeypatch.setattr(balance, "PATIENCE", 0.1)
    port = listening.getsockname()[1]

    async def run() -> tuple[list[int], float]:
        loop = asyncio.get_running_loop()
        counts = [3, 0]  # the other worker holds none but accepts nothing (busy, or stuck)
        acceptor = Acceptor(listening.dup(), Tally(counts, 0), Held, loop)
        counts[0] = 3  # (the acceptor starts at 0: as if holding three already)
        started = loop.time()
        client = socket.create_connection(("127.0.0.1", port))
        await settle(lambda: counts[0] == 4)
        waited, taken = loop.time() - started, counts[:]
        acceptor.close()
        client.close()
        return taken, waited

    taken, waited = asyncio.run(run())
    assert taken == [4, 0]
    assert 0.1 <= waited < 1.0  # (ahead of the other, it left the connection waiting its patience, no longer)


def test_a_worker_that_stops_accepting_is_not_waited_for(listening):
    """A stopped (or not yet started) worker's slot reads GONE: the other takes every connection at once."""
    port = listening.getsockname()[1]

    async def run() -> list[int]:
        loop = asyncio.get_running_loop()
        counts = [GONE, GONE]
        acceptor = Acceptor(listening.dup(), Tally(counts, 0), Held, loop)
        clients = await connect(port, 6)
        await settle(lambda: counts[0] == 6, seconds=0.5)
        taken = counts[:]
        acceptor.close()
        for client in clients:
            client.close()
        return taken

    assert asyncio.run(run()) == [6, GONE]


def test_a_worker_not_ahead_takes_every_waiting_connection_in_one_turn_of_its_loop(listening):
    """A busy worker's turn of the event loop can be long (a crowd of requests answered in it): one connection a
    turn would leave a crowd of new clients waiting on accepting, not on answering."""
    port = listening.getsockname()[1]

    async def run() -> list[int]:
        loop = asyncio.get_running_loop()
        counts = [GONE, 30]  # the other worker holds 30
        acceptor = Acceptor(listening.dup(), Tally(counts, 0), Held, loop)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]  # queued, none taken yet
        acceptor.readable()  # one turn
        taken = counts[:]
        acceptor.close()
        for client in clients:
            client.close()
        return taken

    assert asyncio.run(run()) == [20, 30]


def test_a_crowd_arriving_at_once_is_shared_at_once_by_the_queue_length(listening):
    """Ten open on each worker, six waiting: the first worker to look takes three (half of the 26, less its ten)
    and leaves three to the other, without waiting for it to take turns."""
    port = listening.getsockname()[1]

    async def run() -> tuple[int, list[int]]:
        loop = asyncio.get_running_loop()
        counts = [GONE, 10]
        acceptor = Acceptor(listening.dup(), Tally(counts, 0), Held, loop)
        counts[0] = 10
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
        queued = balance.waiting(listening)
        acceptor.readable()  # one turn
        taken = counts[:]
        acceptor.close()
        for client in clients:
            client.close()
        return queued, taken

    assert asyncio.run(run()) == (6, [13, 10])


def test_a_stopping_worker_still_closing_its_connections_is_left_out_of_the_shares():
    # Its slot was set to GONE when it stopped accepting, and fell by the three connections it has closed since.
    counts = [GONE - 3, 5, 4]
    assert Tally(counts, 1).under_share(waiting=1) is False  # 5 of (5 + 4 + 1) is its half already
    assert Tally(counts, 2).under_share(waiting=1) is True  # 4 is under its half of 10
