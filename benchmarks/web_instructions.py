"""Instructions per `POST /api/v1/evaluate` answered by the application (the guard, the direct path, reading the
profile, evaluating, the answer's document and its bytes), counted by valgrind's callgrind: unlike a latency on a
shared machine, it comes out the same run after run, so two versions of the request path can be compared.

A child process builds the application as a worker does, answers --warm requests, then --requests more with
callgrind switched on around them alone (`callgrind_control`); the count is printed per request. The HTTP layer
(uvicorn, the event loop's sockets) is not in it: `benchmarks/web_load.py` measures the whole, in CPU seconds.
Needs valgrind.

    .venv/bin/python benchmarks/web_instructions.py [--requests 200]
    .venv/bin/python benchmarks/web_instructions.py --uncounted     # without valgrind: CPU time only
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

DRIVER = """
import asyncio
import sys
import time

sys.path.insert(0, sys.argv[1])
from web_load import BODY

from guangxi_subsidy.engine.web.app import create_app, settled

app = settled(create_app())
SCOPE = {"type": "http", "path": "/api/v1/evaluate", "method": "POST", "query_string": b"", "root_path": "",
         "headers": [(b"content-length", str(len(BODY)).encode()), (b"content-type", b"application/json")]}


async def answer() -> bytes:
    sent = []

    async def receive():
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message):
        sent.append(message)

    await app(dict(SCOPE), receive, send)
    assert sent[0]["status"] == 200, sent
    return sent[1]["body"]


async def many(count: int) -> None:
    for _ in range(count):
        assert b'"value": "550000.00"' in await answer()


loop = asyncio.new_event_loop()
loop.run_until_complete(many(int(sys.argv[2])))
print("ready", flush=True)
sys.stdin.readline()
started = time.process_time()
loop.run_until_complete(many(int(sys.argv[3])))
print("done", time.process_time() - started, flush=True)
sys.stdin.readline()
"""


def _control(pid: int, switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(pid)], check=True, capture_output=True, timeout=600)


def count(requests: int, warm: int, keep: Path | None = None, counted: bool = True) -> tuple[int | None, float]:
    """Instructions of `requests` answers after `warm` answers the count leaves out (None when not `counted`:
    the same requests without valgrind), and the CPU seconds the child took for them."""
    if counted and (shutil.which("valgrind") is None or shutil.which("callgrind_control") is None):
        raise SystemExit("valgrind is not installed (`make perf-check` installs it as root on Debian)")
    with tempfile.TemporaryDirectory() as name:
        report = Path(name) / "callgrind.out"
        callgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={report}"]
        child = subprocess.Popen(
            [*(callgrind if counted else []), sys.executable, "-c", DRIVER, str(HERE), str(warm), str(requests)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdin is not None and child.stdout is not None
        try:
            for expected, switch in (("ready", "on"), ("done", "off")):
                line = child.stdout.readline().split()
                if line[:1] != [expected]:
                    raise SystemExit(f"the requests failed:\n{child.communicate()[1][-3000:]}")
                if counted:
                    _control(child.pid, switch)
                child.stdin.write("\n")
                child.stdin.flush()
            seconds = float(line[1])
            errors = child.communicate(timeout=600)[1]
        finally:
            if child.poll() is None:
                child.kill()
        if not counted:
            return None, seconds
        if keep is not None:  # for callgrind_annotate
            shutil.copy(report, keep)
        found = re.search(r"Collected : (\d+)", errors)
        if child.returncode != 0 or found is None:
            raise SystemExit(f"the requests under callgrind failed:\n{errors[-3000:]}")
    return int(found.group(1)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="keep callgrind's report there (for callgrind_annotate)")
    parser.add_argument("--uncounted", action="store_true",
                        help="the same requests without valgrind: CPU time only (a quick check that they run)")
    args = parser.parse_args()
    total, seconds = count(args.requests, args.warm, args.keep, counted=not args.uncounted)
    if total is None:
        print(f"POST /api/v1/evaluate, the application's part, not counted: {seconds / args.requests * 1e6:,.0f} "
              f"CPU µs per request ({args.requests:,} requests, warm; seconds vary with the machine's load)")
        return
    print(f"instructions per POST /api/v1/evaluate, the application's part (callgrind, warm): "
          f"{total / args.requests:,.0f} ({total:,} for {args.requests:,} requests)")


if __name__ == "__main__":
    main()
