"""The register's fixtures: every register test runs on SQLite and on PostgreSQL (a throwaway server started
once per session, `pgserver.py`); each test gets a database of its own."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from sqlalchemy import Engine, create_engine, text

from guangxi_subsidy.engine.register import database

_COUNTER = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[tuple[pgserver.Server, Engine]]:
    """The session's server, with a database `register` whose schemas the tests take one each."""
    try:
        server = pgserver.start()
    except pgserver.Unavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    try:
        admin = create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE register"))
        admin.dispose()
        owner = create_engine(server.url("register"), isolation_level="AUTOCOMMIT")
        yield server, owner
        owner.dispose()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema): a SQLite file, or a fresh schema of the PostgreSQL server's
    database (a schema costs nothing to make, a database a copy of its template)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.db'}"
        return
    server, owner = request.getfixturevalue("postgres")
    name = f"test_{next(_COUNTER)}"
    with owner.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield server.url("register") + f"?options=-csearch_path%3D{name}"
    finally:
        with owner.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))


@pytest.fixture
def db(empty_db: str) -> Iterator[str]:
    """The URL of a register created by its migrations."""
    engine = database.connect(empty_db)
    database.upgrade(engine)
    engine.dispose()
    yield empty_db


@pytest.fixture
def register_engine(db: str) -> Iterator[Engine]:
    engine = database.open_register(db)
    yield engine
    engine.dispose()
