"""The office's fixtures: a register (SQLite, built by its migrations) holding firms in Nanning and Wuzhou, an
incubation base in Nanning with one firm linked to it, a confirmed 免申即享 case in each city, and an account of
every role in Nanning and in Wuzhou; the web application on it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import users
from guangxi_subsidy.engine.matching.office_tables import WaiverCase
from guangxi_subsidy.engine.matching.tables import Decision, MatchRun, MatchSnapshot
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.identity import check_character
from guangxi_subsidy.engine.register.tables import Applicant, Fact
from guangxi_subsidy.engine.web.app import create_app

PASSWORD = "correct horse battery"
WHEN = dt.datetime(2026, 3, 2, 9, 0)
SCRIPT = '<script>alert("x")</script>'


def code(first16: str, last: int) -> str:
    first17 = first16 + str(last)
    return first17 + check_character(first17)


@dataclass(frozen=True)
class World:
    db: str
    nanning_firm: str  # an enterprise in Nanning
    nanning_other: str  # another enterprise in Nanning, incubated in the base
    nanning_base: str  # an incubation base in Nanning
    wuzhou_firm: str  # an enterprise in Wuzhou
    cases: dict[str, int]  # city → its confirmed waiver case


def _applicant(session: Session, ref: str, kind: str, city: str, base_pk: int | None = None) -> Applicant:
    row = Applicant(ref=ref, holder="organisation", kind=kind, city=city, base_pk=base_pk, created_at=WHEN)
    session.add(row)
    session.flush()
    return row


def _fact(session: Session, applicant: Applicant, field: str, value: str, source_kind: str = "department") -> None:
    session.add(Fact(applicant_pk=applicant.pk, field=field, value=value, period_start=None, period_end=None,
                     version=1, reason=None, recorded_at=WHEN, recorded_by="import", source_kind=source_kind,
                     source="市场监管", source_file="firms.csv", source_row=2))


def _case(session: Session, run: MatchRun, applicant: Applicant, status: str) -> int:
    snapshot = MatchSnapshot(run_pk=run.pk, applicant_pk=applicant.pk, facts="{}", awards="[]")
    session.add(snapshot)
    session.flush()
    # (a decision names its snapshot where the schema has that column; else the run's snapshot is its own)
    linked = {"snapshot_pk": snapshot.pk} if hasattr(Decision, "snapshot_pk") else {}
    decision = Decision(run_pk=run.pk, **linked, applicant_pk=applicant.pk, rule_id="rule.x",
                        status="eligible", amount_kind="exact", amount_fen=5_000_000, missing=None,
                        as_of=WHEN.date(), rules_digest="d" * 64, engine_version="t", current=True)
    session.add(decision)
    session.flush()
    case = WaiverCase(applicant_pk=applicant.pk, rule_id="rule.x", decision_pk=decision.pk, amount_fen=5_000_000,
                      department="科技局", year=2026, status=status, listed_at=WHEN)
    session.add(case)
    session.flush()
    return case.pk


def build_world(folder: Path) -> World:
    db = f"sqlite:///{folder / 'office.db'}"
    engine = database.connect(db)
    database.upgrade(engine)
    firm, other, base = code("9145010000000000", 1), code("9145010000000000", 2), code("9145010000000000", 3)
    wuzhou = code("9145040000000000", 4)
    with Session(engine) as session, session.begin():
        nanning_base = _applicant(session, base, "incubation_base", "nanning")
        a = _applicant(session, firm, "enterprise", "nanning")
        b = _applicant(session, other, "enterprise", "nanning", nanning_base.pk)
        w = _applicant(session, wuzhou, "enterprise", "wuzhou")
        for row in (a, b, w, nanning_base):
            _fact(session, row, "new_hires_over_last_year", "12")
        _fact(session, a, "name", SCRIPT, "declaration")
        run = MatchRun(started_at=WHEN, as_of=WHEN.date(), rules_digest="d" * 64, rule_prints=json.dumps({}),
                       engine_version="t", mode="full", last_fact=0, last_personal_fact=0, last_award=0,
                       last_applicant=0, evaluated=4, pushed=0, reasons="{}")
        session.add(run)
        session.flush()
        cases = {"nanning": _case(session, run, a, "confirmed"), "wuzhou": _case(session, run, w, "confirmed")}
        _case(session, run, b, "listed")
        scopes = {"nanning": {"enterprise": firm, "incubator": base}, "wuzhou": {"enterprise": wuzhou, "incubator": ""}}
        for city in ("nanning", "wuzhou"):
            for role in ("officer", "reviewer", "auditor", "administrator", "enterprise", "incubator"):
                scope = scopes[city].get(role, city)
                if role == "incubator" and not scope:
                    continue
                users.add(session, f"{city}-{role}", PASSWORD, role, scope, WHEN)
        users.add(session, "nanning-officer2", PASSWORD, "officer", "nanning", WHEN)
    engine.dispose()
    return World(db, firm, other, base, wuzhou, cases)


@pytest.fixture(scope="session", autouse=True)
def cheap_hashes() -> Iterator[None]:
    """argon2id with the smallest cost in these tests (the same code path, a fraction of the time); the
    production parameters are argon2-cffi's defaults."""
    from argon2 import PasswordHasher

    from guangxi_subsidy.engine.accounts import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", cheap)
        patch.setattr(passwords, "_DUMMY", cheap.hash("no such account"))
        yield


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="module")
def app(world: World) -> object:
    return create_app(office_db=world.db)


def login(app: object, name: str, password: str = PASSWORD) -> TestClient:
    """A client signed in as `name` (the login form's CSRF cookie and token used as a browser would)."""
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/office/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/office/login", data={"name": name, "password": password, "csrf": token.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/office").text)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def clients(app: object, world: World) -> Iterator[dict[str, TestClient]]:
    """A signed-in client per account."""
    names = [f"{c}-{r}" for c in ("nanning", "wuzhou") for r in
             ("officer", "reviewer", "auditor", "administrator", "enterprise", "incubator")
             if not (c == "wuzhou" and r == "incubator")]
    yield {name: login(app, name) for name in names}
