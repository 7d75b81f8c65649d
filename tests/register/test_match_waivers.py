"""免申即享 and 快申快享: only applicants whose deciding facts all came from a department are listed; confirmation →
payment list (deadline in official working days, totals against the budget) → payment → an award the next match
counts; the others get a prefilled application."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.application import prefilled
from guangxi_subsidy.engine.matching.payments import payment_list, set_budget
from guangxi_subsidy.engine.matching.run import match
from guangxi_subsidy.engine.matching.store import why
from guangxi_subsidy.engine.matching.waivers import answer, pay, set_payable
from guangxi_subsidy.engine.matching.workdays import add_workdays, workdays_between
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.periods import parse_period

A, B = "91440300708461136T", "91110000600037341L"
RENT = "nanning.incubation_base_rent_subsidy"
DAY = dt.date(2019, 6, 1)
WHEN = dt.datetime(2019, 5, 31, 10, 0)  # a Friday before the Dragon Boat Festival of 2019 (Friday 06-07 off)


def registered(engine: Engine, tmp_path: Path) -> None:
    """A's facts from 人社's data; B's recognition from its own declaration."""
    (tmp_path / "dept.csv").write_text("id,kind,city,recognised_incubation_base,rent_and_broadband_paid\n"
                                       f"{A},incubation_base,南宁,是,400000\n{B},incubation_base,南宁,,400000\n",
                                       encoding="utf-8")
    import_file(engine, tmp_path / "dept.csv", ImportOptions("人社", "officer-a", parse_period("2019")))
    (tmp_path / "own.csv").write_text(f"id,kind,city,recognised_incubation_base\n{B},incubation_base,南宁,是\n",
                                      encoding="utf-8")
    import_file(engine, tmp_path / "own.csv", ImportOptions(B, "officer-a", parse_period("2019"),
                                                            source_kind="declaration"))


def test_official_working_days_skip_holidays_and_count_adjusted_working_days() -> None:
    # 2019 National Day: 10-01 … 10-07 off, Sunday 09-29 worked (调休). From Friday 09-27: 09-29 (Sun, 1),
    # 09-30 (2), 10-08 (3)
    assert add_workdays(dt.date(2019, 9, 27), 3) == dt.date(2019, 10, 8)
    # 2026 National Day: 10-01 … 10-07 off. From Wednesday 09-30 the next working day is 10-08 (Thursday)
    assert add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 8)) == 1


def test_only_department_facts_go_to_the_list_and_payment_reaches_the_ledger(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    registered(register_engine, tmp_path)
    with Session(register_engine) as session, session.begin():
        set_payable(session, engine.pack, RENT, "人社部门数据可核实认定与缴费", "officer-a", WHEN)
        set_budget(session, "南宁市科技局", 2019, 50_000_000, "officer-a", WHEN)  # 500,000.00 yuan
    first = match(register_engine, engine, DAY)
    assert first.listed == 1  # A only: B's recognition is its own declaration
    with Session(register_engine) as session:
        application = prefilled(session, engine.pack, B, RENT)
    assert application["without_application"] is False and application["amount"] == "280000.00"
    assert {f["field"]: f["source_kind"] for f in application["facts_known"]}["recognised_incubation_base"] == \
        "declaration"
    assert application["evidence_needed"]

    with Session(register_engine) as session, session.begin():
        case = answer(session, A, RENT, True, "officer-b", WHEN, pay_within=5)
        # 5 working days after Friday 05-31: 06-03, 06-04, 06-05, 06-06, (06-07 端午 off), 06-10
        assert case.pay_by == dt.date(2019, 6, 10)
        listed = payment_list(session, dt.date(2019, 6, 11))
    # 400,000 × 70% = 280,000 for A, within the 500,000 budget; one working day late on 06-11
    [group] = listed["groups"]
    assert (group["listed"], group["budget"], group["exceeds_budget"]) == ("280000.00", "500000.00", False)
    assert [(c["id"], c["overdue_workdays"]) for c in listed["overdue"]] == [(A, 1)]

    with Session(register_engine) as session, session.begin():
        set_budget(session, "南宁市科技局", 2019, 20_000_000, "officer-a", WHEN)  # 200,000.00 < 280,000.00
        assert payment_list(session, WHEN.date())["groups"][0]["exceeds_budget"] is True
        pay(session, A, RENT, "南科〔2019〕1号", WHEN.date(), "officer-b", WHEN)

    after = match(register_engine, engine, DAY)
    assert after.evaluated == 1 and after.listed == 0  # A, for its new award; not listed twice
    with Session(register_engine) as session:
        found = why(session, engine, A, RENT)
    values = {k: v for c in found.outcome["checks"] for k, v in c["values"].items()}
    assert values["rent_subsidy_years_received"] == 1 and len(found.awards) == 1


def test_a_declined_case_is_not_paid(register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    registered(register_engine, tmp_path)
    with Session(register_engine) as session, session.begin():
        set_payable(session, engine.pack, RENT, "人社部门数据", "officer-a", WHEN)
    match(register_engine, engine, DAY)
    with Session(register_engine) as session, session.begin():
        answer(session, A, RENT, False, "officer-b", WHEN)
        assert payment_list(session, WHEN.date())["cases"] == []


def test_the_application_window_counts_working_days_and_marks_an_answer_awaited_after_it(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    from guangxi_subsidy.engine.matching.payments import case_json, cases
    from guangxi_subsidy.engine.matching.windows import set_window, windows

    registered(register_engine, tmp_path)
    with Session(register_engine) as session, session.begin():
        set_payable(session, engine.pack, RENT, "人社部门数据", "officer-a", WHEN)
        set_window(session, engine.pack, RENT, dt.date(2019, 6, 1), dt.date(2019, 6, 14), "officer-a", WHEN)
    match(register_engine, engine, DAY)
    with Session(register_engine) as session:
        window = windows(session)[RENT]
        [(case, ref)] = cases(session, ("listed",))
        on_monday = case_json(case, ref, dt.date(2019, 6, 3), window)
        after = case_json(case, ref, dt.date(2019, 6, 17), window)
        application = prefilled(session, engine.pack, B, RENT, dt.date(2019, 6, 3))
    # after Monday 06-03 up to 06-14: 06-04, 06-05, 06-06, (06-07 端午 off), 06-10 … 06-14: 3 + 5 = 8
    assert on_monday["window"]["workdays_left"] == 8 and not on_monday["answer_overdue"]
    assert after["window"]["state"] == "closed" and after["answer_overdue"]
    assert application["window"]["state"] == "open"
