"""The whole register's profiles, built in columns for export and `batch --register`, are the profiles built one
applicant at a time: the same facts chosen (periods, versions, standing facts, what was known on a day) and the
same ledger fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.register.applicants import Newcomer, ensure, find
from guangxi_subsidy.engine.register.bulk import profiles
from guangxi_subsidy.engine.register.evaluation import profile_on
from guangxi_subsidy.engine.register.facts import Change, Source, record
from guangxi_subsidy.engine.register.ledger import NewAward, record_award
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.privacy import forget

BASE, FIRM, OTHER, PERSON = "91440300708461136T", "91110000600037341L", "91450100000000001T", "NN-P-1"
TAX = Source("department", "税务", "officer-a")
JAN, MAR, JUN = dt.datetime(2018, 1, 5), dt.datetime(2018, 3, 1), dt.datetime(2019, 6, 1)


def facts(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        people, _new = ensure(session, [Newcomer(BASE, "incubation_base", "nanning"),
                                        Newcomer(FIRM, "enterprise", "nanning"),
                                        Newcomer(OTHER, "enterprise", "liuzhou"),
                                        Newcomer(PERSON, "individual", "nanning")], JAN)
        base, firm, person = people[BASE].pk, people[FIRM].pk, people[PERSON].pk

        def fact(pk: int, field: str, value: str, period: str = "", when: dt.datetime = JAN,
                 personal: bool = False) -> None:
            record(session, [Change(pk, personal, field, value, parse_period(period), TAX)], when)

        fact(base, "recognised_incubation_base", "true")
        fact(base, "rent_and_broadband_paid", "900000", "2017")
        fact(base, "rent_and_broadband_paid", "600000", "2018")
        fact(base, "rent_and_broadband_paid", "650000", "2018", when=MAR)  # a correction, known from March
        fact(base, "rent_subsidy_years_received", "0")  # a declaration the ledger overrides
        fact(firm, "monthly_sales", "80000", "2018")
        fact(firm, "monthly_sales", "20000", "2018Q2")  # narrower: wins inside the quarter
        fact(firm, "monthly_sales", "90000", "2019", when=JUN)
        fact(firm, "city", "liuzhou", "", when=MAR)
        fact(person, "name", "张三", personal=True)
        fact(person, "veteran", "true", personal=True)
        award = NewAward("nanning.incubation_base_rent_subsidy", parse_period("2017"), Decimal("550000.00"),
                         dt.date(2018, 2, 1), "南人社〔2018〕12号", "paid")
        record_award(session, find(session, BASE), award, "officer-a", JAN)
        revoked = NewAward("nanning.incubated_firm_one_time_subsidy", parse_period("2018"), Decimal("2000.00"),
                           dt.date(2018, 5, 1), "南人社〔2018〕30号", "revoked")
        record_award(session, find(session, FIRM), revoked, "officer-a", JAN)
        paid = NewAward("nanning.bond_issuance_award", parse_period("2018"), Decimal("123456.78"),
                        dt.date(2018, 6, 1), "南金融〔2018〕2号", "paid")
        record_award(session, find(session, FIRM), paid, "officer-a", MAR)


DAYS = ("2017-06-01", "2018-01-31", "2018-05-15", "2018-08-01", "2019-06-30")


def test_the_block_profiles_are_the_one_by_one_profiles(register_engine: Engine) -> None:
    facts(register_engine)
    with Session(register_engine) as session:
        for day in DAYS:
            for known_on in (None, "2018-02-01"):
                on = dt.date.fromisoformat(day)
                known = None if known_on is None else dt.date.fromisoformat(known_on)
                [block] = list(profiles(session, on, None, known))
                assert block.get_column("id").to_list() == [BASE, FIRM, OTHER, PERSON]
                for row in block.iter_rows(named=True):
                    from_block = parse_profile({k: v for k, v in row.items() if v is not None}, row["id"])
                    assert from_block == profile_on(session, row["id"], on, known).profile, (row["id"], day, known)


def test_the_block_takes_the_narrower_period_and_only_what_was_known(register_engine: Engine) -> None:
    facts(register_engine)
    with Session(register_engine) as session:
        [may] = list(profiles(session, dt.date(2018, 5, 15)))
        [before_correction] = list(profiles(session, dt.date(2018, 5, 15), None, dt.date(2018, 2, 1)))
    rows = {r["id"]: r for r in may.iter_rows(named=True)}
    assert rows[FIRM]["monthly_sales"] == "20000"  # 2018Q2's value, narrower than 2018's
    assert rows[BASE]["rent_and_broadband_paid"] == "650000"  # the March correction
    assert rows[BASE]["rent_subsidy_years_received"] == "1"  # the 2017 award, not the declared 0
    assert before_correction.filter(pl.col("id") == BASE).get_column("rent_and_broadband_paid").item() == "600000"


def test_a_forgotten_person_is_left_out_and_where_filters(register_engine: Engine) -> None:
    facts(register_engine)
    with Session(register_engine) as session, session.begin():
        forget(session, PERSON, JUN)
    with Session(register_engine) as session:
        [block] = list(profiles(session, dt.date(2019, 6, 30)))
        assert block.get_column("id").to_list() == [BASE, FIRM, OTHER]
        [firms] = list(profiles(session, dt.date(2019, 6, 30), {"kind": "enterprise", "city": "liuzhou"}))
        assert firms.get_column("id").to_list() == [FIRM, OTHER]
        # the paid bond award: 123,456.78 yuan, the ledger's total
        assert firms.get_column("bond_issuance_award_received").to_list() == ["123456.78", "0.00"]
