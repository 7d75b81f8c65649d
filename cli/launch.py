"""The `subsidy` program's entry point: Ctrl-C while the program is still starting (importing its modules,
half a second) ends it with one line and exit 130, as it does once a command runs (`cli.common.interrupted`).

Only the moment before `main` begins is Python's own: loading this module and the two package `__init__`
modules above it, none of which imports anything (a millisecond). A Ctrl-C then gets Python's report.

The start-up also runs without the cycle collector (`cli/collector.py`): stopped here, before the imports.
"""

from __future__ import annotations


def main() -> None:
    from guangxi_subsidy.cli import collector

    collector.hold()  # until the command is chosen
    try:
        from guangxi_subsidy.cli.main import main as run
    except KeyboardInterrupt:
        import signal
        import sys

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    run()
