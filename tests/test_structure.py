"""The shape of the code, as the README's map draws it: layers imported in one direction, no import circle among
the command's modules, no module too long to read, and no reference to a file that is not there.

Read from the source with `ast` (nothing is imported), so these checks cost a fraction of a second.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "guangxi_subsidy"

# The sub-packages of engine/ in the README's order: a module imports from its own layer or an earlier one.
# Modules directly in engine/ (money, jsontext, …) are the bottom.
LAYERS = ("", "i18n", "language", "applicant", "rules", "evaluation", "answers", "intake", "batch", "scenarios",
          "verify", "register", "matching", "accounts", "web")
LONGEST = 450  # lines: the house's hard bar for one module


def _imports(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, at any depth of its code (a function's import counts), as a dotted name
    under `guangxi_subsidy`, with its line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{a.name}") for a in node.names)  # `from pkg import module`


def _layer(dotted: str) -> str:
    part = dotted.split(".")[0]
    return part if part in LAYERS else ""


def test_engine_layers_import_only_their_own_layer_or_earlier_ones() -> None:
    wrong = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        rel = path.relative_to(ROOT / "engine").with_suffix("")
        mine = _layer(".".join(rel.parts))
        package = f"{PACKAGE}.engine." + ".".join(rel.parts[:-1]) if len(rel.parts) > 1 else f"{PACKAGE}.engine"
        for line, name in _imports(path, package.rstrip(".")):
            prefix = f"{PACKAGE}.engine."
            if not name.startswith(prefix):
                continue
            theirs = _layer(name[len(prefix):])
            if LAYERS.index(theirs) > LAYERS.index(mine):
                wrong.append(f"engine/{'/'.join(rel.parts)}.py:{line} ({mine or 'bottom'}) imports {name} ({theirs})")
    assert not wrong, "a layer imports a later one (README, The map of the code):\n" + "\n".join(wrong)


def _cli_graph() -> dict[str, set[str]]:
    """Which modules of cli/ each module of cli/ imports."""
    modules = {p.stem for p in (ROOT / "cli").glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name in modules:
        graph[name] = set()
        for _line, imported in _imports(ROOT / "cli" / f"{name}.py", f"{PACKAGE}.cli"):
            parts = imported.split(".")
            if parts[:2] == [PACKAGE, "cli"] and len(parts) > 2 and parts[2] in modules and parts[2] != name:
                graph[name].add(parts[2])
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph, as the modules around it, or None."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_circle_finder_finds_a_circle_and_passes_a_line() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_cli_modules_import_each_other_in_one_direction_only() -> None:
    graph = _cli_graph()
    assert graph["evaluate"] == {"common", "reforms", "register_evaluate"}  # (a command's own imports are seen)
    circle = _circle(graph)
    assert circle is None, ("cli/ modules import each other in a circle: " + " → ".join(circle or [])
                            + " (shared state, errors and exit codes are in cli/common.py, not cli/main.py)")


def test_no_module_is_longer_than_the_bar() -> None:
    long = [f"{p.relative_to(ROOT)}: {n} lines"
            for folder in ("engine", "cli", "pkg") for p in sorted((ROOT / folder).rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST]
    assert not long, f"modules over {LONGEST} lines (split by job):\n" + "\n".join(long)


# A path as the code and the README name files: folders and a file name with one of these endings.
PATH = re.compile(r"(?<![\w./:$~-])((?:\.?[\w-]+/)+[\w.-]*\.(?:py|c|h|yaml|yml|json|md|txt|png|svg|csv|po|mo|html"
                  r"|css|toml|cfg|pot|xlsx|parquet|arrow|jsonl))(?![\w/])")
# Paths that name no file of the repository on purpose: what a run writes (benchmark data, `make`'s build/, a
# batch's results folder, written as OUTPUT or results/ in examples) and another package's own file.
NOT_OURS = ("benchmarks/data/", "build/", "results/", "OUTPUT/", "polars/")


def _named_paths(text: str) -> Iterator[tuple[int, str]]:
    for match in PATH.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1)


def test_the_path_finder_reads_paths_as_the_code_writes_them() -> None:
    text = ("see `engine/intake/scan.py`, [x](cases/profiles/nanning_incubation_base.yaml) and\n"
            "(engine/_kernels.c); not http://a/b.py")
    assert list(_named_paths(text)) == [(1, "engine/intake/scan.py"),
                                        (1, "cases/profiles/nanning_incubation_base.yaml"), (2, "engine/_kernels.c")]


def test_every_repository_path_named_in_the_code_and_the_readme_exists() -> None:
    """A path may be written from the top of the repository or from any folder in it (`scenarios/compare.py`
    in the map of engine/, `zh/LC_MESSAGES/subsidy.po` beside the locale folder): it must end a file's path."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = tracked.split()
    if not files:
        pytest.skip("not a git checkout")
    existing = {f for f in files if (ROOT / f).exists()}
    folders = {str(Path(f).parent) for f in existing}
    stale = []
    for name in files:
        if not name.endswith((".py", ".c")) and name != "README.md":
            continue
        for line, path in _named_paths((ROOT / name).read_text(encoding="utf-8")):
            if path.startswith(NOT_OURS) or path in existing or path.rstrip("/") in folders:
                continue
            if not any(f.endswith("/" + path) for f in existing):
                stale.append(f"{name}:{line}: {path}")
    assert not stale, "paths naming no file of the repository:\n" + "\n".join(stale)


def test_every_package_of_code_is_in_the_wheel() -> None:
    """A sub-package missing from pyproject's list installs from a checkout (editable) and is absent from the
    wheel: the installed command then fails on its first import of it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    homes = {"engine": f"{PACKAGE}.engine", "cli": f"{PACKAGE}.cli", "pkg": PACKAGE}
    found = set()
    for folder, dotted in homes.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if folder == "pkg" and parts[:1] == ("data",):
                continue  # the data folders, mapped apart
            found.add(".".join((dotted, *parts)))
    assert sorted(found - listed) == []
