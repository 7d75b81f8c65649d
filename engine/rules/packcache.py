"""The built rule pack kept between runs of the `subsidy` program, so a command does not parse and compile the
same YAML files again on every start.

Loading the bundled pack (YAML read with exact numbers, every file validated, every expression parsed and
type-checked) takes about a third of `subsidy evaluate`'s start-up; reading the built pack back from a pickle
takes a tenth of that. The cache is keyed by everything the built pack depends on: the bytes and full path of
every rule file, the package's version, the Python that runs it, and the name, size and modification time of the
modules that build the pack and define what it holds (`engine/rules`, `engine/language`, `engine/applicant`), so
an edited rule file or an edited engine module in a checkout is a new key, never a stale pack. Only a pack that
loaded without a problem is kept; a refused pack is refused again by `load_pack` itself, with its problems.
Reading it back imports no pydantic: the pack's values are plain records (`kinds.py`), and each rule as its file
writes it is kept pickled apart until a command reads it (`lazyspec.py`).

The files are written atomically (a whole file or none), in `$SUBSIDY_CACHE_DIR`, else `$XDG_CACHE_HOME/guangxi-
subsidy`, else `~/.cache/guangxi-subsidy` (made readable by its owner only); `SUBSIDY_CACHE_DIR=` (empty) turns
the cache off. A file is read only when it belongs to the user running the program and no one else may write it
(a pickle can run code). The newest `KEEP` files are kept. Any trouble with the cache (a folder that cannot be
made, a full disk, a damaged file) loads the pack as if there were none.

Only the program's entry point (`cli/launch.py`) turns the cache on: a program that runs the commands in its
own process (the tests) loads its packs as before.
"""

from __future__ import annotations

import os
import sys

# (only what the interpreter has loaded already: the entry point imports this module for every command, `--help`
# too; hashlib, pathlib and pickle are imported when a pack is loaded. `TYPE_CHECKING` spelt out for that reason.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from guangxi_subsidy.engine.rules.pack import RulePack

FORMAT = b"pack-cache/1"
KEEP = 8  # (the files kept: `engine/keptdocs.py` writes them, for packs and parsed documents alike)
CODE = ("rules", "language", "applicant")  # the engine's sub-packages a built pack's objects come from

_enabled = False


def enable() -> None:
    """Use the cache in this process (the `subsidy` program's entry point calls this)."""
    global _enabled
    _enabled = True
    from guangxi_subsidy.engine import keptdocs

    keptdocs.enable()  # (and a profile's parsed YAML, kept in the same folder under the same rules)


def load(paths: Sequence[Path] | None = None) -> RulePack:
    """`load_pack(paths)`, from the cache when this process has it enabled and holds the same pack."""
    from guangxi_subsidy.engine.rules import pack as packs

    if not _enabled:
        return packs.load_pack(paths)
    folder = cache_folder()
    files = packs.pack_files(paths)
    key = pack_key(files) if folder is not None else None
    if folder is None or key is None:
        return packs.load_pack(paths)
    path = folder / f"pack-{key}.pickle"
    found = _read(path, packs.RulePack)
    if found is not None:
        return found
    built = packs.load_pack(paths)
    _write(folder, path, built)
    return built


def cache_folder() -> Path | None:
    """Where packs are kept, or None when the cache is turned off."""
    from guangxi_subsidy.engine import keptdocs

    return keptdocs.cache_folder()


def pack_key(files: Sequence[Path]) -> str | None:
    """The key of the pack built from `files` by this engine on this Python, or None if a file cannot be read
    (then `load_pack` reports it)."""
    import hashlib
    from pathlib import Path

    from guangxi_subsidy import __version__

    digest = hashlib.sha256(FORMAT)
    digest.update(f"\0{__version__}\0{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    engine = Path(__file__).resolve().parent.parent
    for package in CODE:
        try:
            entries = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                             for e in os.scandir(engine / package) if e.name.endswith(".py"))
        except OSError:
            return None
        digest.update(repr((package, entries)).encode())
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        digest.update(f"\0{file.resolve()}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _read(path: Path, kind: type[RulePack]) -> RulePack | None:
    from guangxi_subsidy.engine import keptdocs

    found = keptdocs.read_kept(path, kind)
    return None if found is keptdocs.MISSING else found


def _write(folder: Path, path: Path, pack: RulePack) -> None:
    from guangxi_subsidy.engine import keptdocs

    keptdocs.keep(folder, path, pack, "pack-*.pickle")
