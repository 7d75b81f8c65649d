"""The library's arguments checked where a program passes them: a wrong one raises ArgumentError, naming the
argument, the value and what was expected, before any work starts.

A program calling `evaluate(None)` or `evaluate_frame(frame, first_row="1")` deserves the same kind of answer a
person gets from the command line (exit 2 naming the option), not a TypeError or a polars error raised from
deep inside the engine: ArgumentError is a ValueError, so `except ValueError` catches it with ProfileError,
HeaderError and the other errors about what was given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


class ArgumentError(ValueError):
    """An argument of a library function that cannot be used: its name, the value, what was expected."""

    def __init__(self, name: str, value: Any, expected: str):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(f"{name}: got {shown}, expected {expected}")
        self.name, self.value, self.expected = name, value, expected


def flag(name: str, value: Any) -> bool:
    """A yes/no argument: True or False only (a string "no" is true to Python, and would be taken as yes)."""
    if not isinstance(value, bool):
        raise ArgumentError(name, value, "True or False")
    return value


def whole(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ArgumentError(name, value, f"a whole number of at least {least}")
    return value


def day(value: Any, name: str = "as_of") -> dt.date | None:
    """A date argument: a date, a datetime (its date) or its ISO text (YYYY-MM-DD); None: not given."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ArgumentError(name, value, "a date (a datetime.date, or text YYYY-MM-DD)")


def paths(name: str, value: Any) -> list[Path]:
    """One path (text or a Path) or a list of them."""
    if isinstance(value, str | Path):
        return [Path(value)]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str | Path) for v in value):
        return [Path(v) for v in value]
    raise ArgumentError(name, value, "a file or folder (text or a Path), or a list of them")
