"""The `subsidy` program's start: what one evaluation imports, the built pack kept between runs, and a Ctrl-C at
any moment of the start ending the program with `interrupted` and exit 130 (cli/launch.py, cli/start.pth,
engine/rules/packcache.py). No timing is asserted here; benchmarks/startup.py prints them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules import packcache

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "subsidy"
START_LINE = Path(sysconfig.get_path("purelib")) / "00-guangxi-subsidy-start.pth"
# what a single evaluation never needs: the batch path, the web server, the register, the charts, the report
NOT_FOR_ONE = ("polars", "numpy", "pyarrow", "openpyxl", "xlsxwriter", "fastapi", "starlette", "uvicorn",
               "sqlalchemy", "alembic", "psycopg", "matplotlib", "reportlab", "jinja2", "charset_normalizer")
OURS_NOT_FOR_ONE = ("engine.batch", "engine.intake", "engine.web", "engine.register", "engine.matching",
                    "engine.accounts", "engine.scenarios", "cli.batch", "cli.reforms", "cli.register")


def program(args: list[str], cache: Path, probe: str = "") -> subprocess.CompletedProcess[str]:
    """`subsidy ARGS` through the program's entry point, in a fresh interpreter, with `probe` run at its exit."""
    code = (f"import atexit, sys\natexit.register(lambda: {probe or 'None'})\nsys.argv = ['subsidy', *{args!r}]\n"
            "from guangxi_subsidy.cli.launch import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cache,
                          env={**os.environ, "SUBSIDY_CACHE_DIR": str(cache), "COLUMNS": "200"})


def test_one_evaluation_imports_neither_batch_nor_web_nor_register_and_keeps_the_pack(tmp_path: Path) -> None:
    args = ["evaluate", "--example", "nanning_incubation_base"]
    probe = "print('\\nMODULES', ' '.join(sorted(sys.modules)))"
    first = program(args, tmp_path, probe)
    kept = list(tmp_path.glob("pack-*.pickle"))
    second = program(args, tmp_path, probe)  # the pack read back from the cache
    for ran in (first, second):
        assert ran.returncode == 0, ran.stderr
        out, _, modules = ran.stdout.rpartition("\nMODULES ")
        assert "550,000.00" in out  # 900,000 × 70% = 630,000, capped at 550,000 (document 002, 三(四)18)
        loaded = {name.partition(".")[0] for name in modules.split()}
        assert [name for name in NOT_FOR_ONE if name in loaded] == []
        assert "importlib.metadata" not in modules.split()  # (pydantic's plugin search is off: cli/plugins.py)
        assert "rich._emoji_codes" not in modules.split()  # (the table prints without reading emoji codes)
        assert [name for name in modules.split() if name.startswith(tuple(f"guangxi_subsidy.{part}"
                                                                           for part in OURS_NOT_FOR_ONE))] == []
    assert len(kept) == 1 and list(tmp_path.glob("pack-*.pickle")) == kept
    # the second run read the profile's parsed form back too (engine/keptdocs.py): PyYAML was not imported
    assert "yaml" in first.stdout.rpartition("\nMODULES ")[2].split()
    assert "yaml" not in second.stdout.rpartition("\nMODULES ")[2].split()
    # the same answer (the modules differ: only the first run writes the pack, with tempfile and shutil)
    assert first.stdout.rpartition("\nMODULES ")[0] == second.stdout.rpartition("\nMODULES ")[0]
    # with the pack read back and a valid profile, nothing imports pydantic: the pack's rules as written stay
    # pickled until read (engine/rules/lazyspec.py), the profile is read by the field table (applicant/plain.py)
    # (the exact names: `pydantic.plugin._loader` stands in sys.modules as the program's own stub, cli/plugins.py)
    assert "pydantic" in first.stdout.rpartition("\nMODULES ")[2].split()
    assert {"pydantic", "pydantic_core"} & set(second.stdout.rpartition("\nMODULES ")[2].split()) == set()


