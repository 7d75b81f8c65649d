"""Which database the register lives in, and bringing its schema up to date (Alembic, migrations shipped here).

SQLite in one file by default (`subsidy-register.db` in the current folder), so that an incubator needs no
server; `--db URL` or `SUBSIDY_DB` chooses another file or a PostgreSQL server for an office
(`postgresql://user@host/db`, driven by psycopg 3). The schema is only ever changed by the migrations in
`migrations/versions/`, run by `subsidy register init` (which also upgrades an older register in place).
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from guangxi_subsidy.engine.i18n import _

DEFAULT_FILE = "subsidy-register.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class RegisterError(ValueError):
    """A register that cannot be used as asked (not created yet, unknown applicant, bad value): bad input."""


def database_url(db: str | None = None) -> str:
    """The register's SQLAlchemy URL: `db`, else SUBSIDY_DB, else the default SQLite file. A plain path is a
    SQLite file; `postgresql://` is driven by psycopg 3."""
    text = (db or os.environ.get("SUBSIDY_DB") or DEFAULT_FILE).strip()
    if "://" not in text:
        return f"sqlite:///{text}"
    for plain in ("postgresql://", "postgres://"):
        if text.startswith(plain):
            return "postgresql+psycopg://" + text[len(plain):]
    return text


def connect(db: str | None = None) -> Engine:
    """An engine on the register's database (not checked for its schema: see `open_register`)."""
    url = database_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RegisterError(_("--db: '{0}' is not a database URL (a file name, or postgresql://user@host/db)")
                            .format(url)) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: object, _record: object) -> None:
    """SQLite checks foreign keys only when asked to, on every connection."""
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def head() -> str:
    """The newest schema revision this version of the program knows."""
    revision = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The database's schema revision (None: never initialised)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to `revision` (an empty database is created from the first one)."""
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision_of(engine: Engine) -> str | None:
    """`current`, with a server that refuses or a file that is not a database as a RegisterError."""
    try:
        return current(engine)
    except Exception as error:  # noqa: BLE001 - a server that refuses, a file that is not a database
        raise RegisterError(_("the register at {0} cannot be opened: {1}").format(
            engine.url.render_as_string(hide_password=True), str(error).strip().splitlines()[0])) from None


def open_register(db: str | None = None) -> Engine:
    """An engine on a register whose schema is this program's; else a RegisterError saying what to run."""
    engine = connect(db)
    name = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and name and name != ":memory:" and not Path(name).exists():
        raise RegisterError(_("no register at {0}: run `subsidy register init` first").format(name))
    found = revision_of(engine)
    if found is None:
        raise RegisterError(_("no register at {0}: run `subsidy register init` first").format(
            engine.url.render_as_string(hide_password=True)))
    if found != head():
        raise RegisterError(_("the register at {0} is at schema {1}, this program needs {2}: run "
                              "`subsidy register init` to upgrade it").format(
            engine.url.render_as_string(hide_password=True), found, head()))
    return engine
