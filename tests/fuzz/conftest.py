"""The fuzz suite's fixture: the CLI run in this process, with the bundled pack loaded once."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from click.testing import CliRunner, Result

from guangxi_subsidy.cli import main as cli_main
from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack


@functools.cache
def _bundled() -> RulePack:
    return load_pack()


def _load(paths: Any = None, *args: Any, **kwargs: Any) -> RulePack:
    return _bundled() if not paths and not args and not kwargs else load_pack(paths, *args, **kwargs)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`run(*args)`: the CLI in this process (the bundled pack loaded once for the whole session)."""
    monkeypatch.setattr(packs, "load_pack", _load)  # (the CLI imports it when it first needs the pack)
    monkeypatch.setenv("SUBSIDY_LANG", "en")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_main.cli, list(args), catch_exceptions=True)

    return invoke
