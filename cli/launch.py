"""The `subsidy` program's entry point: Ctrl-C while the program is still starting (importing its modules,
half a second) ends it with one line and exit 130, as it does once a command runs (`cli.main.interrupted`).

Only the moment before `main` begins is Python's own: loading this module and the two package `__init__`
modules above it, none of which imports anything (a millisecond). A Ctrl-C then gets Python's report.

The start-up also runs without the cycle collector: importing the modules and building the rule pack make
hundreds of thousands of objects that live as long as the process, and the collector walked them some 120 times
(about 30 ms of the 0.3 s `subsidy evaluate` takes). Once the command is chosen (`started`), what exists is
frozen out of the collector's walk and the collector is switched on again for the command's own work.
"""

from __future__ import annotations

_holding = False  # `main` has stopped the collector, and `started` is to switch it on again


def main() -> None:
    import gc

    global _holding
    _holding = gc.isenabled()
    gc.disable()  # until `started`
    try:
        from guangxi_subsidy.cli.main import main as run
    except KeyboardInterrupt:
        import signal
        import sys

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    run()


def started() -> None:
    """The command line is read and its command imported: what start-up built stays for the process, so it is
    frozen out of the collector's walk, and the collector runs again (only if `main` had stopped it: a program
    calling the commands in its own process, as the tests do, keeps its collector as it was)."""
    import gc

    global _holding
    if _holding:
        _holding = False
        gc.freeze()
        gc.enable()
