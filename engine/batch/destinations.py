"""Where a run will write, checked before the first row is read, so that a run never overwrites its own input
or one output with another, and never fails for its paths after evaluating a whole file.

Two paths are the same file when they resolve to the same path (symbolic links followed) or, for files that
exist, when they are the same inode (hard links). Each output's directory must exist and be a directory that
can be written to, and its name must fit the file system; an existing output must be a regular file, which the
run replaces (not a directory, a device or a pipe). Whether a directory can really be written to (a read-only
file system, a full disk, permissions that root does not see through `access`) is known when the run creates
its partial files, which it does next, before reading any row.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from guangxi_subsidy.engine.batch.sinks import OutputError, name_limit
from guangxi_subsidy.engine.i18n import _


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    resolved = str(path.resolve(strict=False))
    try:
        info = os.stat(path)
    except OSError:
        return resolved, None
    return resolved, (info.st_dev, info.st_ino)


def check(source: Path, outputs: dict[str, Path]) -> None:
    """Refuse (OutputError) outputs that are the input or one another, or that cannot be written where asked.
    `outputs`: the option that names each (`-o`, `--errors`, `--summary`) and its path."""
    seen: list[tuple[str, Path, tuple[str, tuple[int, int] | None]]] = [("APPLICANTS", source, _identity(source))]
    for option, path in outputs.items():
        identity = _identity(path)
        for other, other_path, known in seen:
            if identity[0] == known[0] or (identity[1] is not None and identity[1] == known[1]):
                what = _("the applicant file") if other == "APPLICANTS" else other
                raise OutputError(path, _("{option} names the same file as {other} ({path}); give another name")
                                  .format(option=option, other=what, path=other_path))
        seen.append((option, path, identity))
        _writable(option, path)


def _writable(option: str, path: Path) -> None:
    directory = path.parent
    if not path.name:
        raise OutputError(path, _("{option} names no file").format(option=option))
    if not directory.is_dir():
        reason = _("the directory {directory} does not exist") if not directory.exists() else \
            _("{directory} is not a directory")
        raise OutputError(path, reason.format(directory=directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(path, _("the directory {directory} cannot be written to").format(directory=directory))
    if len(path.name.encode()) > name_limit(directory):
        raise OutputError(path, _("the file name is longer than this file system allows ({limit} bytes)")
                          .format(limit=name_limit(directory)))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from None
    if stat.S_ISDIR(mode):
        raise OutputError(path, _("{option} names a directory, not a file").format(option=option))
    if not stat.S_ISREG(mode):
        raise OutputError(path, _("{option} names a device or pipe, not a file the run can replace")
                          .format(option=option))
