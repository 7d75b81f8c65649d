"""A run's outputs published together, or not at all: one commit for the results, errors and summary.

Every output is written to its partial file (`sinks.AtomicOutput`). The commit first puts every one on the disk
(fsync), then keeps aside any old file each would replace (a hard link, `.NAME.PID.TOKEN.old`), writes a journal
of the renames (`.RESULTS.PID.TOKEN.commit`, beside the results) and renames the outputs into place, the results
last: a results file under its name means every output of its run is complete and in place, and the summary
names that results file with its size and SHA-256. SIGINT and SIGTERM are held for the commit and delivered
after it. A rename that fails undoes those done before it (the old files come back), and a run that fails or is
stopped removes its partials. A run killed outright (kill -9) cannot clean up: the next run writing to the same
directory finds the files of processes that no longer exist, by their names, finishes or undoes their commit as
their journal tells, and removes them (`recover`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from guangxi_subsidy.engine.batch.sinks import OWN_FILE, AtomicOutput, failure, own_name


class Outputs:
    """The run's outputs: opened (their partial files created) before the first row is read, committed
    together by `commit`, discarded when the block is left any other way."""

    def __init__(self) -> None:
        self.files: list[AtomicOutput] = []
        self.committed = False

    def open(self, path: Path, fmt: str, text_columns: Iterable[str] = (), digest: bool = False,
             bom: bool = False) -> AtomicOutput:
        output = AtomicOutput(path, fmt, text_columns, digest, bom)
        self.files.append(output)
        return output

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if not self.committed:
            with held_signals():
                for output in self.files:
                    output.discard()

    def commit(self, order: list[AtomicOutput]) -> None:
        """Every output on the disk, then all renamed into place in `order` (the results last), or none."""
        for output in self.files:
            output.finish()
        with held_signals():
            journal = own_name(order[-1].path, order[-1].token, "commit")
            kept = [_keep_aside(output.path, output.token) for output in order]
            done: list[tuple[Path, Path | None]] = []
            try:
                _write_journal(journal, [(o, k) for o, k in zip(order, kept, strict=True)])
                for output, old in zip(order, kept, strict=True):
                    try:
                        os.replace(output.temporary, output.path)
                    except OSError as error:
                        raise failure(output.path, error) from None
                    done.append((output.path, old))
                _sync_directories(o.path for o in order)
            except BaseException:
                _undo(done)
                for old in kept:
                    if old is not None:
                        old.unlink(missing_ok=True)
                journal.unlink(missing_ok=True)
                raise
            self.committed = True
            journal.unlink(missing_ok=True)
            for old in kept:
                if old is not None:
                    old.unlink(missing_ok=True)


def _keep_aside(path: Path, token: str) -> Path | None:
    """A second name for the file a rename would replace, so an undo can bring it back (None: no old file)."""
    if not path.exists():
        return None
    old = own_name(path, token, "old")
    try:
        os.link(path, old)
    except OSError as error:
        raise failure(path, error) from None
    return old


def _write_journal(journal: Path, entries: list[tuple[AtomicOutput, Path | None]]) -> None:
    data = [{"final": str(o.path.absolute()), "partial": str(o.temporary.absolute()),
             "old": None if k is None else str(k.absolute())} for o, k in entries]
    try:
        with journal.open("w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        _sync_directories([journal])
    except OSError as error:
        raise failure(journal.parent, error) from None


def _undo(done: list[tuple[Path, Path | None]]) -> None:
    """Renames already made, undone: the old file back under its name, or no file where there was none."""
    for final, old in reversed(done):
        with contextlib.suppress(OSError):
            if old is not None:
                os.replace(old, final)
            else:
                final.unlink(missing_ok=True)


def _sync_directories(paths: Iterable[Path]) -> None:
    """The renames on the disk too (a directory's entries are synced apart from its files)."""
    for directory in {p.parent.absolute() for p in paths}:
        with contextlib.suppress(OSError):  # (some file systems cannot open a directory for this)
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT and SIGTERM recorded, not acted on, while the block runs, then delivered to the handlers they
    had (so Ctrl-C during a commit stops the run after it). Only the main thread can change handlers; elsewhere
    the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, frame: caught.append(number)) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def recover(directories: Iterable[Path]) -> list[Path]:
    """Files left in these directories by runs whose process no longer exists (killed outright): a commit
    their journal shows finished is kept, one that did not is undone, and their partials and old copies are
    removed. Returns the files removed."""
    removed: list[Path] = []
    for directory in dict.fromkeys(d.absolute() for d in directories):
        try:
            names = [n for n in os.listdir(directory) if OWN_FILE.match(n)]
        except OSError:
            continue
        stale = [directory / n for n in names if not _alive(_pid(n))]
        for journal in (p for p in stale if p.name.endswith(".commit")):
            _finish_or_undo(journal)
        for path in stale:
            with contextlib.suppress(OSError):
                if path.exists():
                    path.unlink()
                    removed.append(path)
    return removed


def _finish_or_undo(journal: Path) -> None:
    """A commit interrupted by the end of its process: complete if the results (the last rename) were put in
    place, else undone, so that its outputs are all there or none is."""
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if entries and Path(entries[-1]["partial"]).exists():  # the results were not renamed: undone
        _undo([(Path(e["final"]), None if e["old"] is None else Path(e["old"]))
               for e in entries if not Path(e["partial"]).exists()])
    for entry in entries:  # (and when they were, the commit is whole: only its old copies go)
        with contextlib.suppress(OSError):
            Path(entry["partial"]).unlink(missing_ok=True)
            if entry["old"] is not None:
                Path(entry["old"]).unlink(missing_ok=True)


def _pid(name: str) -> int:
    found = OWN_FILE.match(name)
    return int(found.group(1)) if found else 0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # (another user's process)
    return True

