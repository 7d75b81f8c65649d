"""The files the package carries beside its code: the rule pack, the source documents and the worked cases.

They live in the repository's top-level `rules/`, `seeds/` and `cases/` folders, where people read and edit them;
`pyproject.toml` maps the three folders into the package as `guangxi_subsidy.data.rules`, `.seeds` and `.cases`,
so a wheel carries them and an editable install reads them where they stand. Everything that needs one of these
folders asks this module (which asks the import system where each package is), never a path relative to a
source file, so a command finds the same files from any working directory, and a wheel and a checkout load the
same pack (the same digest). The folder of a package on disk is the one `importlib.resources.files` gives, found
without importing `importlib.resources` (about 7 ms of every command's start).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path


def _folder(package: str) -> Path:
    origin = getattr(import_module(package), "__file__", None)  # (each folder's __init__.py is empty)
    folder = Path(origin).parent if origin else None
    if folder is None or not folder.is_dir():  # an installation that left the package in an archive
        raise RuntimeError(f"{package} is not a folder on disk ({folder!r}); install the package unpacked")
    return folder


RULES = _folder("guangxi_subsidy.data.rules")
"""The rule pack: one YAML file per source document, and the dated parameters (`parameters.yaml`)."""

SEEDS = _folder("guangxi_subsidy.data.seeds")
"""The five source documents, as text: every rule's quote is found in one of them."""

CASES = _folder("guangxi_subsidy.data.cases")
"""The worked cases (`subsidy test`) and, in `profiles/`, the example applicant profiles."""

PROFILES = CASES / "profiles"


def examples() -> dict[str, Path]:
    """The bundled example profiles by name (the file name without `.yaml`), in name order."""
    return {path.stem: path for path in sorted(PROFILES.glob("*.yaml"))}


def example_summary(path: Path, language: str = "en") -> str:
    """An example's description: the comment lines at the top of its file; in Chinese, the one marked `zh:`
    (the English where a file has none)."""
    lines: list[str] = []
    chinese: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("# ").rstrip()
        (chinese if text.startswith("zh:") else lines).append(text.removeprefix("zh:").strip())
    return " ".join(chinese if language == "zh" and chinese else lines)
