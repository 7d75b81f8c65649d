"""Start-up without Python's cycle collector: `cli/launch.py` stops it before the imports, `cli/main.py` starts it
again once the command is chosen.

Importing the modules and building the rule pack make hundreds of thousands of objects that live as long as the
process, and the collector walked them some 120 times (about 30 ms of the 0.3 s `subsidy evaluate` takes). Once
the command is chosen (`started`), what exists is frozen out of the collector's walk and the collector is
switched on again for the command's own work. A module of its own, importing nothing, so that the entry point
and the command group both reach it without importing each other.
"""

from __future__ import annotations

_holding = False  # `hold` has stopped the collector, and `started` is to switch it on again


def hold() -> None:
    """Stop the collector until `started` (only the program's entry point calls this)."""
    import gc

    global _holding
    _holding = gc.isenabled()
    gc.disable()


def started() -> None:
    """The command line is read and its command imported: what start-up built stays for the process, so it is
    frozen out of the collector's walk, and the collector runs again (only if `hold` had stopped it: a program
    calling the commands in its own process, as the tests do, keeps its collector as it was)."""
    import gc

    global _holding
    if _holding:
        _holding = False
        gc.freeze()
        gc.enable()
