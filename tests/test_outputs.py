"""A batch run's outputs: all published together or none, never over the input or one another, and a failure
of the disk or a path reported with exit 2 and the path, before any row is read when it can be known then."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from test_batch_files import AS_OF, table, write_csv

import guangxi_subsidy.cli.launch
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.batch import commit, sinks

OWN = (".partial", ".old", ".commit")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "250"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def source(tmp_path: Path) -> Path:
    rows, _ = table(rows=300, bad_every=7)
    path = tmp_path / "a.csv"
    write_csv(path, rows)
    return path


def own_files(*directories: Path) -> list[Path]:
    return [p for d in directories for p in d.iterdir() if p.name.startswith(".") and p.name.endswith(OWN)]


def belong_together(results: Path, errors: Path, summary: Path) -> None:
    """The summary names these results and errors, with their sizes and digests, and counts their rows."""
    data = json.loads(summary.read_text(encoding="utf-8"))
    for name, path in (("results", results), ("errors", errors)):
        described = data["outputs"][name]
        body = path.read_bytes()
        assert Path(described["path"]).name == path.name
        assert described["bytes"] == len(body)
        assert described["sha256"] == hashlib.sha256(body).hexdigest()
    assert len(results.read_text(encoding="utf-8").splitlines()) - 1 == data["rows"]["evaluated"]


def test_outputs_that_are_the_input_or_one_another_are_refused_with_exit_2(source: Path, tmp_path: Path) -> None:
    before = source.read_bytes()
    (tmp_path / "link.csv").hardlink_to(source)
    (tmp_path / "sym.csv").symlink_to(source)
    (tmp_path / "old.csv").write_text("kept\n", encoding="utf-8")
    (tmp_path / "alias.csv").symlink_to(tmp_path / "old.csv")
    cases = [
        ("-o", str(source)),
        ("-o", str(tmp_path / "r.csv"), "--errors", str(tmp_path / "r.csv")),
        ("-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "r.csv")),
        ("-o", str(tmp_path / "r.csv"), "--errors", str(tmp_path / "sub" / ".." / "a.csv")),
        ("-o", str(tmp_path / "link.csv")),  # a hard link to the input
        ("-o", str(tmp_path / "sym.csv")),  # a symbolic link to the input
        ("-o", str(tmp_path / "old.csv"), "--summary", str(tmp_path / "alias.csv")),
    ]
    (tmp_path / "sub").mkdir()
    for options in cases:
        code, _, err = run("batch", str(source), *options, "--as-of", AS_OF, "-q")
        assert code == 2, (options, err)
        assert "same file" in err
        assert source.read_bytes() == before
        assert (tmp_path / "old.csv").read_text(encoding="utf-8") == "kept\n"
        assert not (tmp_path / "r.csv").exists() and not (tmp_path / "r.errors.csv").exists()
        assert not own_files(tmp_path)


def test_paths_that_cannot_be_written_are_refused_with_exit_2_before_any_row_is_read(
        source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "folder.csv").mkdir()
    cases = {
        str(tmp_path / "missing" / "r.csv"): "does not exist",
        str(tmp_path / "folder.csv"): "directory",
        str(tmp_path / ("x" * 252 + ".csv")): "longer than",
    }
    for output, reason in cases.items():
        code, _, err = run("batch", str(source), "-o", output, "-q")
        assert code == 2 and reason in err and Path(output).name[:40] in err.replace("\n", ""), err
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--summary",
                       str(tmp_path / "missing" / "s.json"), "-q")
    assert code == 2 and "s.json" in err and not (tmp_path / "r.csv").exists()

    def refused(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    read = []
    monkeypatch.setattr("guangxi_subsidy.engine.batch.run.open_source", lambda *a: read.append(a))
    monkeypatch.setattr(sinks.os, "open", refused)  # a read-only file system (root passes `access`)
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 2 and "r.csv" in err and "Read-only file system" in err
    assert not read  # refused before the applicant file was opened


def test_a_legal_long_name_is_written_under_a_shortened_partial_name(source: Path, tmp_path: Path) -> None:
    output = tmp_path / ("结" * 80 + ".csv")  # 244 bytes: legal, and too long with a partial's additions
    code, _, err = run("batch", str(source), "-o", str(output), "--errors", str(tmp_path / "e.csv"), "-q")
    assert code == 0, err
    assert output.exists() and not own_files(tmp_path)


def _old_set(tmp_path: Path) -> dict[Path, bytes]:
    old = {tmp_path / "r.csv": b"old results\n", tmp_path / "r.errors.csv": b"old errors\n",
           tmp_path / "s.json": b"{}\n"}
    for path, body in old.items():
        path.write_bytes(body)
    return old


@pytest.mark.parametrize("earlier", [False, True])
@pytest.mark.parametrize("failing", ["write", "fsync", "replace 1", "replace 2", "replace 3"])
def test_a_full_disk_at_any_step_of_the_commit_leaves_every_output_as_it_was(
        source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str, earlier: bool) -> None:
    """ENOSPC from a write, from the fsync that ends a file, or from the Nth rename: exit 2 with the path, and
    the outputs are those of before the run (an earlier run's or none), with no partial left."""
    old = _old_set(tmp_path) if earlier else {}
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    what, _, nth = failing.partition(" ")
    if what == "write":
        monkeypatch.setattr(pl.DataFrame, "write_csv", lambda self, *a, **k: (_ for _ in ()).throw(full))
    elif what == "fsync":
        monkeypatch.setattr(sinks.os, "fsync", lambda fd: (_ for _ in ()).throw(full))
    else:
        calls = []
        real = os.replace

        def replace(a: Any, b: Any) -> None:
            calls.append(b)
            if len(calls) == int(nth):
                raise full
            real(a, b)

        monkeypatch.setattr(commit.os, "replace", replace)
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.json"),
                       "--as-of", AS_OF, "-q")
    assert code == 2, err
    assert "No space left on device" in err and ("r.csv" in err or "s.json" in err or "errors" in err)
    outputs = {p for p in tmp_path.iterdir() if p.name != "a.csv"}
    assert {p: p.read_bytes() for p in outputs} == old
    assert not own_files(tmp_path)


