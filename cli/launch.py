"""The `subsidy` program's entry point: Ctrl-C while the program is still starting (importing its modules,
a third of a second) ends it with one line and exit 130, as it does once a command runs (`cli.common.interrupted`).

Before `main` begins, an installed wheel's start-up line (`00-guangxi-subsidy-start.pth`, written by setup.py)
does the same from the moment Python's `site` reads it: the script's own imports and the two package `__init__`
modules above this one (none of which imports anything) are covered too. `main` hands Ctrl-C back to Python's
own handler (a KeyboardInterrupt, caught here and by the commands) as its first step. What is left to Python is
the interpreter's own start before `site` reaches that line; a checkout installed in editable mode has no such
line, so its window also holds the script and the editable finder (README, "Start-up").

The start-up also runs without the cycle collector (`cli/collector.py`): stopped here, before the imports; and
with the built rule pack kept between runs (`engine/rules/packcache.py`): switched on here, for the program only;
and without pydantic's search for plugins (`cli/plugins.py`), unless the user has set PYDANTIC_DISABLE_PLUGINS.
"""

from __future__ import annotations

TYPE_CHECKING = False  # (spelt out: `typing` is not imported at start-up, as in the package's __init__)
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> None:
    try:
        import _signal

        if _signal.getsignal(_signal.SIGINT) is not _signal.SIG_IGN:  # (ignored by who started it: stays so)
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)  # (from the start-up line's, if any)
        from guangxi_subsidy.cli import collector

        collector.hold()  # until the command is chosen
        from guangxi_subsidy.cli import plugins

        plugins.disable()  # (pydantic's plugin search: unless the user has set PYDANTIC_DISABLE_PLUGINS)
        from guangxi_subsidy.engine.rules import packcache

        packcache.enable()
        from guangxi_subsidy.cli.main import main as run
    except KeyboardInterrupt:
        _interrupted()
    try:
        run()
    except KeyboardInterrupt:  # (after the commands' own handling: while the language or the help was being set)
        _interrupted()


def _interrupted() -> NoReturn:
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr.write("interrupted\n")
    sys.exit(130)
