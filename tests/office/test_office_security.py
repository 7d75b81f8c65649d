"""The office's security properties, each pinned by a request a hostile user could send: another firm's file by
URL or API (403), another city's file (403), approving one's own list (403), a form without its CSRF token (403),
a session id planted before login (replaced), a changed id in a body (403), repeated wrong passwords (throttled,
then locked), and a script in a file's value (escaped)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.accounts import accesslog, users
from guangxi_subsidy.engine.accounts.passwords import LOCK_AFTER
from guangxi_subsidy.engine.accounts.policy import Principal
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.web.app import create_app
from guangxi_subsidy.engine.web.office_common import SESSION_COOKIE

from .conftest import PASSWORD, SCRIPT, WHEN, World, build_world, csrf_of, login


def test_an_enterprise_cannot_read_another_enterprises_file_by_url(clients: dict[str, TestClient],
                                                                   world: World) -> None:
    firm = clients["nanning-enterprise"]
    assert firm.get(f"/office/files/{world.nanning_firm}").status_code == 200
    assert firm.get(f"/office/files/{world.nanning_other}").status_code == 403
    assert firm.get(f"/office/files/{world.nanning_other}/benefits").status_code == 403
    # an id that exists nowhere answers the same 403: probing ids tells nothing
    assert firm.get("/office/files/91450100000000009X").status_code == 403


def test_an_enterprise_token_cannot_read_another_enterprises_file_by_api(app: object, world: World) -> None:
    engine = database.open_register(world.db)
    with Session(engine) as session, session.begin():
        token = users.issue_token(session, "firm-system", "enterprise", world.nanning_firm, WHEN)
    engine.dispose()
    client = TestClient(app)  # type: ignore[arg-type]
    headers = {"authorization": f"Bearer {token}"}
    own = client.get(f"/api/v1/office/files/{world.nanning_firm}", headers=headers)
    assert own.status_code == 200 and own.json()["id"] == world.nanning_firm
    other = client.get(f"/api/v1/office/files/{world.wuzhou_firm}", headers=headers)
    assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/office/files/{world.nanning_firm}",
                      headers={"authorization": "Bearer sgt_forged"}).status_code == 401


def test_a_wuzhou_officer_cannot_read_a_nanning_file(clients: dict[str, TestClient], world: World) -> None:
    wuzhou = clients["wuzhou-officer"]
    assert wuzhou.get(f"/office/files/{world.wuzhou_firm}").status_code == 200
    assert wuzhou.get(f"/office/files/{world.nanning_firm}").status_code == 403
    listed = wuzhou.get("/office/files").text
    assert world.wuzhou_firm in listed and world.nanning_firm not in listed


def test_an_incubator_sees_its_base_and_its_firms_only(clients: dict[str, TestClient], world: World) -> None:
    base = clients["nanning-incubator"]
    assert base.get(f"/office/files/{world.nanning_other}").status_code == 200
    assert base.get(f"/office/files/{world.nanning_firm}").status_code == 403


def test_a_reviewer_cannot_approve_a_list_it_prepared(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    app = create_app(office_db=world.db)
    preparer = login(app, "nanning-officer2")
    answer = preparer.post("/office/lists", data={"csrf": csrf_of(preparer)}, follow_redirects=False)
    assert answer.status_code == 303
    list_id = answer.headers["location"].rsplit("/", 1)[1]
    engine = database.open_register(world.db)
    with Session(engine) as session, session.begin():  # the same person, now a reviewer
        users.set_role(session, "nanning-officer2", "reviewer", "nanning")
    engine.dispose()
    same = login(app, "nanning-officer2")
    refused = same.post(f"/office/lists/{list_id}/review",
                        data={"decision": "approve", "reason": "同意", "csrf": csrf_of(same)}, follow_redirects=False)
    assert refused.status_code == 403
    assert "批准" not in same.get(f"/office/lists/{list_id}").text  # no review form offered either
    other = login(app, "nanning-reviewer")
    assert other.post(f"/office/lists/{list_id}/review", data={"decision": "approve", "reason": "",
                      "csrf": csrf_of(other)}, follow_redirects=False).status_code == 422  # a reason is required
    approved = other.post(f"/office/lists/{list_id}/review", data={"decision": "approve", "reason": "材料齐全",
                          "csrf": csrf_of(other)}, follow_redirects=True)
    assert approved.status_code == 200 and "已批准" in approved.text and "材料齐全" in approved.text


def test_a_form_without_its_csrf_token_is_refused(clients: dict[str, TestClient], world: World) -> None:
    officer = clients["nanning-officer"]
    assert officer.post("/office/lists", data={}, follow_redirects=False).status_code == 403
    assert officer.post("/office/lists", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    firm = clients["nanning-enterprise"]
    assert firm.post(f"/office/files/{world.nanning_firm}/waivers", data={"answer": "decline", "rule_id": "rule.x"},
                     follow_redirects=False).status_code == 403


def test_the_login_form_without_its_token_is_refused(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    answer = client.post("/office/login", data={"name": "nanning-officer", "password": PASSWORD})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_the_session_id_changes_at_login(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="testserver.local")
    page = client.get("/office/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    client.post("/office/login", data={"name": "wuzhou-auditor", "password": PASSWORD, "csrf": token.group(1)},
                follow_redirects=False)
    first = client.cookies.get(SESSION_COOKIE)
    assert first and first != "planted-by-an-attacker"
    again = login(app, "wuzhou-auditor")
    assert again.cookies.get(SESSION_COOKIE) != first
    # a session id never issued opens nothing
    stranger = TestClient(app)  # type: ignore[arg-type]
    stranger.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    assert stranger.get("/office", follow_redirects=False).status_code == 303


def test_logging_out_ends_the_session(app: object) -> None:
    client = login(app, "wuzhou-reviewer")
    sid = client.cookies.get(SESSION_COOKIE)
    assert client.post("/office/logout", data={"csrf": csrf_of(client)}, follow_redirects=False).status_code == 303
    replay = TestClient(app)  # type: ignore[arg-type]
    replay.cookies.set(SESSION_COOKIE, sid or "")
    assert replay.get("/office", follow_redirects=False).status_code == 303


def test_changing_the_id_in_a_body_is_refused(clients: dict[str, TestClient], world: World) -> None:
    """The waiver form posts to the firm's own path; pointing it at another firm's path is refused, and a list id
    of another city in the review path too."""
    firm = clients["nanning-enterprise"]
    answer = firm.post(f"/office/files/{world.nanning_other}/waivers",
                       data={"answer": "confirm", "rule_id": "rule.x", "csrf": csrf_of(firm)},
                       follow_redirects=False)
    assert answer.status_code == 403


def test_repeated_wrong_passwords_lock_the_account(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/office/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    statuses = [client.post("/office/login", data={"name": "wuzhou-administrator", "password": f"wrong{i}",
                                                   "csrf": token.group(1)}).status_code for i in range(LOCK_AFTER)]
    assert statuses == [401] * LOCK_AFTER
    locked = client.post("/office/login", data={"name": "wuzhou-administrator", "password": PASSWORD,
                                                "csrf": token.group(1)}, follow_redirects=False)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_a_script_in_a_files_value_is_shown_as_text(clients: dict[str, TestClient], world: World) -> None:
    page = clients["nanning-enterprise"].get(f"/office/files/{world.nanning_firm}").text
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page


def test_every_read_of_a_file_is_in_the_access_log(clients: dict[str, TestClient], world: World) -> None:
    clients["wuzhou-officer"].get(f"/office/files/{world.wuzhou_firm}")
    log = clients["wuzhou-auditor"].get("/office/log.csv")
    assert log.status_code == 200
    lines = log.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "at,who,role,applicant_id,action,fields,via"
    mine = [line for line in lines if line.split(",")[1] == "wuzhou-officer"]
    assert mine and world.wuzhou_firm in mine[-1] and "new_hires_over_last_year" in mine[-1]
    # a Wuzhou auditor sees no Nanning file's reads
    assert not any(world.nanning_firm in line for line in lines)


def test_the_access_log_refuses_an_update(world: World) -> None:
    engine = database.open_register(world.db)
    with Session(engine) as session, session.begin():
        accesslog.record(session, Principal("x", "officer", "region"), world.wuzhou_firm, "read", ["employees"],
                         "GET /test", WHEN)
    with engine.connect() as connection:
        try:
            connection.execute(text("UPDATE access_log SET who = 'nobody'"))
        except Exception as error:  # noqa: BLE001 - the database's own refusal
            assert "append-only" in str(error)
        else:
            raise AssertionError("the access log accepted an update")
    engine.dispose()


def test_an_auditor_reads_decisions_of_its_city_by_rule_and_version(clients: dict[str, TestClient]) -> None:
    """The world has three eligible decisions of rule.x (5,000,000 fen each): two Nanning firms, one in Wuzhou."""
    nanning = clients["nanning-auditor"].get("/office/decisions").text
    assert "dddddddddddd" in nanning and ">2<" in nanning and "100000.00" in nanning  # 2 × 50,000.00 yuan
    wuzhou = clients["wuzhou-auditor"].get("/office/decisions").text
    assert ">1<" in wuzhou and "50000.00" in wuzhou and "100000.00" not in wuzhou
    assert clients["nanning-enterprise"].get("/office/decisions").status_code == 403


def test_one_address_trying_many_names_is_refused(tmp_path: Path) -> None:
    """20 failures from one address in the window refuse that address, whichever name it tries next."""
    from guangxi_subsidy.engine.accounts.passwords import ADDRESS_LIMIT

    world = build_world(tmp_path)
    client = TestClient(create_app(office_db=world.db))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/office/login").text)
    assert token is not None
    names = [f"guess{i}" for i in range(ADDRESS_LIMIT)]
    assert {client.post("/office/login", data={"name": n, "password": "x" * 12, "csrf": token.group(1)}
                        ).status_code for n in names} == {401}
    refused = client.post("/office/login", data={"name": "nanning-officer", "password": PASSWORD,
                                                 "csrf": token.group(1)}, follow_redirects=False)
    assert refused.status_code == 429


def test_a_script_in_a_review_reason_is_shown_as_text(clients: dict[str, TestClient]) -> None:
    officer = clients["nanning-officer"]
    prepared = officer.post("/office/lists", data={"csrf": csrf_of(officer)}, follow_redirects=False)
    assert prepared.status_code == 303
    url = prepared.headers["location"]
    reviewer = clients["nanning-reviewer"]
    rejected = reviewer.post(url + "/review", data={"decision": "reject", "reason": SCRIPT,
                                                    "csrf": csrf_of(reviewer)}, follow_redirects=True)
    assert rejected.status_code == 200 and "已退回" in rejected.text
    assert SCRIPT not in rejected.text and "&lt;script&gt;" in rejected.text
    assert SCRIPT not in clients["nanning-auditor"].get("/office/lists").text