def test_a_users_own_profile_file_is_evaluated_without_pydantic_once_the_pack_is_kept(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_bytes((ROOT / "cases" / "profiles" / "nanning_incubation_base.yaml").read_bytes())
    probe = "print('\\nMODULES', ' '.join(sorted(sys.modules)))"
    program(["evaluate", "--example", "nanning_incubation_base"], tmp_path)  # (keeps the pack)
    ran = program(["evaluate", str(own)], tmp_path, probe)
    assert ran.returncode == 0, ran.stderr
    out, _, modules = ran.stdout.rpartition("\nMODULES ")
    assert "550,000.00" in out  # 900,000 × 70% = 630,000, capped at 550,000 (document 002, 三(四)18)
    assert {"pydantic", "pydantic_core"} & set(modules.split()) == set()
    # a profile the quick reader leaves to the model gets the model's message, exit 2
    own.write_text(own.read_text(encoding="utf-8") + "not_a_field: 1\n", encoding="utf-8")
    refused = program(["evaluate", str(own)], tmp_path)
    assert refused.returncode == 2 and "not_a_field" in refused.stderr


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The cache switched on, in a folder of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SUBSIDY_CACHE_DIR", str(folder))
    monkeypatch.setattr(packcache, "_enabled", True)
    return folder


def test_a_kept_pack_is_read_back_without_loading_the_files_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = packcache.load()
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: pytest.fail("the pack was loaded again"))
    again = packcache.load()
    assert again is not built
    assert (again.digest, sorted(again.rules), again.files) == (built.digest, sorted(built.rules), built.files)


