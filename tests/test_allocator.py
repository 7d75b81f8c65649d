"""The batch command's allocator options survive a parent that imported polars, and yield to explicit ones."""

from __future__ import annotations

import os
import subprocess
import sys

from guangxi_subsidy.cli.allocator import OURS, VARIABLE, configure


def test_polars_defaults_handed_down_by_a_parent_are_replaced_by_ours() -> None:
    environ = {VARIABLE: "dirty_decay_ms:500,muzzy_decay_ms:1000"}  # what `import polars` leaves in a parent
    assert configure(environ) == ",".join(OURS)


def test_an_explicit_option_is_kept_after_ours_so_that_it_wins() -> None:
    environ = {VARIABLE: "dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:4"}
    assert configure(environ).split(",") == [*OURS, "narenas:4"]
    assert configure({}) == ",".join(OURS)


def test_a_child_of_a_program_that_imported_polars_gets_our_options() -> None:
    import polars  # noqa: F401 - sets the variable in this process, as any program using polars does

    code = f"import guangxi_subsidy.cli.allocator, os; print(os.environ[{VARIABLE!r}])"
    shown = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown.split(",")[: len(OURS)] == list(OURS)
    assert "dirty_decay_ms:500" not in shown


def test_a_batch_run_has_large_blocks_mapped_on_their_own_on_the_c_library_here() -> None:
    from guangxi_subsidy.cli.allocator import large_blocks_returned

    assert large_blocks_returned()  # (glibc, as on the machines this is built and tested on: mallopt took it)
