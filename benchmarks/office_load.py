"""The office under 200 signed-in users: a register of 200 enterprises (one account each), `subsidy serve` on
127.0.0.1 and a free port, every user signing in through the login form (argon2 checked each time) and then
reading its own file page `--reads` times, all at once over 50 connections (the server refuses
connections past 200 with 503). Prints the logins' and the reads' latency percentiles
and the errors (any answer but the expected one: a redirect after login, 200 with the file's id). Bounded: it
stops after its requests, or after `--timeout` seconds, and stops the server either way.

    python benchmarks/office_load.py [--users 200] [--reads 10] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts.passwords import hash_password
from guangxi_subsidy.engine.accounts.tables import User
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.identity import check_character
from guangxi_subsidy.engine.register.tables import Applicant, Fact

SUBSIDY = Path(sys.executable).with_name("subsidy")
PASSWORD = "a benchmark password"


def _code(n: int) -> str:
    first17 = f"914501000{n:08d}"
    return first17 + check_character(first17)


def build(folder: Path, users: int) -> str:
    db = f"sqlite:///{folder / 'office.db'}"
    engine = database.connect(db)
    database.upgrade(engine)
    when = dt.datetime(2026, 3, 2)
    hashed = hash_password(PASSWORD)  # one hash for all: building 200 hashes is not what is measured
    with Session(engine) as session, session.begin():
        for n in range(users):
            ref = _code(n)
            applicant = Applicant(ref=ref, holder="organisation", kind="enterprise", city="nanning", created_at=when)
            session.add(applicant)
            session.flush()
            session.add(Fact(applicant_pk=applicant.pk, field="employees", value="12", period_start=None,
                             period_end=None, version=1, reason=None, recorded_at=when, recorded_by="bench",
                             source_kind="department", source="市场监管", source_file=None, source_row=None))
            session.add(User(name=f"u{n}", password_hash=hashed, role="enterprise", scope=ref, enabled=True,
                             failures=0, locked_until=None, created_at=when))
    engine.dispose()
    return db


async def one_user(client: httpx.AsyncClient, n: int, reads: int, logins: list[float], times: list[float],
                   errors: list[str]) -> None:
    """One user's browser: its own cookies, sent by hand over the shared connection pool."""
    form = await client.get("/office/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    login_cookie = form.cookies.get("office_login_csrf") or ""
    started = time.perf_counter()
    answer = await client.post("/office/login", data={"name": f"u{n}", "password": PASSWORD,
                                                      "csrf": token.group(1) if token else ""},
                               headers={"cookie": f"office_login_csrf={login_cookie}"})
    logins.append(time.perf_counter() - started)
    session = answer.cookies.get("office_session")
    if answer.status_code != 303 or not session:
        errors.append(f"login u{n}: {answer.status_code}")
        return
    ref = _code(n)
    for _ in range(reads):
        started = time.perf_counter()
        page = await client.get(f"/office/files/{ref}", headers={"cookie": f"office_session={session}"})
        times.append(time.perf_counter() - started)
        if page.status_code != 200 or ref not in page.text:
            errors.append(f"read u{n}: {page.status_code}")


async def guarded(client: httpx.AsyncClient, n: int, reads: int, logins: list[float], times: list[float],
                  errors: list[str]) -> None:
    try:
        await one_user(client, n, reads, logins, times, errors)
    except httpx.HTTPError as error:
        errors.append(f"u{n}: {type(error).__name__}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--reads", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="office-load-") as folder:
        db = build(Path(folder), args.users)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen([str(SUBSIDY), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env={**os.environ, "SUBSIDY_DB": db}, stdout=subprocess.DEVNULL,
                                  stderr=open(os.environ.get("OFFICE_LOAD_LOG", os.devnull), "w"))
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            logins: list[float] = []
            times: list[float] = []
            errors: list[str] = []
            started = time.perf_counter()

            async def everyone() -> None:
                # 50 connections at most (the server answers 503 past 200 open ones, by design)
                limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
                async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
                    await asyncio.wait_for(asyncio.gather(*(guarded(client, n, args.reads, logins, times, errors)
                                                            for n in range(args.users))), args.timeout)

            try:
                asyncio.run(everyone())
            except TimeoutError:
                errors.append(f"stopped after {args.timeout} s")
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # requests still in flight when the run was cut short
                server.kill()
                server.wait(timeout=10)
    print(f"{args.users} users, {len(logins)} logins, {len(times)} file reads in {wall:.1f} s")
    print(f"login ms: p50 {percentile(logins, 0.5):.0f}  p99 {percentile(logins, 0.99):.0f}")
    print(f"file read ms: p50 {percentile(times, 0.5):.0f}  p99 {percentile(times, 0.99):.0f}  "
          f"({len(times) / wall:.0f} reads/s overall)")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    cost = argon2_cost()
    threads = max(1, (os.cpu_count() or 2) - 1)  # the server's login pool (engine/accounts/passwords.py)
    print(f"one argon2 verification on this machine now: {cost * 1000:.0f} ms, so at most "
          f"{threads / cost:.1f} logins a second on {threads} login thread(s) (the queue: users / that rate)")


def argon2_cost() -> float:
    """Seconds one verification takes now, with the production parameters (the floor under the logins' p99)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    hashed = hasher.hash(PASSWORD)
    started = time.perf_counter()
    for _ in range(3):
        hasher.verify(hashed, PASSWORD)
    return (time.perf_counter() - started) / 3


if __name__ == "__main__":
    main()
