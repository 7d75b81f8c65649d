"""The evaluate endpoint under concurrent clients, beside `subsidy evaluate`'s own time per profile.

Starts `subsidy serve` on 127.0.0.1 and a free port, sends the README's worked example to POST /api/v1/evaluate
from 50 concurrent keep-alive clients (one asyncio loop, raw HTTP/1.1, so the client costs little of the CPU it
shares with the server), checks every answer is 200 with 550000.00, and prints requests per second, latency
percentiles, the server's memory along the run, the CPU the server (user and system) and this client each used
per 1,000 requests (the client is Python on the same cores: what it takes, the server cannot have), and how the
connections were spread over the workers. The baseline, measured in the same run on the same machine:
the time per profile of what `subsidy evaluate --format json` does once started (read the profile, evaluate,
write the JSON), and the whole command's wall time. Targets: p99 under 50 ms, at least 300 evaluations a second,
memory flat over 100,000 requests (`--requests 100000`).

    python benchmarks/web_load.py [--requests 20000] [--clients 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBSIDY = Path(sys.executable).with_name("subsidy")
PROFILE = ROOT / "cases/profiles/nanning_incubation_base.yaml"
BODY = json.dumps({"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
                   "recognised_incubation_base": True, "rent_and_broadband_paid": 900000,
                   "rent_subsidy_years_received": 0}, ensure_ascii=False).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(port: int, server: subprocess.Popen[bytes], seconds: float = 300) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("subsidy serve exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("subsidy serve did not start")


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user, system) used so far by the server and its worker processes: steadier than latency on a
    shared machine, where other work takes turns on the cores."""
    user = system = 0
    for one in [pid, *workers(pid)]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            user, system = user + int(fields[11]), system + int(fields[12])  # utime, stime (14th and 15th)
        except OSError:
            pass
    return user / os.sysconf("SC_CLK_TCK"), system / os.sysconf("SC_CLK_TCK")


def workers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def connections(pid: int, port: int, workers_started: int) -> list[int]:
    """The established connections to `port` each worker holds (from /proc/net/tcp and each worker's open
    files), the most first: how evenly the clients' connections were spread over the workers. (The server's
    other child, multiprocessing's resource tracker, holds none: it is left out.)"""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                inodes.add(f"socket:[{fields[9]}]")
    held = []
    for one in workers(pid):
        count = 0
        for fd in Path(f"/proc/{one}/fd").iterdir():
            try:
                count += os.readlink(fd) in inodes
            except OSError:
                pass
        held.append(count)
    return sorted(held, reverse=True)[:workers_started]


def baseline(repeats: int) -> tuple[float, float]:
    """Per-profile time of the CLI's work once started, and the command's wall time (ms)."""
    from guangxi_subsidy.engine.answers.document import evaluation_document
    from guangxi_subsidy.engine.applicant.reading import load_profile
    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.jsontext import json_text

    engine = Engine()
    for _ in range(50):
        engine.evaluate(load_profile(PROFILE))
    started = time.perf_counter()
    for _ in range(repeats):  # (as cli/evaluate.py does for --format json)
        json_text(evaluation_document(engine.evaluate(load_profile(PROFILE)), engine.pack, False))
    per_profile = (time.perf_counter() - started) / repeats * 1000
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([str(SUBSIDY), "evaluate", str(PROFILE), "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL)
        walls.append((time.perf_counter() - started) * 1000)
    return per_profile, min(walls)


async def client(port: int, todo: list[int], latencies: list[float], errors: list[str]) -> None:
    """One keep-alive client; a refused or closed connection is counted as an error, not a crash of the run."""
    try:
        await one_client(port, todo, latencies, errors)
    except (OSError, asyncio.IncompleteReadError) as error:
        errors.append(f"connection closed or refused ({type(error).__name__})")


async def one_client(port: int, todo: list[int], latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (b"POST /api/v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
    try:
        while todo:
            todo.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or b'"value": "550000.00"' not in body:
                errors.append(head.split(b"\r\n")[0].decode())
    finally:
        writer.close()


async def load(port: int, requests: int, clients: int, pid: int, memory: list[tuple[int, float]],
               spread: list[list[int]] | None = None, workers_started: int = 1) -> tuple[
        list[float], list[str], float]:
    todo = list(range(requests))
    latencies: list[float] = []
    errors: list[str] = []

    async def sample() -> None:
        while todo:
            memory.append((requests - len(todo), rss_mb(pid)))
            await asyncio.sleep(1.0)
            if spread is not None and todo:
                spread.append(connections(pid, port, workers_started))

    started = time.perf_counter()
    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(client(port, todo, latencies, errors) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await sampler
    memory.append((requests, rss_mb(pid)))
    return latencies, errors, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()

    per_profile, wall = baseline(500)
    port = free_port()
    server = subprocess.Popen([str(SUBSIDY), "serve", "--port", str(port), "--workers", str(args.workers)],
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_health(port, server)
        asyncio.run(load(port, 2_000, args.clients, server.pid, []))  # warm-up: every worker, every cache
        memory: list[tuple[int, float]] = []
        spread: list[list[int]] = []
        user_before, system_before = cpu_seconds(server.pid)
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        latencies, errors, elapsed = asyncio.run(load(port, args.requests, args.clients, server.pid, memory,
                                                      spread, args.workers))
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        user_after, system_after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    rate = len(latencies) / elapsed
    p50, p95, p99 = (percentile(latencies, s) for s in (0.50, 0.95, 0.99))
    first, last = memory[0][1], memory[-1][1]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; server: {args.workers} "
          f"worker(s); {args.clients} concurrent clients; {args.requests:,} requests")
    print(f"baseline  subsidy evaluate, per profile once started: {per_profile:.2f} ms "
          f"({1000 / per_profile:.0f} profiles/s on one core); whole command: {wall:.0f} ms")
    print(f"served    {rate:,.0f} evaluations/s  ({rate * per_profile / 1000:.2f}× one core's CLI rate)")
    user, system = user_after - user_before, system_after - system_before
    client = (client_after.ru_utime - client_before.ru_utime) + (client_after.ru_stime - client_before.ru_stime)
    print(f"server    {(user + system) / len(latencies) * 1000:.2f} CPU s (user + system) per 1,000 requests, "
          f"all processes ({user / len(latencies) * 1000:.2f} user, {system / len(latencies) * 1000:.2f} system); "
          f"{(user + system) / elapsed:.2f} cores busy")
    print(f"client    {client / len(latencies) * 1000:.2f} CPU s per 1,000 requests, this one asyncio process "
          f"(Python, on the same cores): {client / elapsed:.2f} cores busy")
    if any(spread):
        print("spread    established connections per worker, sampled each second: "
              + ", ".join("/".join(map(str, one)) for one in spread[:: max(1, len(spread) // 6)]))
    print(f"latency   p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms  max {max(latencies) * 1000:.1f} ms")
    samples = ", ".join(f"{n:,}:{mb:.0f}" for n, mb in memory[::max(1, len(memory) // 8)])
    print(f"memory    {first:.0f} MB after warm-up → {last:.0f} MB after {args.requests:,} requests "
          f"({last - first:+.0f} MB); samples (requests:MB): {samples}")
    print(f"errors    {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"targets   p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'}; ≥ 300 evaluations/s: "
          f"{'met' if rate >= 300 else 'NOT met'}; memory flat (< 5% growth): "
          f"{'met' if last - first < 0.05 * first else 'NOT met'}")


if __name__ == "__main__":
    main()
