"""`subsidy users`: accounts added, disabled and given a new role from the command line; bad input (a scope the
role does not understand, a short password, an unknown account) exits 2 naming it; the retention purges."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.accounts import accesslog
from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.accounts.tables import AccessEntry
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.web.app import create_app

from .conftest import login

PASSWORD = "a long enough secret"


def run(*args: str, code: int = 0, password: str | None = PASSWORD) -> Result:
    env = {"COLUMNS": "200"} | ({"SUBSIDY_NEW_PASSWORD": password} if password else {})
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result


def test_users_add_disable_and_role(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'office.db'}"
    run("register", "init", "--db", db)
    assert "已添加账号 wz01" in run("users", "add", "wz01", "--role", "officer", "--scope", "wuzhou", "--db",
                                   db).output
    app = create_app(office_db=db)
    client = login(app, "wz01", PASSWORD)
    assert client.get("/office/files").status_code == 200
    run("users", "role", "wz01", "--role", "auditor", "--scope", "region", "--db", db)
    # a new role ends the sessions of the old one
    assert client.get("/office/files", follow_redirects=False).status_code == 303
    auditor = login(app, "wz01", PASSWORD)
    assert auditor.get("/office/files").status_code == 403
    assert auditor.get("/office/log").status_code == 200
    run("users", "disable", "wz01", "--db", db)
    assert auditor.get("/office/log", follow_redirects=False).status_code == 303


def test_bad_input_exits_2_naming_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'office.db'}"
    run("register", "init", "--db", db)
    wrong_scope = run("users", "add", "x", "--role", "officer", "--scope", "shenzhen", "--db", db, code=2)
    assert "shenzhen" in wrong_scope.output
    bad_code = run("users", "add", "y", "--role", "enterprise", "--scope", "91450100000000001X", "--db", db, code=2)
    assert "91450100000000001X" in bad_code.output
    short = run("users", "add", "z", "--role", "auditor", "--scope", "region", "--db", db, code=2, password="short")
    assert "12" in short.output
    assert "nobody" in run("users", "disable", "nobody", "--db", db, code=2).output


def test_retention_purges_older_entries(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'office.db'}"
    run("register", "init", "--db", db)
    engine = database.open_register(db)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    who = Principal("a", "officer", "region")
    with Session(engine) as session, session.begin():
        accesslog.record(session, who, "X", "read", ["employees"], "GET /x", now - dt.timedelta(days=40))
        accesslog.record(session, who, "X", "read", ["employees"], "GET /x", now - dt.timedelta(days=5))
    # 30 days kept: the entry of 40 days ago goes, the one of 5 days ago stays
    assert "1 条" in run("users", "retention", "30", "--db", db).output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AccessEntry)) == 1
    engine.dispose()


def test_an_enterprise_confirms_a_waiver_item_from_its_inbox(tmp_path: Path) -> None:
    from .conftest import build_world

    world = build_world(tmp_path)
    engine = database.open_register(world.db)
    from guangxi_subsidy.engine.accounts import users

    with Session(engine) as session, session.begin():
        users.add(session, "other-firm", PASSWORD, "enterprise", world.nanning_other, dt.datetime(2026, 3, 2))
    engine.dispose()
    client: TestClient = login(create_app(office_db=world.db), "other-firm", PASSWORD)
    inbox = client.get(f"/office/files/{world.nanning_other}/inbox")
    # the case's 5,000,000 fen are 50,000.00 yuan
    assert inbox.status_code == 200 and "确认领取" in inbox.text and "50000.00 元" in inbox.text
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', inbox.text)
    assert token is not None
    answer = client.post(f"/office/files/{world.nanning_other}/waivers",
                         data={"answer": "confirm", "rule_id": "rule.x", "csrf": token.group(1)})
    assert answer.status_code == 200 and "确认领取" not in answer.text
    officer = login(create_app(office_db=world.db), "nanning-officer")
    assert "有 2 个已确认案件" in officer.get("/office/lists").text  # the firm's and the one confirmed before
