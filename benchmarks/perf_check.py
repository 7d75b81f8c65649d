"""The speed guard: instructions per row of a fixed 20,000-row batch, counted by valgrind's callgrind, checked
against the ceiling committed beside this script (`benchmarks/instructions_ceiling.txt`).

Seconds on a shared machine vary by a tenth or more from run to run; an instruction count varies by one or two
percent (runs at load 6 to 8 came within 1.6% of each other), so a change that costs the batch a tenth fails here
whoever else uses the machine. A child process runs `subsidy batch` twice in its own interpreter (the CLI's code,
the compiled reader on from the first byte, as it is on any file of 8 MB or more; the built rule pack kept between
runs, `engine/rules/packcache.py`, in a folder of its own, as the `subsidy` program keeps it): once on the file's
first 2,000 rows to warm up (imports, the rule pack built and kept, the first calls' plans), then on the whole
20,000-row file, and callgrind instruments only the second run (started with instrumentation off, switched on by
`callgrind_control` while the child waits for the word to start it, and off once it says it is done), all threads
counted, one polars thread (fewer idle threads spinning). The file is generated once by benchmarks/applicants.py
(seed 7).

    make perf-check                                   # check against the ceiling (about a minute)
    .venv/bin/python benchmarks/perf_check.py --write  # after a speed-up: set the ceiling to the figure + 5%

Lowering the ceiling is part of every speed-up; raising it needs a reason in the commit that does it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CEILING = HERE / "instructions_ceiling.txt"
ROWS, WARM, SEED = 20_000, 2_000, 7
MARGIN = 1.05  # the ceiling written by --write: the figure measured plus 5% (runs 1.6% apart seen)

DRIVER = """
import os
import sys
import guangxi_subsidy.engine.intake.csvsource as csvsource
from guangxi_subsidy.cli import allocator  # noqa: F401 - as the command has it, before polars
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.rules import packcache

csvsource.COMPILED_FROM = 0  # the compiled reader from the first byte, as on any file of 8 MB or more


def batch(source, target):
    try:
        cli.main(["batch", source, "-o", target, "-q"], prog_name="subsidy", standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise


warm, fixed, folder = sys.argv[1:4]
os.environ["SUBSIDY_CACHE_DIR"] = folder + "/cache"  # the built pack kept between runs, as the program has it
packcache.enable()  # (cli/launch.py): the warm run builds and keeps it, the counted run reads it back
batch(warm, folder + "/warm.csv")
print("ready", flush=True)
sys.stdin.readline()
batch(fixed, folder + "/fixed.csv")
print("done", flush=True)
sys.stdin.readline()
"""


def fixed_file(folder: Path, rows: int = ROWS) -> tuple[Path, Path]:
    """The fixed applicant file of `rows` (generated once under build/) and its first WARM rows."""
    source = HERE.parent / "build" / "perf-check" / f"applicants_{rows}_{SEED}.csv"
    if not source.exists():
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import applicants, "
                        "pathlib; applicants.write(int(sys.argv[2]), int(sys.argv[3]), pathlib.Path(sys.argv[4]))",
                        str(HERE), str(rows), str(SEED), str(source)], check=True)
    warm = folder / "warm_input.csv"
    with source.open("rb") as read, warm.open("wb") as write:
        for _ in range(WARM + 1):
            write.write(read.readline())
    return source, warm


def _control(pid: int, switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(pid)], check=True, capture_output=True, timeout=600)


def count(keep: Path | None = None, rows: int = ROWS) -> int:
    """Instructions of the batch of `rows` (all threads), after a warm-up the count leaves out."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (`make perf-check` installs it as root on Debian)")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source, warm = fixed_file(folder, rows)
        environ = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | {"POLARS_MAX_THREADS": "1"}
        report = folder / "callgrind.out"
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={report}",
             sys.executable, "-c", DRIVER, str(warm), str(source), str(folder)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ)
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        try:
            for expected, switch in (("ready", "on"), ("done", "off")):
                line = child.stdout.readline().strip()
                if line != expected:
                    raise SystemExit(f"the batch under callgrind failed:\n{child.stderr.read()[-3000:]}")
                _control(child.pid, switch)  # (the child waits on its input meanwhile: vgdb reaches it there)
                child.stdin.write("\n")
                child.stdin.flush()
            errors = child.communicate(timeout=600)[1]
        finally:
            if child.poll() is None:
                child.kill()
        if keep is not None:  # for callgrind_annotate
            shutil.copy(report, keep)
        found = re.search(r"Collected : (\d+)", errors)
        if child.returncode != 0 or found is None:
            raise SystemExit(f"the batch under callgrind failed:\n{errors[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the figure measured + 5%% as the ceiling")
    parser.add_argument("--keep", type=Path, help="keep callgrind's report there (for callgrind_annotate)")
    args = parser.parse_args()
    total = count(args.keep)
    per_row = total / ROWS
    print(f"instructions per row, {ROWS:,}-row batch (callgrind, warm, all threads, one polars thread): "
          f"{per_row:,.0f} ({total:,} in all)")
    if args.write:
        CEILING.write_text(f"{round(per_row * MARGIN)}\n", encoding="utf-8")
        print(f"ceiling written: {round(per_row * MARGIN):,} ({CEILING.name})")
        return
    ceiling = int(CEILING.read_text(encoding="utf-8").split()[0])
    verdict = "within" if per_row <= ceiling else "OVER"
    print(f"ceiling {ceiling:,} ({CEILING.name}): {verdict} ({per_row / ceiling:.1%} of it)")
    if per_row > ceiling:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