def test_the_summary_names_its_results_and_errors_with_size_and_sha256(source: Path, tmp_path: Path) -> None:
    _old_set(tmp_path)  # replaced whole
    code, _, err = run("batch", str(source), "-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.json"),
                       "--as-of", AS_OF, "-q")
    assert code == 0, err
    belong_together(tmp_path / "r.csv", tmp_path / "r.errors.csv", tmp_path / "s.json")
    assert not own_files(tmp_path)


# A batch run in a process of its own, stopped by `how` at a step of its commit: just before the Nth rename,
# or ("after") once the results are renamed.
STOPPER = textwrap.dedent("""
    import os, signal, sys
    from guangxi_subsidy.engine.batch import commit
    how, step = int(sys.argv[1]), sys.argv[2]
    real, calls = os.replace, []
    def replace(a, b):
        calls.append(b)
        if step != "after" and len(calls) == int(step):
            os.kill(os.getpid(), how)
        real(a, b)
        if step == "after" and len(calls) == 3:
            os.kill(os.getpid(), how)
    commit.os.replace = replace
    sys.argv = ["subsidy", *sys.argv[3:]]
    from guangxi_subsidy.cli.launch import main
    main()
""")


@pytest.mark.parametrize(("how", "step"), [(signal.SIGKILL, "1"), (signal.SIGKILL, "2"), (signal.SIGKILL, "3"),
                                           (signal.SIGKILL, "after"), (signal.SIGINT, "2"), (signal.SIGTERM, "3"),
                                           (signal.SIGINT, "after")])
