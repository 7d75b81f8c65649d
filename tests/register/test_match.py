"""政策找企业 over the register: every decision kept with its receipt, only what changed evaluated again, and
what changed pushed once, in Chinese."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.export import write
from guangxi_subsidy.engine.matching.run import match
from guangxi_subsidy.engine.matching.store import decisions, inbox, why
from guangxi_subsidy.engine.matching.tables import Decision, MatchSnapshot
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.periods import parse_period

A, B = "91440300708461136T", "91110000600037341L"
RENT = "nanning.incubation_base_rent_subsidy"
DAY = dt.date(2019, 6, 1)


def bases(engine: Engine, tmp_path: Path, b_recognised: str, name: str = "bases.csv") -> None:
    path = tmp_path / name
    path.write_text("id,kind,city,recognised_incubation_base,rent_and_broadband_paid\n"
                    f"{A},incubation_base,南宁,是,400000\n{B},incubation_base,南宁,{b_recognised},400000\n",
                    encoding="utf-8")
    import_file(engine, path, ImportOptions("人社", "officer-a", parse_period("2019")))


def opened(report_pushes: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(p["id"], p["rule_id"], p["amount"]) for p in report_pushes if p["kind"] == "opened"]


def test_one_changed_fact_re_evaluates_one_applicant_and_pushes_exactly_the_opened_benefit(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    bases(register_engine, tmp_path, "否")
    first = match(register_engine, engine, DAY)
    assert first.mode == "full" and first.evaluated == 2
    # A: recognised, paid 400,000: 70% = 280,000 (below the 550,000 cap), 三(四)18
    assert (A, RENT, "280000.00") in opened(first.pushed)
    assert all(p["id"] != B or p["rule_id"] != RENT for p in first.pushed if p["kind"] == "opened")

    bases(register_engine, tmp_path, "是", "bases-2.csv")  # B's recognition arrives: one fact changed
    second = match(register_engine, engine, DAY)
    assert second.mode == "incremental" and second.evaluated == 1
    assert [(p["id"], p["kind"], p["rule_id"], p["amount"]) for p in second.pushed] == [
        (B, "opened", RENT, "280000.00")]  # 400,000 × 70% = 280,000
    [push] = second.pushed
    assert "创业孵化基地房租和宽带接入费补助" in str(push["text"]) and "280,000.00 元" in str(push["text"])
    assert "市人社局" in str(push["text"])  # who to apply to

    third = match(register_engine, engine, DAY)
    assert third.evaluated == 0 and third.pushed == []


def test_every_decision_keeps_its_receipt_and_is_explained_from_the_facts_it_read(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    bases(register_engine, tmp_path, "否")
    match(register_engine, engine, DAY)
    bases(register_engine, tmp_path, "是", "bases-2.csv")
    match(register_engine, engine, DAY)
    with Session(register_engine) as session:
        rows = session.scalars(select(Decision).where(Decision.rule_id == RENT).order_by(Decision.pk)).all()
        assert [(r.status, r.current) for r in rows] == [
            ("eligible", True), ("not_eligible", False), ("eligible", True)]
        assert {r.rules_digest for r in rows} == {engine.pack.digest}
        snapshot = session.scalars(select(MatchSnapshot).where(
            MatchSnapshot.run_pk == rows[1].run_pk, MatchSnapshot.applicant_pk == rows[1].applicant_pk)).first()
        assert snapshot is not None and json.loads(snapshot.facts)["recognised_incubation_base"][1] == 1
        # which decisions used this pack; who became eligible since the last run
        assert len(decisions(session, digest=engine.pack.digest[:12])) == session.scalar(
            select(func.count()).select_from(Decision))
        assert [(d["id"], d["rule_id"]) for d in decisions(session, eligible_since_last=True)] == [(B, RENT)]
        found = why(session, engine, B, RENT)
        assert found.outcome["status"] == "eligible" and found.outcome["same_pack"]
        assert found.facts["recognised_incubation_base"]["version"] == 2  # the changed fact, second version
        assert {c["id"]: c["held"] for c in found.outcome["checks"]}["recognised"] is True


def test_a_new_date_re_evaluates_only_what_a_horizon_reaches(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    bases(register_engine, tmp_path, "是")
    match(register_engine, engine, DAY)
    # a day later: no rule's period, no parameter and no fact's period changes between the two days
    later = match(register_engine, engine, DAY + dt.timedelta(days=1))
    assert later.rules_crossed == [] and later.evaluated == 0
    # into 2020: the facts of 2019 end on 2019-12-31, so both bases are evaluated again
    next_year = match(register_engine, engine, dt.date(2020, 1, 2))
    assert next_year.evaluated == 2


def test_the_inbox_keeps_each_push_and_exports_them(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    bases(register_engine, tmp_path, "是")
    report = match(register_engine, engine, DAY)
    with Session(register_engine) as session:
        mine = inbox(session, A)
    assert [p["text"] for p in mine] == [p["text"] for p in report.pushed if p["id"] == A]
    assert write(mine, tmp_path / "a.jsonl") == len(mine)
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [p["text"] for p in mine]
    write(mine, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()[0].startswith("id,run,kind")
    write(mine, tmp_path / "a.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "a.xlsx").active
    assert sheet is not None and sheet.cell(1, 1).value == "申请人" and sheet.max_row == len(mine) + 1


def test_a_changed_rule_re_evaluates_only_the_applicants_it_concerns_and_pushes_the_new_amount(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    import shutil

    from guangxi_subsidy.data import RULES
    from guangxi_subsidy.engine.rules.pack import load_pack

    bases(register_engine, tmp_path, "是")
    firm = tmp_path / "firm.csv"
    firm.write_text("id,kind,city,small_micro_enterprise\n91450400MA5L00000D,enterprise,梧州,是\n", encoding="utf-8")
    import_file(register_engine, firm, ImportOptions("税务", "officer-a", parse_period("2019")))
    match(register_engine, engine, DAY)

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "002_nanning_mass_entrepreneurship_2016.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("formula: rent_and_broadband_paid * 70%") == 1
    path.write_text(text.replace("formula: rent_and_broadband_paid * 70%", "formula: rent_and_broadband_paid * 80%"),
                    encoding="utf-8")
    changed = RulesEngine(load_pack([rules]))
    report = match(register_engine, changed, DAY)
    assert report.rules_changed == [RENT]
    assert report.evaluated == 2  # the two bases of Nanning; the firm of Wuzhou is not concerned
    # 400,000 × 80% = 320,000 (was 280,000)
    assert sorted((p["id"], p["kind"], p["amount"], p["amount_before"]) for p in report.pushed) == [
        (B, "amount_changed", "320000.00", "280000.00"), (A, "amount_changed", "320000.00", "280000.00")]


def test_the_incremental_benchmark_runs_at_a_small_size(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import match_incremental

    sys.argv = ["match_incremental.py", "--applicants", "30", "--changed", "0.1"]
    match_incremental.main()
    printed = capsys.readouterr().out
    assert "full run:" in printed and "incremental run:" in printed
    evaluated = [int(line.split()[2].replace(",", "")) for line in printed.splitlines() if " run:" in line]
    assert evaluated[0] == 30 and 1 <= evaluated[1] <= 3  # at most the 3 applicants drawn (10% of 30)


def test_a_fact_that_changes_closes_the_benefit_with_the_amount_it_had(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    bases(register_engine, tmp_path, "是")
    match(register_engine, engine, DAY)
    (tmp_path / "lost.csv").write_text(f"id,kind,city,recognised_incubation_base\n{A},incubation_base,南宁,否\n",
                                       encoding="utf-8")
    import_file(register_engine, tmp_path / "lost.csv", ImportOptions("人社", "officer-a", parse_period("2019")))
    report = match(register_engine, engine, DAY)
    assert report.evaluated == 1
    closed = [p for p in report.pushed if p["kind"] == "closed"]
    # it paid 400,000 × 70% = 280,000 before
    assert [(p["id"], p["rule_id"], p["amount_before"]) for p in closed] == [(A, RENT, "280000.00")]
    assert "不再可享" in str(closed[0]["text"]) and "条件已不满足" in str(closed[0]["text"])


def test_a_near_miss_is_pushed_once_and_the_benefit_when_it_opens(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    firm, one_time = "91450400MA5L00000D", "nanning.incubated_firm_one_time_subsidy"

    def months(count: int, name: str) -> None:
        (tmp_path / name).write_text(
            "id,kind,city,in_incubation_base,has_site_lease,social_insurance_paid_in_full,months_operating_in_base\n"
            f"{firm},enterprise,南宁,是,是,是,{count}\n", encoding="utf-8")
        import_file(register_engine, tmp_path / name, ImportOptions("人社", "officer-a", parse_period("2017")))

    months(10, "m10.csv")
    first = match(register_engine, engine, dt.date(2017, 3, 1))
    # 002 三(四)20: 满1年 → 2,000 yuan a firm; 12 − 10 = 2 months short
    [near] = [p for p in first.pushed if p["kind"] == "near_miss" and p["rule_id"] == one_time]
    assert near["fields"] == ["months_operating_in_base"] and near["gain"] == "2000.00"
    months(11, "m11.csv")  # still short, by one month: the same near miss, not pushed again
    second = match(register_engine, engine, dt.date(2017, 3, 1))
    assert second.evaluated == 1 and [p for p in second.pushed if p["rule_id"] == one_time] == []
    months(12, "m12.csv")
    third = match(register_engine, engine, dt.date(2017, 3, 1))
    assert [(p["kind"], p["amount"]) for p in third.pushed if p["rule_id"] == one_time] == [("opened", "2000.00")]
