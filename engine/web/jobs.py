"""Long work started by a request and run outside it: a job, in a process of its own, with a folder on disk.

A request that uploads a list only stores it and starts the job; it is answered at once with the job's address,
and the job's page (or `GET /api/v1/batch/ID`) tells how far it has come and, when it is done, where its results
are. Everything a job has lives in its folder under `root()`: the inputs, `status.json` (written by the job,
replaced whole, so a reader never sees half of it) and the outputs. The folder is the only shared state, so any
worker process of the server can answer for a job another one started, and a job outlives the request.

Three bounds hold: at most `max_jobs()` jobs run at once on the machine (admission is counted under a file lock,
so the server's worker processes count together; one more is refused at once with `Busy`, never queued behind a
hung request); a job that runs past `JOB_TIMEOUT` is killed and says so; and a finished job's folder is removed
`keep_seconds()` after it finished (swept on every submission and every look-up), so uploads and results do not
pile up. The job's process is started with `spawn` (a fresh interpreter: the server's threads are not copied into
it) and ends with the job, giving its memory back. A job's id (96 random bits) is the only key to its results:
its address is shared as the list itself would be.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEEP = 3600.0  # seconds a finished job's results are kept
MAX_JOBS = 2  # jobs running at once (the machine's cores: a batch keeps one busy)
JOB_TIMEOUT = 1800.0  # seconds a job may run before it is killed
STARTING = 60.0  # seconds a job may take to start its process before it is counted as dead
ACTIVE = ("queued", "running", "workbook")
ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def root() -> Path:
    """Where job folders live: SUBSIDY_JOBS, else a folder of the system's temporary directory."""
    return Path(os.environ.get("SUBSIDY_JOBS") or Path(tempfile.gettempdir()) / "subsidy-jobs")


def keep_seconds() -> float:
    return float(os.environ.get("SUBSIDY_JOBS_KEEP") or KEEP)


def max_jobs() -> int:
    return int(os.environ.get("SUBSIDY_JOBS_MAX") or MAX_JOBS)


class Busy(Exception):
    """As many jobs run as the server allows: the request is refused (429) and may be sent again later."""

    def __init__(self, running: int, retry_after: int):
        super().__init__(f"{running} jobs running")
        self.running, self.retry_after = running, retry_after


@dataclass(frozen=True)
class Job:
    """A job's folder and what its status file says."""

    id: str
    folder: Path
    status: dict[str, Any]

    @property
    def state(self) -> str:
        return str(self.status.get("state", "queued"))

    def file(self, name: str) -> Path | None:
        """An output of a finished job by its name (never a path the client chose)."""
        if name not in self.status.get("files", {}):
            return None
        path = self.folder / name
        return path if path.is_file() else None


def write_status(folder: Path, **status: Any) -> None:
    """The job's status, replaced whole: a reader sees the old one or the new one."""
    partial = folder / "status.json.partial"
    partial.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, folder / "status.json")


def read_status(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _locked() -> Iterator[Path]:
    folder = root()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alive(folder: Path, status: dict[str, Any]) -> bool:
    """Is a job whose status says it runs really running? (A killed server leaves such folders behind.)"""
    try:
        pid = int((folder / "pid").read_text())
    except (OSError, ValueError):
        return time.time() - float(status.get("created", 0)) < STARTING
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return time.time() - float(status.get("created", 0)) < JOB_TIMEOUT + STARTING


def sweep(now: float | None = None) -> list[str]:
    """Remove the folders of jobs finished more than keep_seconds() ago, and of jobs dead while running."""
    now = time.time() if now is None else now
    removed: list[str] = []
    base = root()
    if not base.is_dir():
        return removed
    for folder in base.iterdir():
        if not folder.is_dir() or not set(folder.name) <= ID_CHARACTERS:
            continue
        status = read_status(folder)
        if status.get("state") in ACTIVE or (not status and now - folder.stat().st_mtime < STARTING):
            if _alive(folder, status):
                continue
        elif status and now < float(status.get("expires", 0)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def running() -> int:
    base = root()
    if not base.is_dir():
        return 0
    return sum(1 for folder in base.iterdir() if folder.is_dir() and set(folder.name) <= ID_CHARACTERS
               and read_status(folder).get("state") in ACTIVE and _alive(folder, read_status(folder)))


def find(job_id: str) -> Job | None:
    """The job of that id, None when there is none (never was, or removed after keep_seconds())."""
    if not job_id or len(job_id) > 64 or not set(job_id) <= ID_CHARACTERS:
        return None
    sweep()
    folder = root() / job_id
    status = read_status(folder)
    return Job(job_id, folder, status) if status else None


def submit(target: Callable[[str], None], inputs: dict[str, bytes], params: dict[str, Any]) -> Job:
    """Store the inputs in a new job folder and start `target(folder)` in a process of its own; Busy when
    max_jobs() jobs already run."""
    with _locked() as base:
        sweep()
        count = running()
        if count >= max_jobs():
            raise Busy(count, retry_after=30)
        job_id = secrets.token_urlsafe(12)
        folder = base / job_id
        folder.mkdir(mode=0o700)
        for name, content in inputs.items():
            (folder / name).write_bytes(content)
        (folder / "params.json").write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
        write_status(folder, state="queued", created=time.time(), files={})
    # daemonic: a server that stops ends its jobs (their folders are then swept as dead), not waits for them
    process = multiprocessing.get_context("spawn").Process(target=target, args=(str(folder),), daemon=True)
    process.start()
    (folder / "pid").write_text(str(process.pid))
    threading.Thread(target=_watch, args=(process, folder), daemon=True, name=f"job-{job_id}").start()
    return Job(job_id, folder, read_status(folder))


def _watch(process: Any, folder: Path) -> None:
    """Wait for the job's process; kill it past JOB_TIMEOUT; a job that ended without saying so failed."""
    process.join(JOB_TIMEOUT)
    if process.is_alive():
        process.kill()
        process.join()
        finish(folder, "refused", status=413, error=f"运行超过 {JOB_TIMEOUT:g} 秒仍未完成，已停止；"
               "请分成几份上传，或在命令行运行 subsidy batch")
        return
    if read_status(folder).get("state") in ACTIVE:
        finish(folder, "failed", status=500, error=f"评估进程意外结束（退出码 {process.exitcode}）")


def finish(folder: Path, state: str, **status: Any) -> None:
    """The job's last status: its state, and when its folder will be removed."""
    if not folder.is_dir():
        return
    now = time.time()
    previous = read_status(folder)
    write_status(folder, **{**previous, **status, "state": state, "finished": now,
                            "expires": now + keep_seconds()})
