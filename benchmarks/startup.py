"""Start-up of the `subsidy` command: one evaluation and `--help`, beside `python -c pass` from the same run.
The evaluation is timed three times: as every run after the first makes it (the built rule pack read back from the
user's cache, engine/rules/packcache.py), with that cache turned off (the pack loaded from its YAML files), and on
the same profile copied to a file of the user's own (which, unlike a bundled example, is parsed at every run).

Each command runs --runs times (default 9), all taking turns so that a busy moment of the machine falls on
all of them alike, from an empty temporary folder (so nothing is found from a checkout by accident), after one run
of each to warm the file cache. Prints each command's median wall time, and its difference from `python -c pass`
(the interpreter's own start-up, which no change to this package can shorten), and the same for CPU seconds
(user and system, from the child's rusage), which a busy machine disturbs less than wall time.

    .venv/bin/python benchmarks/startup.py
    .venv/bin/python benchmarks/startup.py --subsidy /path/to/venv/bin/subsidy   # e.g. an installed wheel
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from children import timed  # (beside this script)

TARGETS = {"evaluate": 0.3, "evaluate, own file": 0.3, "--help": 0.2}  # seconds, wall
EXAMPLE = Path(__file__).resolve().parent.parent / "cases" / "profiles" / "nanning_incubation_base.yaml"
COLD = "(no pack cache)"  # (marks the run made with the built pack's cache turned off: engine/rules/packcache.py)


def run(command: list[str], folder: str) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system, from the child's rusage) of one run."""
    cold = command[-1] == COLD
    done = timed(command[:-1] if cold else command, folder, {"SUBSIDY_CACHE_DIR": ""} if cold else None)
    return done.seconds, done.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--subsidy", type=Path, default=Path(sys.executable).parent / "subsidy",
                        help="the command to time (default: the one beside this Python)")
    args = parser.parse_args()
    python = str(args.subsidy.parent / "python") if (args.subsidy.parent / "python").exists() else sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "evaluate": [str(args.subsidy), "evaluate", "--example", "nanning_incubation_base"],
        "evaluate, no pack cache": [str(args.subsidy), "evaluate", "--example", "nanning_incubation_base", COLD],
        # the same profile as a file of the user's own: parsed by PyYAML at every run (only the package's bundled
        # examples are kept parsed, engine/keptdocs.py)
        "evaluate, own file": [str(args.subsidy), "evaluate", "own_profile.yaml"],
        "--help": [str(args.subsidy), "--help"],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(EXAMPLE, Path(folder) / "own_profile.yaml")
        for command in commands.values():
            run(command, folder)  # warm the file cache and the bytecode
        for _ in range(args.runs):
            for name, command in commands.items():
                seconds, cpu = run(command, folder)
                walls[name].append(seconds)
                cpus[name].append(cpu)

    base, base_cpu = statistics.median(walls["python -c pass"]), statistics.median(cpus["python -c pass"])
    print(f"start-up, {args.runs} runs each, seconds ({args.subsidy}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"{'command':<68} {'wall median':>11} {'min':>6} {'max':>6} {'− python':>9} {'CPU median':>11} "
          f"{'− python':>9}  target (wall)")
    for name, command in commands.items():
        median, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        shown = " ".join(["subsidy", *command[1:]] if name != "python -c pass" else ["python", "-c", "pass"])
        target = TARGETS.get(name)
        verdict = "" if target is None else f"< {target} s {'met' if median < target else 'NOT met'}"
        print(f"{shown:<68} {median:>11.3f} {min(walls[name]):>6.3f} {max(walls[name]):>6.3f} {median - base:>+9.3f} "
              f"{cpu:>11.3f} {cpu - base_cpu:>+9.3f}  {verdict}")


if __name__ == "__main__":
    main()
