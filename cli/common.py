"""What every command shares: the state (the rule pack and the engine, built when first used), the handling of
errors, and the exit codes.

Exit codes scripts can rely on: 0 success (a run that finds no benefit is still a success), 1 internal error,
2 bad input (a profile, a rule file, a case file or a command line that cannot be used, and an output that cannot
be written: a missing or read-only directory, a full disk, outputs that would overwrite the input or each other),
3 rows were rejected (`subsidy batch --fail-on-rejected` only), 130 interrupted (Ctrl-C) and 143 terminated
(SIGTERM), with one line and no traceback. `subsidy test` and
`subsidy rules check` also exit 1 when a case fails or a check finds a problem in otherwise readable input.
Everything a message quotes from a user or a file is printed as text (`engine/plaintext.py`), never as markup.

The command modules import this module, never `cli/main.py` (which imports each of them when it runs), so the
modules of `cli/` import one another in one direction only (`tests/test_structure.py` holds it).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from guangxi_subsidy.engine.evaluation.evaluate import Engine
    from guangxi_subsidy.engine.rules.pack import RulePack

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REJECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

F = TypeVar("F", bound=Callable[..., Any])


def _(message: str) -> str:
    """A message translated (the catalogue is loaded at the first message: `subsidy --help` reads none)."""
    from guangxi_subsidy.engine.i18n import _ as translated

    return translated(message)


class _Stderr:
    """rich's console on stderr, made at the first message: `subsidy --help` does not import rich."""

    _console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        self._console.print(*objects, **options)


err = _Stderr()


def _bad_input(error: Exception) -> bool:
    from guangxi_subsidy.engine.applicant.reading import ProfileError
    from guangxi_subsidy.engine.evaluation.award import AmountError
    from guangxi_subsidy.engine.rules.pack import RulePackError
    from guangxi_subsidy.engine.verify.cases import CaseFileError

    return isinstance(error, ProfileError | RulePackError | CaseFileError | AmountError)


def friendly_errors(command: F) -> F:
    """Bad input becomes a clear message and exit 2; anything else an internal error and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            interrupted()
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as error:  # the promise of exit code 1, with the traceback only on request
            if _bad_input(error):
                report_error(str(error))
                sys.exit(EXIT_BAD_INPUT)
            if os.environ.get("SUBSIDY_DEBUG"):
                raise
            internal_error(error)

    return wrapper  # type: ignore[return-value]


def report_error(message: str, label: str | None = None) -> None:
    """`error: MESSAGE` on stderr, the message printed as text whatever it holds."""
    from rich.text import Text

    from guangxi_subsidy.engine.plaintext import text

    _say(Text.assemble((label or _("error:"), "bold red"), " ", text(message, lines=True)))


def internal_error(error: BaseException) -> NoReturn:
    """Exit 1 with the error in one line; this cannot fail on what the error's text holds."""
    try:
        described = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - an exception whose text cannot be made is still reported
        described = type(error).__name__
    from rich.text import Text

    from guangxi_subsidy.engine.plaintext import text

    _say(Text.assemble((_("internal error:"), "bold red"), " ", text(described, lines=True)))
    _say(Text(_("Set SUBSIDY_DEBUG=1 for the traceback."), style="dim"))
    sys.exit(EXIT_INTERNAL)


def interrupted() -> NoReturn:
    """Ctrl-C: one line and exit 130, at any moment of a command (a second Ctrl-C while leaving is ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from rich.text import Text

    _say(Text(_("interrupted"), style="yellow"))
    sys.exit(EXIT_INTERRUPTED)


def _say(message: Text) -> None:
    """A line on stderr through rich, or written plainly if rich cannot print it (an odd encoding)."""
    try:
        err.print(message, highlight=False, soft_wrap=True)  # (one message, one line: never wrapped at a width)
    except Exception:  # noqa: BLE001 - the last resort of the error handlers
        from guangxi_subsidy.engine.plaintext import visible

        sys.stderr.buffer.write(visible(message.plain, lines=True).encode("utf-8", "backslashreplace") + b"\n")
        sys.stderr.flush()


class BadInput(click.ClickException):
    """Bad input found by a command itself (not by click's parsing): exit 2 with the message."""

    exit_code = EXIT_BAD_INPUT


class State:
    def __init__(self, rules: tuple[Path, ...]):
        self.rules = rules
        self._pack: RulePack | None = None
        self._engine: Engine | None = None

    @property
    def pack(self) -> RulePack:
        if self._pack is None:
            from guangxi_subsidy.engine.rules import packcache

            self._pack = packcache.load(list(self.rules) or None)
        return self._pack

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from guangxi_subsidy.engine.evaluation.evaluate import Engine

            self._engine = Engine(self.pack)
        return self._engine
