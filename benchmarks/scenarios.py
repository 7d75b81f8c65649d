"""The cost of scenarios: a reform batch against a plain batch, and near misses against an evaluation.

* Reform batch: `subsidy batch FILE -o R --reform cases/reforms/rent_cap_60wan.yaml` (both sides decided by the
  columnar plan, both results files, the difference per applicant and the summary) against `subsidy batch FILE
  -o R` on the same file, each in a child process, alternately, --repeat times; the applicant list is generated in
  a child process too (benchmarks/applicants.py, kept under benchmarks/data/). Target: at most 2.2 times.
* Near misses: for generated profiles (each drawn to meet one rule of the pack but for one changeable field,
  drawn near its thresholds, so that near misses are common) and the bundled ones, the time of `Engine.evaluate`
  and, beyond it, of `near_misses`. Target: under 50 ms a profile.

    .venv/bin/python benchmarks/scenarios.py                 # 1,000,000 applicants
    .venv/bin/python benchmarks/scenarios.py --rows 200000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from children import timed  # (beside this script)

ROOT = Path(__file__).resolve().parent.parent
REFORM = ROOT / "cases" / "reforms" / "rent_cap_60wan.yaml"
SUBSIDY = [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()"]
TARGET_RATIO, TARGET_MS = 2.2, 50.0


def measure(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of a child process."""
    done = timed(command)
    return done.seconds, done.peak_mb


def generated(rows: int, seed: int) -> Path:
    """The applicant list, written by a child process (its memory is not this process's)."""
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "applicants.py"), "--rows", str(rows),
                           "--seed", str(seed)], check=True, capture_output=True, text=True)
    return Path(done.stdout.strip().splitlines()[-1])


def batches(source: Path, repeat: int) -> list[tuple[float, float, float, float]]:
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            plain, plain_mb = measure([*SUBSIDY, "batch", str(source), "-o", f"{folder}/plain.csv", "-q"])
            reform, reform_mb = measure([*SUBSIDY, "batch", str(source), "-o", f"{folder}/reform.csv", "-q",
                                         "--reform", str(REFORM), "--summary", f"{folder}/summary.json"])
            out.append((plain, reform, plain_mb, reform_mb))
    return out


def near_miss_times(examples: int) -> tuple[list[float], list[float], int]:
    """Milliseconds of evaluation and of near misses beyond it, per profile; and how many near misses were found."""
    from hypothesis import HealthCheck, given, settings

    from guangxi_subsidy.engine.applicant.reading import load_profile, parse_profile
    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.evaluation.nearmiss import near_misses
    from guangxi_subsidy.engine.rules.pack import load_pack
    from guangxi_subsidy.engine.verify.scenarios import near_thresholds

    pack = load_pack()
    engine = Engine(pack)
    profiles = [load_profile(p) for p in sorted((ROOT / "cases" / "profiles").glob("*.yaml"))]

    @settings(max_examples=examples, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(near_thresholds(pack))
    def gather(data: dict[str, object]) -> None:
        profiles.append(parse_profile(data))

    gather()
    evaluating, beyond, found = [], [], 0
    near_misses(engine.evaluate(profiles[0]), pack)  # (the schema's bounds, read once)
    for profile in profiles:
        started = time.perf_counter()
        evaluation = engine.evaluate(profile)
        middle = time.perf_counter()
        found += len(near_misses(evaluation, pack))
        ended = time.perf_counter()
        evaluating.append((middle - started) * 1000)
        beyond.append((ended - middle) * 1000)
    return evaluating, beyond, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="plain and reform runs, alternately")
    parser.add_argument("--profiles", type=int, default=300, help="generated profiles for near misses")
    args = parser.parse_args()

    print(f"generating {args.rows:,} applicants …", file=sys.stderr)
    source = generated(args.rows, args.seed)
    runs = batches(source, args.repeat)
    evaluating, beyond, found = near_miss_times(args.profiles)

    print(f"\nreform batch against a plain batch, {args.rows:,} applicants, {os.cpu_count()} CPUs "
          f"(reform: {REFORM.relative_to(ROOT)})")
    print(f"{'run':>4} {'plain s':>9} {'reform s':>9} {'reform/plain':>13} {'plain MB':>9} {'reform MB':>10}")
    for i, (plain, reform, plain_mb, reform_mb) in enumerate(runs, 1):
        print(f"{i:>4} {plain:>9.2f} {reform:>9.2f} {reform / plain:>13.2f} {plain_mb:>9,.0f} {reform_mb:>10,.0f}")
    worst = max(reform / plain for plain, reform, *_ in runs)
    print(f"near misses, {len(beyond)} profiles ({found} near misses found): evaluation median "
          f"{statistics.median(evaluating):.2f} ms; near misses beyond it: median {statistics.median(beyond):.2f} ms, "
          f"max {max(beyond):.2f} ms")
    print(f"targets: reform batch ≤ {TARGET_RATIO}× a plain batch {'met' if worst <= TARGET_RATIO else 'NOT met'} "
          f"(worst {worst:.2f}×); near misses < {TARGET_MS:.0f} ms beyond the evaluation "
          f"{'met' if max(beyond) < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
