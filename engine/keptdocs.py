"""A bundled YAML document's parsed form kept between runs of the `subsidy` program, beside the built rule pack
(`engine/rules/packcache.py`), so evaluating an example again (`subsidy evaluate --example …`) does not parse it
again and PyYAML is not imported: about 90 million instructions, a twelfth of the command. Only the package's
own documents are kept (the bundled cases): a user's profile may be about a person, and the program keeps no
copy of it.

The key is everything the parsed form depends on: the file's bytes, the package's version, the Python, and the
name, size and time of the reader's modules (`yamlio.py`, `textfiles.py`, this one) and of PyYAML's package
(found on the path, not imported). Only a document read without a problem (and measured by `yamlio.measure`)
is kept, so a bad file is refused again by the reader itself, with the same message. Kept as `doc-<key>.pickle`
in the pack cache's folder, under its rules: a file is unpickled only when it is the user's own and no one else
may write it (a pickle can run code), the newest `KEEP` are kept, any trouble is a miss, and only the program's
entry point turns it on.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # (spelt out: nothing beyond what the interpreter has loaded is imported at start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

FORMAT = b"doc-cache/1"
KEEP = 8  # the newest packs kept, and the newest documents (engine/rules/packcache.py says the same)
MISSING = object()  # what `read` returns when nothing is kept
OWN: Path | None = None  # the folder of the documents kept (None: the package's bundled cases; tests set it)

_enabled = False


def enable() -> None:
    """Keep parsed documents in this process (the pack cache's `enable` calls this)."""
    global _enabled
    _enabled = True


def cache_folder() -> Path | None:
    """Where packs and parsed documents are kept, or None when the cache is turned off."""
    from pathlib import Path

    given = os.environ.get("SUBSIDY_CACHE_DIR")
    if given is not None:
        return Path(given) if given else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "guangxi-subsidy"


def yaml_document(raw: bytes, parse: Callable[[], Any], path: Path) -> Any:
    """The parsed form of the YAML file `path`, whose bytes are `raw`: kept from an earlier run when this process
    has the cache on and the file is one of the package's own (`OWN`), else `parse()` (which raises for a bad
    document), kept for the next run."""
    folder = cache_folder() if _enabled and _own(path) else None
    key = _key(raw) if folder is not None else None
    if folder is None or key is None:
        return parse()
    path = folder / f"doc-{key}.pickle"
    found = read_kept(path, object)
    if found is not MISSING:
        return found
    data = parse()
    keep(folder, path, data, "doc-*.pickle")
    return data


def _own(path: Path) -> bool:
    """Whether `path` is one of the package's own documents (a bundled example): a user's profile may be about a
    person, and the program keeps no copy of it."""
    from guangxi_subsidy import data

    own = OWN if OWN is not None else data.CASES
    try:
        return path.resolve().is_relative_to(own.resolve())
    except OSError:
        return False


def _key(raw: bytes) -> str | None:
    import hashlib
    from importlib.machinery import PathFinder

    from guangxi_subsidy import __version__

    spec = PathFinder.find_spec("yaml")
    if spec is None or spec.origin is None:
        return None
    here = os.path.dirname(__file__)
    reader = [os.path.join(here, name) for name in ("keptdocs.py", "textfiles.py", "yamlio.py")]
    digest = hashlib.sha256(FORMAT)
    digest.update(f"\0{__version__}\0{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    try:
        for file in [*reader, spec.origin]:
            status = os.stat(file)
            digest.update(f"{file}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    except OSError:
        return None
    digest.update(raw)
    return digest.hexdigest()


def read_kept(path: Path, kind: type) -> Any:
    """The object kept in `path` when it is an instance of `kind`, else MISSING (no file, a damaged one, or
    one that is not the user's own or that another user may write: never unpickled)."""
    import pickle

    try:
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            if status.st_uid != os.getuid() or status.st_mode & 0o022:
                return MISSING
            found = pickle.load(file)
    except Exception:  # noqa: BLE001 - a missing, damaged or foreign file is a miss: the caller builds it
        return MISSING
    return found if isinstance(found, kind) else MISSING


def keep(folder: Path, path: Path, value: object, pattern: str) -> None:
    """Write `value` to `path` whole or not at all, then keep only the newest KEEP files matching `pattern`."""
    import pickle
    import tempfile

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=".kept-", suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(name, path)
        except BaseException:
            os.unlink(name)
            raise
        kept = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, RecursionError):
        return  # nothing kept this time; the value in hand is used
