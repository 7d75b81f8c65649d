"""The register's schema: created by its migrations from an empty database, and upgraded from the previous
version keeping what it holds; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text

from guangxi_subsidy.engine.register import database


def test_init_creates_every_table_from_an_empty_database(empty_db: str) -> None:
    engine = database.connect(empty_db)
    assert database.current(engine) is None
    database.upgrade(engine)
    assert database.current(engine) == database.head()
    assert {"applicants", "facts", "personal_facts", "awards", "imports"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_an_older_register_is_upgraded_keeping_its_applicants_and_facts(empty_db: str) -> None:
    engine = database.connect(empty_db)
    database.upgrade(engine, "0001")
    assert "awards" not in inspect(engine).get_table_names()
    now = dt.datetime(2018, 1, 5, 9, 0)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO applicants (ref, holder, kind, city, created_at) VALUES "
                                "('91440300708461136T', 'organisation', 'incubation_base', 'nanning', :now)"),
                           {"now": now})
        connection.execute(text(
            "INSERT INTO facts (applicant_pk, field, value, version, recorded_at, recorded_by, source_kind, source) "
            "SELECT pk, 'rent_and_broadband_paid', '900000', 1, :now, 'officer', 'department', '税务' "
            "FROM applicants"), {"now": now})
    database.upgrade(engine)
    assert database.current(engine) == database.head()
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT a.ref, f.value FROM facts f JOIN applicants a ON a.pk = f.applicant_pk"))
        assert kept.all() == [("91440300708461136T", "900000")]
        assert connection.execute(text("SELECT count(*) FROM awards")).scalar_one() == 0
    engine.dispose()


def test_a_register_not_created_is_refused_saying_what_to_run(empty_db: str) -> None:
    with pytest.raises(database.RegisterError, match="subsidy register init"):
        database.open_register(empty_db)


def test_a_register_at_an_older_schema_is_refused_until_upgraded(empty_db: str) -> None:
    engine = database.connect(empty_db)
    database.upgrade(engine, "0001")
    engine.dispose()
    with pytest.raises(database.RegisterError, match="0001"):
        database.open_register(empty_db)


def test_the_database_is_chosen_by_option_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUBSIDY_DB", raising=False)
    assert database.database_url(None) == "sqlite:///subsidy-register.db"
    monkeypatch.setenv("SUBSIDY_DB", "postgresql://office@db.example/register")
    assert database.database_url(None) == "postgresql+psycopg://office@db.example/register"
    assert database.database_url("mine.db") == "sqlite:///mine.db"