def test_an_edited_rule_file_is_a_new_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for path in packs.pack_files():
        (rules / path.name).write_bytes(path.read_bytes())
    before = packcache.pack_key(packs.pack_files([rules]))
    one = next(p for p in rules.glob("*.yaml") if p.name != "parameters.yaml")
    one.write_text(one.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    after = packcache.pack_key(packs.pack_files([rules]))
    assert before is not None and after is not None and before != after


def test_a_damaged_or_foreign_cache_file_is_never_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = packcache.load()
    (kept,) = cache.glob("pack-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert packcache.load().digest == built.digest  # loaded from the files, and kept again
    assert kept.read_bytes() != b"not a pickle"
    kept.chmod(0o666)  # anyone may write it: not read
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: "loaded from the files")
    assert packcache.load() == "loaded from the files"


def test_an_empty_cache_folder_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(packcache, "_enabled", True)
    monkeypatch.setenv("SUBSIDY_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: "loaded from the files")
    assert packcache.load() == "loaded from the files"
    assert list(tmp_path.iterdir()) == []


def test_the_cache_keeps_only_the_newest_packs(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.mkdir()
    for number in range(packcache.KEEP + 3):
        old = cache / f"pack-{number:064x}.pickle"
        old.write_bytes(b"")
        os.utime(old, ns=(number * 10**9, number * 10**9))
    packcache.load()
    left = sorted(cache.glob("pack-*.pickle"))
    assert len(left) == packcache.KEEP
    assert cache / f"pack-{0:064x}.pickle" not in left  # the oldest went first


def _start_line() -> None:
    if not START_LINE.exists():
        pytest.skip(f"the start-up line is not installed in this environment ({START_LINE}): make .venv/.installed")


@pytest.mark.parametrize(("name", "interrupted"), [("subsidy", True), ("other", False)])
def test_the_start_line_answers_a_ctrl_c_in_the_program_only(tmp_path: Path, name: str, interrupted: bool) -> None:
    """A Ctrl-C before the entry point runs (here: the script's first statement) is `interrupted`, exit 130, in a
    script named `subsidy`; any other program of the environment keeps Python's own handling."""
    _start_line()
    script = tmp_path / name
    script.write_text(f"#!{sys.executable}\nimport os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\n"
                      "time.sleep(5)\n", encoding="utf-8")
    script.chmod(0o755)
    ran = subprocess.run([str(script)], capture_output=True, text=True, timeout=30)
    if interrupted:
        assert (ran.returncode, ran.stderr) == (130, "interrupted\n")
    else:
        assert ran.returncode == -signal.SIGINT and "KeyboardInterrupt" in ran.stderr


def test_a_subsidy_started_with_ctrl_c_ignored_keeps_it_ignored(tmp_path: Path) -> None:
    """As `nohup` and a shell's background jobs start a program: the start-up line leaves an ignored Ctrl-C ignored,
    as Python does, so the program runs on to its end."""
    _start_line()
    script = tmp_path / "subsidy"
    script.write_text(f"#!{sys.executable}\nimport os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\n"
                      "time.sleep(0.2)\nprint('ran on')\n", encoding="utf-8")
    script.chmod(0o755)
    ran = subprocess.run([str(script)], capture_output=True, text=True, timeout=30,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "ran on\n", "")


def test_a_ctrl_c_early_in_the_start_gives_exit_130_and_no_traceback_from_the_program() -> None:
    """The installed `subsidy` script, interrupted at several moments of its start. Before Python has set up its
    handler the process ends by the signal itself (a shell shows 130); while Python sets up its streams or runs
    `site`, before it reads the start-up line, Python reports it (its own frozen modules only: no frame of this
    program); from the start-up line on, one line and 130."""
    _start_line()
    for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2):
        process = subprocess.Popen([str(SCRIPT), "evaluate", "--example", "nanning_incubation_base"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        if err.startswith("Fatal Python error: init_"):  # (init_sys_streams, init_import_site)
            frames = re.findall(r'File "([^"]+)"', err)
            # (`<string>`: a .pth line that site runs, the start-up line itself before it has set the handler)
            assert frames and all(file.startswith("<frozen ") or file == "<string>" for file in frames), err
            assert process.returncode == 1
        elif process.returncode != 0:  # (0: it had finished)
            assert (process.returncode, err) in ((-signal.SIGINT, ""), (130, "interrupted\n")), (delay, err)


def test_the_cache_costs_a_command_that_loads_no_pack_nothing() -> None:
    """The entry point imports the cache's module for every command (`--help` too): it loads no other module."""
    probe = ("import sys; before = set(sys.modules); import guangxi_subsidy.engine.rules.packcache; "
             "print(sorted(set(sys.modules) - before))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == str(["guangxi_subsidy", "guangxi_subsidy.engine", "guangxi_subsidy.engine.rules",
                                  "guangxi_subsidy.engine.rules.packcache"])


def test_a_batch_writing_a_workbook_imports_no_pydantic_once_the_pack_is_kept(tmp_path: Path) -> None:
    # (a workbook run's memory: pydantic and the profile model cost it about 9 MB; the columns are read by the
    # field table, and the rules as written stay pickled: engine/applicant/fieldtable.py, engine/rules/lazyspec.py)
    source = tmp_path / "applicants.csv"  # (every row valid: a row the compiled reader refuses is read by the model)
    source.write_text("id,kind,city,recognised_incubation_base,rent_and_broadband_paid\n"
                      "B1,incubation_base,nanning,是,900000\nB2,incubation_base,梧州市,否,\n", encoding="utf-8")
    probe = "print('\\nMODULES', ' '.join(sorted(sys.modules)))"
    program(["batch", str(source), "-o", str(tmp_path / "first.xlsx"), "-q"], tmp_path)  # (keeps the pack)
    ran = program(["batch", str(source), "-o", str(tmp_path / "results.xlsx"), "-q"], tmp_path, probe)
    assert ran.returncode == 0, ran.stderr
    modules = set(ran.stdout.rpartition("\nMODULES ")[2].split())
    assert "polars" in modules and (tmp_path / "results.xlsx").stat().st_size > 0
    assert {"pydantic", "pydantic_core", "guangxi_subsidy.engine.applicant.profile",
            "guangxi_subsidy.engine.rules.format"} & modules == set()
