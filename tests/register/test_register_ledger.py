"""The awards ledger: the fields that count earlier awards are computed from it when evaluating from the
register, so a third year of rent subsidy and a second one-time subsidy are refused naming the awards, and a
declaration that disagrees is shown beside the ledger's value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.answers.document import evaluation_document
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.register.applicants import find
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.evaluation import annotate, load
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.ledger import NewAward, derivations, record_award
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.rules.pack import RulePack

BASE, FIRM = "91440300708461136T", "91110000600037341L"
RENT = "nanning.incubation_base_rent_subsidy"
ONE_TIME = "nanning.incubated_firm_one_time_subsidy"


def add_award(engine: Engine, ref: str, rule: str, period: str, amount: str, decided: str, reference: str,
              status: str = "paid") -> None:
    with Session(engine) as session, session.begin():
        record_award(session, find(session, ref), NewAward(rule, parse_period(period), Decimal(amount),
                                                           dt.date.fromisoformat(decided), reference, status),
                     "officer-a", dt.datetime(2020, 1, 1))


def load_base(engine: Engine, tmp_path: Path, extra: str = "") -> None:
    header = "id,kind,city,recognised_incubation_base,rent_and_broadband_paid" + (",rent_subsidy_years_received"
                                                                                   if extra else "")
    path = tmp_path / "base.csv"
    path.write_text(f"{header}\n{BASE},incubation_base,南宁,是,900000{',' + extra if extra else ''}\n",
                    encoding="utf-8")
    import_file(engine, path, ImportOptions("人社", "officer-a", parse_period("2019")))


def evaluate(register_engine: Engine, engine: RulesEngine, pack: RulePack, ref: str, on: str) -> dict[str, Any]:
    found = load(register_engine, ref, dt.date.fromisoformat(on))
    evaluation = engine.evaluate(found.profile, as_of=found.as_of)
    return annotate(evaluation_document(evaluation, pack, False), evaluation, found)


def test_every_ledger_field_is_a_profile_field_counted_from_rules_of_the_pack(pack: RulePack) -> None:
    from guangxi_subsidy.engine.applicant.profile import Profile

    for derivation in derivations():
        assert derivation.field in Profile.model_fields
        assert set(derivation.rules) <= set(pack.rules), derivation
        assert set(derivation.kinds) == {k for r in derivation.rules for k in pack.rules[r].kinds}, derivation


def test_a_third_year_of_rent_subsidy_is_refused_naming_both_paid_awards(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine, pack: RulePack) -> None:
    load_base(register_engine, tmp_path)
    add_award(register_engine, BASE, RENT, "2017", "550000", "2018-03-01", "南人社〔2018〕12号")
    add_award(register_engine, BASE, RENT, "2018", "420000", "2019-02-20", "南人社〔2019〕8号")
    document = evaluate(register_engine, engine, pack, BASE, "2019-06-01")
    assert RENT not in [b["rule_id"] for b in document["benefits"] if b["status"] == "eligible"]
    [refusal] = [r for r in document["register"]["refusals"] if r["rule_id"] == RENT]
    assert refusal["field"] == "rent_subsidy_years_received" and refusal["value"] == "2"
    assert [a["reference"] for a in refusal["awards"]] == ["南人社〔2018〕12号", "南人社〔2019〕8号"]
    assert document["receipt"]["register_awards"] == ["南人社〔2018〕12号", "南人社〔2019〕8号"]


def test_with_one_award_the_second_year_is_granted_from_the_facts_of_that_year(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine, pack: RulePack) -> None:
    load_base(register_engine, tmp_path)
    add_award(register_engine, BASE, RENT, "2018", "550000", "2019-02-20", "南人社〔2019〕8号")
    add_award(register_engine, BASE, RENT, "2017", "550000", "2018-03-01", "南人社〔2018〕12号", "revoked")
    document = evaluate(register_engine, engine, pack, BASE, "2019-06-01")
    [rent] = [b for b in document["benefits"] if b["rule_id"] == RENT]
    # 900,000 × 70% = 630,000, above the cap of 550,000 a base a year (002 三(四)18)
    assert rent["status"] == "eligible" and rent["amount"]["value"] == "550000.00"
    assert rent["ledger"][0]["value"] == "1"  # the revoked award is not counted
    source = rent["fact_sources"]["rent_and_broadband_paid"]
    assert source["source"] == {"kind": "department", "name": "人社", "file": "base.csv", "row": 2}
    assert source["period"] == "2019" and source["version"] == 1
    assert document["receipt"]["register_facts"]["rent_and_broadband_paid"]["version"] == 1


def test_an_award_decided_after_the_date_is_not_yet_counted(register_engine: Engine, tmp_path: Path) -> None:
    load_base(register_engine, tmp_path)
    add_award(register_engine, BASE, RENT, "2018", "550000", "2019-02-20", "南人社〔2019〕8号")
    assert load(register_engine, BASE, dt.date(2019, 2, 19)).profile.rent_subsidy_years_received == 0
    assert load(register_engine, BASE, dt.date(2019, 2, 20)).profile.rent_subsidy_years_received == 1


def test_a_second_one_time_subsidy_is_refused_with_the_first_one_s_date_and_reference(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine, pack: RulePack) -> None:
    path = tmp_path / "firm.csv"
    path.write_text("id,kind,city,in_incubation_base,has_site_lease,months_operating_in_base,"
                    "social_insurance_paid_in_full\n"
                    f"{FIRM},enterprise,南宁,是,是,14,是\n", encoding="utf-8")
    import_file(register_engine, path, ImportOptions("人社", "officer-a", parse_period("2018")))
    before = evaluate(register_engine, engine, pack, FIRM, "2018-09-01")
    assert ONE_TIME in [b["rule_id"] for b in before["benefits"] if b["status"] == "eligible"]
    add_award(register_engine, FIRM, ONE_TIME, "2018", "2000", "2018-10-08", "南人社〔2018〕40号")
    after = evaluate(register_engine, engine, pack, FIRM, "2019-03-01")
    [refusal] = [r for r in after["register"]["refusals"] if r["rule_id"] == ONE_TIME]
    assert refusal["value"] == "true"
    assert [(a["decision_date"], a["reference"]) for a in refusal["awards"]] == [("2018-10-08", "南人社〔2018〕40号")]


def test_a_declared_count_that_disagrees_with_the_ledger_is_flagged_and_the_ledger_used(
        register_engine: Engine, tmp_path: Path) -> None:
    load_base(register_engine, tmp_path, extra="0")  # the base declares no year received
    add_award(register_engine, BASE, RENT, "2017", "550000", "2018-03-01", "南人社〔2018〕12号")
    found = load(register_engine, BASE, dt.date(2019, 6, 1))
    [years] = [d for d in found.derived if d.field == "rent_subsidy_years_received"]
    assert (years.declared, years.value, years.disagrees) == ("0", "1", True)
    assert found.profile.rent_subsidy_years_received == 1


def test_an_award_without_a_period_or_with_an_unknown_status_is_refused(register_engine: Engine,
                                                                        tmp_path: Path) -> None:
    load_base(register_engine, tmp_path)
    with pytest.raises(RegisterError, match="period"):
        add_award(register_engine, BASE, RENT, "", "1", "2018-03-01", "x")
    with pytest.raises(RegisterError, match="status 'granted'"):
        add_award(register_engine, BASE, RENT, "2017", "1", "2018-03-01", "x", status="granted")
