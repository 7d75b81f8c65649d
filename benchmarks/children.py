"""A command timed in a child process: wall seconds, CPU seconds and peak resident memory, from the kernel's
account of that child alone (`os.wait4`).

Standard library only: a benchmark that has imported polars or the engine before starting its children would
not change their peaks (a child's high-water mark starts at exec), but a parent that generated data in-process
did, once, and this module keeps the timing apart from anything that heavy. The child's stderr goes to a file,
not a pipe, so a command that writes much there cannot stall on a full pipe while it is waited for.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    cpu: float  # user + system
    peak_mb: float  # the child's peak resident memory


def timed(command: list[str], cwd: str | Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `command` to its end (with `env` added to the environment); a failure ends the benchmark with the
    command and its stderr."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors,
                                   env={**os.environ, **env} if env else None)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {' '.join(command)}\n{errors.read().decode(errors='replace')[-2000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