def test_a_run_stopped_at_its_commit_leaves_all_its_outputs_or_none(
        source: Path, tmp_path: Path, how: signal.Signals, step: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    results, errors, summary = out / "r.csv", out / "r.errors.csv", out / "s.json"
    old = _old_set(out) if step in ("2", "after") else {}
    finished = subprocess.run(
        [sys.executable, "-c", STOPPER, str(int(how)), step, "batch", str(source), "-o", str(results),
         "--summary", str(summary), "--as-of", AS_OF, "-q"], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in finished.stderr
    if how == signal.SIGKILL:
        assert finished.returncode == -signal.SIGKILL
        code, _, err = run("batch", str(source), "-o", str(out / "next.csv"), "-q")  # the next run, same place
        assert code == 0, err
        assert "killed" in err  # it says what it removed
        (out / "next.csv").unlink()
        (out / "next.errors.csv").unlink()
    else:  # held through the commit, then acted on: the commit is whole
        assert finished.returncode == (130 if how == signal.SIGINT else 128 + how)
        assert finished.stderr.split() == (["interrupted"] if how == signal.SIGINT else [])
    assert not own_files(out)
    if results.exists() and results.read_bytes() != old.get(results):
        belong_together(results, errors, summary)
        assert how != signal.SIGKILL or step == "after"
    else:  # none of this run's outputs: those of before, if any
        assert {p: p.read_bytes() for p in out.iterdir()} == old


ENTRY = ("<string>", str(Path(guangxi_subsidy.__file__)), str(Path(guangxi_subsidy.cli.__file__)),
         str(Path(guangxi_subsidy.cli.launch.__file__)))
IMPORTLIB = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _before_the_entry_point(err: str) -> bool:
    """Python's report of a KeyboardInterrupt raised before `launch.main` began: every frame at the top level of
    the command line or of the three modules on the way to it (which import nothing, so this lasts a
    millisecond), or in Python's own import machinery looking for them on the path (a checkout's window, README
    "Start-up"); one in `main` or in any other module means the program let it through."""
    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', err)
    return (bool(frames) and err.rstrip().endswith("KeyboardInterrupt")
            and all((where in ENTRY and name == "<module>") or where in IMPORTLIB for where, name in frames))


def test_the_way_to_the_entry_point_imports_nothing() -> None:
    """What runs before `launch.main` can catch a Ctrl-C is as short as it can be: the package, its `cli`
    package and the launcher load no other module (not even `typing`, 3 ms)."""
    probe = ("import sys; before = set(sys.modules); import guangxi_subsidy.cli.launch; "
             "print(sorted(set(sys.modules) - before))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == str(["guangxi_subsidy", "guangxi_subsidy.cli", "guangxi_subsidy.cli.launch"])


@pytest.mark.parametrize("delay", [0.05, 0.4, 1.2, 2.5])
def test_ctrl_c_at_any_moment_gives_exit_130_one_line_and_all_outputs_or_none(source: Path, tmp_path: Path,
                                                                             delay: float) -> None:
    """From the program's start (importing its modules) to its end, whenever the run is at by then."""
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", "from guangxi_subsidy.cli.launch import main; main()", "batch", str(source),
         "-o", str(out / "r.csv"), "--summary", str(out / "s.json"), "--as-of", AS_OF, "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    if err.startswith("Fatal Python error: init_") or _before_the_entry_point(err):
        # Stopped while the interpreter itself was starting (its streams, `site`), or while it loaded the three
        # modules that lead to the entry point: before any of the program's code could catch it, Python's own
        # report; the program had written nothing.
        assert list(out.iterdir()) == []
        return
    assert "Traceback" not in err
    if process.returncode == 0:  # it had finished
        belong_together(out / "r.csv", out / "r.errors.csv", out / "s.json")
    else:  # (-SIGINT: stopped before the interpreter had set up its handler, which a shell shows as 130 too)
        assert process.returncode == -signal.SIGINT or (process.returncode == 130 and err.split() == ["interrupted"])
        if (out / "r.csv").exists():  # stopped just after its commit
            belong_together(out / "r.csv", out / "r.errors.csv", out / "s.json")
        else:
            assert list(out.iterdir()) == []


def test_the_next_run_removes_the_files_of_dead_processes_only(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, alive = int(ended.stdout), os.getpid()
    left = [tmp_path / f".r.csv.{dead}.0123abcd.partial", tmp_path / f".r.csv.{dead}.0123abcd.old",
            tmp_path / f".{'长' * 70}.{dead}.4567cdef.partial"]  # (a shortened name)
    kept = [tmp_path / f".r.csv.{alive}.89abcdef.partial", tmp_path / ".r.csv.partial", tmp_path / "r.csv"]
    for path in left + kept:
        path.write_text("x", encoding="utf-8")
    assert sorted(commit.recover([tmp_path])) == sorted(left)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A file system of 64 KB (a tmpfs, mounted for the test and unmounted after it: root only)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small file system needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_that_fills_up_gives_exit_2_naming_the_output_and_leaves_nothing(tmp_path: Path,
                                                                                small_disk: Path) -> None:
    rows, _ = table(rows=3000, bad_every=7)
    source = tmp_path / "a.csv"
    write_csv(source, rows)
    code, _, err = run("batch", str(source), "-o", str(small_disk / "r.csv"), "--as-of", AS_OF, "-q")
    assert code == 2, err
    assert "No space left on device" in err and "r.csv" in err
    assert list(small_disk.iterdir()) == []
