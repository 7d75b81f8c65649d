"""`subsidy match` from the command line: a run's pushes as JSON, the same run again pushing nothing, the
decision store asked, the inbox exported, the 免申即享 commands; bad input exits 2 naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.evaluation import evaluate as evaluations
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

BASE = "91440300708461136T"
RENT = "nanning.incubation_base_rent_subsidy"


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch: pytest.MonkeyPatch, pack: RulePack, engine: Engine) -> None:
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: pack if not paths else load_pack(paths))
    monkeypatch.setattr(evaluations, "Engine", lambda given: engine if given is pack else Engine(given))


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", "SUBSIDY_USER": "officer-a"})
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def registered(tmp_path: Path) -> str:
    db = str(tmp_path / "register.db")
    (tmp_path / "a.csv").write_text("id,kind,city,recognised_incubation_base,rent_and_broadband_paid\n"
                                    f"{BASE},incubation_base,南宁,是,400000\n", encoding="utf-8")
    run("register", "init", "--db", db)
    run("register", "import", str(tmp_path / "a.csv"), "--source", "人社", "--period", "2019", "--db", db)
    return db


def test_a_run_prints_its_pushes_as_json_and_the_next_pushes_nothing(registered: str, tmp_path: Path) -> None:
    out = tmp_path / "pushes.jsonl"
    first = json.loads(run("match", "--as-of", "2019-06-01", "--db", registered, "--format", "json",
                           "-o", str(out)).output)
    assert first["schema"] == "subsidy-match/1" and first["evaluated"] == 1
    # 400,000 × 70% = 280,000
    assert [(p["kind"], p["amount"]) for p in first["pushes"] if p["rule_id"] == RENT] == [("opened", "280000.00")]
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(first["pushes"])
    again = json.loads(run("match", "--as-of", "2019-06-01", "--db", registered, "--format", "json").output)
    assert (again["evaluated"], again["pushes"]) == (0, [])
    why = json.loads(run("match", "why", BASE, RENT, "--db", registered, "--format", "json").output)
    assert why["outcome"]["status"] == "eligible" and why["decision"]["amount"] == "280000.00"
    table = run("match", "why", BASE, RENT, "--db", registered).output
    assert "可享" in table and "经认定为创业孵化基地的众创空间" in table
    inbox = json.loads(run("match", "inbox", BASE, "--db", registered, "--format", "json").output)
    assert [p["text"] for p in inbox["pushes"]] == [p["text"] for p in first["pushes"]]


def test_the_office_pays_without_application_from_the_command_line(registered: str) -> None:
    run("match", "payable", RENT, "--reason", "人社数据可核实", "--db", registered)
    run("match", "--as-of", "2019-06-01", "--db", registered)
    cases = json.loads(run("match", "cases", "--db", registered, "--format", "json", "--today", "2019-06-03")
                       .output)["cases"]
    assert [(c["id"], c["status"], c["amount"]) for c in cases] == [(BASE, "listed", "280000.00")]
    confirmed = json.loads(run("match", "confirm", BASE, RENT, "--db", registered, "--pay-within", "5",
                               "--on", "2019-05-31", "--format", "json").output)
    # 5 working days after Friday 2019-05-31: 06-03 … 06-06, (06-07 端午 off), 06-10
    assert (confirmed["status"], confirmed["pay_by"]) == ("confirmed", "2019-06-10")
    run("match", "budget", "南宁市科技局", "2019", "200000", "--db", registered)
    listed = json.loads(run("match", "payments", "--db", registered, "--format", "json", "--today", "2019-06-11")
                        .output)
    assert listed["groups"][0]["exceeds_budget"] is True  # 280,000 listed > 200,000 budget
    assert [c["overdue_workdays"] for c in listed["overdue"]] == [1]  # 06-11 is 1 working day after 06-10
    run("match", "pay", BASE, RENT, "--reference", "南科〔2019〕1号", "--decided", "2019-05-31", "--db", registered)
    awards = run("register", "awards", BASE, "--db", registered, "--format", "json").output
    assert "南科〔2019〕1号" in awards
    after = json.loads(run("match", "--as-of", "2019-06-01", "--db", registered, "--format", "json").output)
    assert after["evaluated"] == 1  # the award recorded since the last run


def test_bad_input_exits_2_naming_it(registered: str) -> None:
    assert "no applicant" in run("match", "why", "NOPE", RENT, "--db", registered, code=2).output
    assert "abc" in run("match", "budget", "x", "2019", "abc", "--db", registered, code=2).output
    assert "不在当前规则包" in run("match", "payable", "no.such_rule", "--reason", "r", "--db", registered,
                                  code=2).output
    assert ".txt" in run("match", "inbox", "--db", registered, "-o", "x.txt", code=2).output
    assert "register init" in run("match", "--db", registered + ".missing", code=2).output


def test_a_deadline_in_a_year_the_calendar_lacks_is_refused_by_name_and_can_be_set_by_hand(registered: str) -> None:
    run("match", "payable", RENT, "--reason", "人社数据可核实", "--db", registered)
    run("match", "--as-of", "2019-06-01", "--db", registered)
    # 15 working days from 2026-12-28 run into 2027, whose holidays the official calendar does not hold yet
    refused = run("match", "confirm", BASE, RENT, "--db", registered, "--on", "2026-12-28", code=2).output
    assert "2027 年" in refused and "--deadline" in refused and "2026 年" in refused
    confirmed = json.loads(run("match", "confirm", BASE, RENT, "--db", registered, "--on", "2026-12-28",
                               "--deadline", "2027-01-29", "--format", "json").output)
    assert (confirmed["status"], confirmed["pay_by"]) == ("confirmed", "2027-01-29")
    before = json.loads(run("match", "payments", "--db", registered, "--format", "json", "--today", "2026-12-30")
                        .output)
    assert before["overdue"] == []
    after = json.loads(run("match", "payments", "--db", registered, "--format", "json", "--today", "2027-02-01")
                       .output)
    assert [(c["id"], c["past_deadline"]) for c in after["overdue"]] == [(BASE, True)]


def test_a_deadline_before_the_answer_is_refused(registered: str) -> None:
    run("match", "payable", RENT, "--reason", "人社数据可核实", "--db", registered)
    run("match", "--as-of", "2019-06-01", "--db", registered)
    refused = run("match", "confirm", BASE, RENT, "--db", registered, "--on", "2019-06-03", "--deadline",
                  "2019-06-01", code=2).output
    assert "--deadline 2019-06-01" in refused and "2019-06-03" in refused


@pytest.mark.parametrize("flag", ["--near-misses", "--no-near-misses"])
def test_a_run_looks_for_near_misses_unless_told_not_to(tmp_path: Path, flag: str) -> None:
    db, firm = str(tmp_path / "register.db"), "91450400MA5L00000D"
    (tmp_path / "f.csv").write_text(
        "id,kind,city,in_incubation_base,has_site_lease,social_insurance_paid_in_full,months_operating_in_base\n"
        f"{firm},enterprise,南宁,是,是,是,10\n", encoding="utf-8")
    run("register", "init", "--db", db)
    run("register", "import", str(tmp_path / "f.csv"), "--source", "人社", "--period", "2017", "--db", db)
    report = json.loads(run("match", "--as-of", "2017-03-01", flag, "--db", db, "--format", "json").output)
    # 002 三(四)20: 满1年 → 2,000 a firm; 12 − 10 = 2 months short
    near = [(p["rule_id"], p["gain"]) for p in report["pushes"] if p["kind"] == "near_miss"]
    assert near == ([("nanning.incubated_firm_one_time_subsidy", "2000.00")] if flag == "--near-misses" else [])
    assert "missing" in {p["kind"] for p in report["pushes"]}  # (missing facts either way)
