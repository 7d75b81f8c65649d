"""The coverage-guided targets (targets.py) on their committed corpus, in every run; and, where atheris is
installed, a short coverage-guided run of each (longer with SUBSIDY_FUZZ_SECONDS)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import targets

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize("name", sorted(targets.TARGETS))
def test_every_input_of_the_committed_corpus_keeps_the_targets_promises(name: str) -> None:
    inputs = sorted((CORPUS / name).iterdir())
    assert len(inputs) >= 5
    for path in inputs:
        targets.TARGETS[name](path.read_bytes())


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
@pytest.mark.parametrize("name", sorted(targets.TARGETS))
def test_a_coverage_guided_run_finds_nothing(name: str, tmp_path: Path) -> None:
    seconds = int(float(os.environ.get("SUBSIDY_FUZZ_SECONDS", "0") or 0))
    limit = [f"-max_total_time={seconds}"] if seconds else ["-runs=400"]
    work = tmp_path / "corpus"
    work.mkdir()
    for path in (CORPUS / name).iterdir():
        (work / path.name).write_bytes(path.read_bytes())
    done = subprocess.run([sys.executable, str(Path(targets.__file__)), name, str(work), *limit, "-timeout=20",
                           "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/"],
                          capture_output=True, text=True, timeout=max(seconds, 60) * 3)
    assert done.returncode == 0, done.stderr[-3000:]
