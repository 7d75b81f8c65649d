"""What the `subsidy register` commands share: the --db option, who records, dates, and bad input as exit 2."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .common import EXIT_BAD_INPUT, friendly_errors, report_error

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "The register's database: a file name, or postgresql://user@host/db. Env: SUBSIDY_DB. Default: " \
          "subsidy-register.db in the current folder."


def register_errors(command: F) -> F:
    """A RegisterError, IdentityError or PeriodError is bad input: its message and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from guangxi_subsidy.engine.register.database import RegisterError
        from guangxi_subsidy.engine.register.identity import IdentityError
        from guangxi_subsidy.engine.register.periods import PeriodError

        try:
            return command(*args, **kwargs)
        except (RegisterError, IdentityError, PeriodError) as error:
            report_error(str(error))
            sys.exit(EXIT_BAD_INPUT)

    return friendly_errors(wrapper)  # type: ignore[return-value]


def db_option(command: F) -> F:
    return click.option("--db", "db", envvar="SUBSIDY_DB", help=DB_HELP)(command)


def by_default() -> str:
    """Who records: SUBSIDY_USER, else the login name."""
    try:
        return os.environ.get("SUBSIDY_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


DATE = click.DateTime(formats=["%Y-%m-%d"])
