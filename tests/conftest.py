"""Shared fixtures: the bundled pack compiled into durable_rules once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules import packcache
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

ROOT = Path(__file__).resolve().parent.parent

# Tests that read English messages read them in English whatever the machine's locale; tests of the Chinese
# interface ask for it (`--lang zh`, or SUBSIDY_LANG=zh in a child's environment).
os.environ["SUBSIDY_LANG"] = "en"
# The built pack kept between commands (engine/rules/packcache.py, tested in folders of its own by
# tests/test_startup.py), in a folder of this run's own, never the user's cache: each command run in this process
# or started by a test reads the pack back (about 12 ms) instead of parsing and checking the rule files again (about
# 130 ms, hundreds of times a run). The pack read back is a copy of its own, so no test sees another's changes; a
# refused pack is never kept, so every refusal is still found by loading the files.
os.environ["SUBSIDY_CACHE_DIR"] = tempfile.mkdtemp(prefix="subsidy-test-packs-")
atexit.register(shutil.rmtree, os.environ["SUBSIDY_CACHE_DIR"], ignore_errors=True)
packcache.enable()
# The programs the tests interrupt get Ctrl-C as a terminal gives it, whoever started the suite: a suite run in the
# background (`make test &`, a CI runner) inherits it ignored, and a program keeps an ignored Ctrl-C ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)

# CI: bounded, derandomised, no deadline. Set HYPOTHESIS_PROFILE=thorough for a long local run.
settings.register_profile(
    "ci", max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The second run of the suite, on another Python (make unit313): the same tests on fewer examples.
settings.register_profile(
    "quick", max_examples=15, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def pack() -> RulePack:
    return load_pack()


@pytest.fixture(scope="session")
def engine(pack: RulePack) -> Engine:
    return Engine(pack)


@pytest.fixture(scope="session")
def default_server() -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """A `subsidy serve` with the default settings (tests/webserver.py), started once for the modules that only send
    it requests (a start is a new interpreter loading the whole program)."""
    from webserver import served

    with served() as running:
        yield running
