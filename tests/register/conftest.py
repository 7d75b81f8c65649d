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
def postgres() -> Iterator[pgserver.Server]:
    try:
        server = pgserver.start()
    except pgserver.Unavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema): a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.db'}"
        return
    server: pgserver.Server = request.getfixturevalue("postgres")
    name = f"register_{next(_COUNTER)}"
    admin = create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


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
