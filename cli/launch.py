"""The `subsidy` program's entry point: Ctrl-C while the program is still starting (importing its modules,
half a second) ends it with one line and exit 130, as it does once a command runs (`cli.main.interrupted`)."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    try:
        from guangxi_subsidy.cli.main import main as run
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    run()
