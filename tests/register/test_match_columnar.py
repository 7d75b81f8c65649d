"""The columnar match stores what the rule-by-rule match stores: on a register of generated applicants (every
kind, three cities, random facts of every type, a fact with two periods or a second version, awards counted by
the ledger, firms a few months short of a benefit), the two paths' decisions, snapshots, transitions (opened,
closed, amount changed), near misses and missing facts are the same,
over a full run, an incremental run after changes and an award, and a run on a new date."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import ApplicantKind, Profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine as RulesEngine
from guangxi_subsidy.engine.matching.bulkrun import bound, insert_rows
from guangxi_subsidy.engine.matching.run import match
from guangxi_subsidy.engine.matching.tables import Decision, MatchSnapshot, Push
from guangxi_subsidy.engine.register import database
from guangxi_subsidy.engine.register.facts import Change, Source, record
from guangxi_subsidy.engine.register.ledger import NewAward, record_award
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.tables import Applicant, Award, Fact, PersonalFact

COUNT = 70
CITIES = ("nanning", "wuzhou", "liuzhou")
SKIPPED = {"id", "name", "kind", "city", "district", "as_of", "lender_type", "graduate_grassroots_employer"}
RENT = "nanning.incubation_base_rent_subsidy"
DAY, LATER = dt.date(2019, 6, 1), dt.date(2020, 3, 1)
TRANSITIONS = ("opened", "closed", "amount_changed")
NEAR = {"in_incubation_base": "true", "has_site_lease": "true", "social_insurance_paid_in_full": "true",
        "months_operating_in_base": "10"}


def _base(annotation: Any) -> Any:
    """The field's value type (bool, int, Decimal), its Optional and Annotated taken off."""
    for part in typing.get_args(annotation) or (annotation,):
        inner = typing.get_args(part)[0] if typing.get_origin(part) is typing.Annotated else part
        if inner is not type(None):
            return inner
    return None


def _value(rng: random.Random, kind: Any, name: str) -> str:
    if kind is bool:
        return rng.choice(("true", "false"))
    if kind is int:
        return str(rng.randrange(0, 40))
    if "share" in name:
        return str(Decimal(rng.randrange(0, 1000)) / 1000)
    return str(Decimal(rng.randrange(0, 200_000_000)) / 100)


def _fill(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    fields = {n: _base(f.annotation) for n, f in Profile.model_fields.items() if n not in SKIPPED}
    kinds = [k.value for k in ApplicantKind]
    y2018, y2019 = parse_period("2018"), parse_period("2019")
    with engine.begin() as connection:
        when = bound(connection, Applicant.__table__, "created_at", dt.datetime(2019, 1, 1))
        days = {p: tuple(bound(connection, Fact.__table__, "period_start", d) for d in (p.start, p.end))
                for p in (y2018, y2019)}
        people: list[tuple[Any, ...]] = []
        plain: list[tuple[Any, ...]] = []
        personal: list[tuple[Any, ...]] = []
        for pk in range(1, COUNT + 1):
            kind, city = kinds[pk % len(kinds)], CITIES[(pk // len(kinds)) % len(CITIES)]
            people.append((pk, f"G{pk:05d}", "person" if kind == "individual" else "organisation", kind, city, when))
            chosen = rng.sample(sorted(fields), rng.randrange(2, 14))
            if kind == "incubation_base":
                chosen += ["recognised_incubation_base", "rent_and_broadband_paid"]
            if kind == "enterprise" and pk % 2:  # an internship subsidy whose interns' figures are unknown
                chosen = [n for n in chosen if n not in ("interns_completed", "interns_retained")]
                chosen.append("intern_person_months")
            near = kind == "enterprise" and pk % 3 == 0  # a firm in a base, short of a year there (a near miss)
            if near:
                chosen = [n for n in chosen if n not in NEAR] + list(NEAR)
            for name in dict.fromkeys(chosen):
                period = rng.choice((y2018, y2019))
                value = "true" if name == "recognised_incubation_base" else _value(rng, fields[name], name)
                value = NEAR[name] if near and name in NEAR else value
                rows = [(pk, name, value, *days[period], 1, when, "gen", "department", "人社")]
                if rng.random() < 0.2:  # a second version of the same period, or a value for the other year
                    other = period if rng.random() < 0.5 else (y2019 if period is y2018 else y2018)
                    rows.append((pk, name, _value(rng, fields[name], name), *days[other], 2 if other is period else 1,
                                 when, "gen", "declared", "申报"))
                (personal if kind == "individual" else plain).extend(rows)
        insert_rows(connection, Applicant.__table__, ("pk", "ref", "holder", "kind", "city", "created_at"), people)
        names = ("applicant_pk", "field", "value", "period_start", "period_end", "version", "recorded_at",
                 "recorded_by", "source_kind", "source")
        insert_rows(connection, Fact.__table__, names, plain)
        insert_rows(connection, PersonalFact.__table__, names, personal)


def _change(engine: Engine, seed: int) -> None:
    """A share of the applicants' facts changed, and a rent subsidy paid to each base (the ledger counts it)."""
    rng = random.Random(seed)
    fields = {n: _base(f.annotation) for n, f in Profile.model_fields.items() if n not in SKIPPED}
    with Session(engine) as session, session.begin():
        people = session.execute(select(Applicant.pk, Applicant.kind)).all()
        changes = [Change(pk, kind == "individual", name, _value(rng, fields[name], name), parse_period("2019"),
                          Source("department", "税务", "gen"))
                   for pk, kind in rng.sample(people, COUNT // 5) for name in rng.sample(sorted(fields), 2)]
        record(session, changes, reason_for_change="changed")
        bases = list(session.scalars(select(Applicant).where(Applicant.kind == "incubation_base")))
        for base in bases:  # two years received closes the rent subsidy (at most 2 years) for half of them
            for year in ("2018", "2019")[(base.pk + 1) % 2:]:
                record_award(session, base, NewAward(RENT, parse_period(year), Decimal("1000.00"),
                                                     dt.date(2019, 5, 1), f"南人社〔{year}〕1号", "paid"), "gen",
                             dt.datetime(2019, 5, 2))
        record(session, [Change(b.pk, False, "rent_and_broadband_paid", "123456.78", parse_period("2019"),
                                Source("department", "人社", "gen")) for b in bases], reason_for_change="changed")


def _stored(engine: Engine) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    with Session(engine) as session:
        decisions = sorted((d.run_pk, d.applicant_pk, d.rule_id, d.status, d.amount_kind, d.amount_fen, d.missing,
                            d.as_of, d.current) for d in session.scalars(select(Decision)))
        snapshots = sorted((s.run_pk, s.applicant_pk, s.facts, s.awards)
                           for s in session.scalars(select(MatchSnapshot)))
        pushes = sorted((p.run_pk, p.applicant_pk, p.kind, p.rule_id, p.key, p.text, p.payload)
                        for p in session.scalars(select(Push)) if p.kind in TRANSITIONS)
        extras = sorted((p.run_pk, p.applicant_pk, p.kind, p.rule_id, p.key, p.text, p.payload)
                        for p in session.scalars(select(Push)) if p.kind not in TRANSITIONS)
    return decisions, snapshots, pushes, extras


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, engine: RulesEngine) -> dict[bool, tuple[Any, ...]]:
    """The same register matched three times by each path: {columnar: (stored rows, the runs' reports)}."""
    folder = tmp_path_factory.mktemp("columnar")
    first = database.connect(f"sqlite:///{folder / 'rowwise.db'}")
    database.upgrade(first)
    _fill(first, 11)
    first.dispose()
    shutil.copy(folder / "rowwise.db", folder / "columnar.db")
    out: dict[bool, tuple[Any, ...]] = {}
    for columnar in (False, True):
        register = database.connect(f"sqlite:///{folder / ('columnar.db' if columnar else 'rowwise.db')}")
        reports = [match(register, engine, DAY, columnar=columnar)]
        _change(register, 12)
        reports.append(match(register, engine, DAY, columnar=columnar))
        reports.append(match(register, engine, LATER, columnar=columnar))
        out[columnar] = (_stored(register), reports)
        register.dispose()
    return out


def test_the_columnar_match_stores_the_decisions_the_rule_by_rule_match_stores(
        both: dict[bool, tuple[Any, ...]]) -> None:
    (decisions, _s, _p, _e), reports = both[False]
    assert decisions == both[True][0][0]
    assert [r.evaluated for r in reports] == [r.evaluated for r in both[True][1]]
    refused = [[u["id"] for u in r.unreadable] for r in reports]
    assert refused == [[u["id"] for u in r.unreadable] for r in both[True][1]]  # (a share with 3 decimals)
    assert reports[0].evaluated + len(refused[0]) == COUNT and 0 < reports[1].evaluated < COUNT
    statuses = {d[3] for d in decisions}
    assert {"eligible", "not_eligible"} <= statuses  # (the generated register reaches both)
    assert any(d[5] for d in decisions) and len({d[4] for d in decisions if d[3] == "eligible"}) > 1


def test_the_columnar_match_keeps_the_same_receipts(both: dict[bool, tuple[Any, ...]]) -> None:
    snapshots = both[False][0][1]
    assert snapshots == both[True][0][1]
    assert any(s[3] != "[]" for s in snapshots)  # the award counted by the ledger is named


def test_the_columnar_match_pushes_the_same_transitions(both: dict[bool, tuple[Any, ...]]) -> None:
    pushes = both[False][0][2]
    assert pushes == both[True][0][2]
    assert {p[2] for p in pushes} == {"opened", "closed", "amount_changed"}
    rowwise = [[(p["id"], p["kind"], p["rule_id"], p["text"]) for p in r.pushed
                if p["kind"] in ("opened", "closed", "amount_changed")] for r in both[False][1]]
    assert rowwise == [[(p["id"], p["kind"], p["rule_id"], p["text"]) for p in r.pushed
                        if p["kind"] in TRANSITIONS] for r in both[True][1]]


def test_the_columnar_match_pushes_the_same_near_misses_and_missing_facts(
        both: dict[bool, tuple[Any, ...]]) -> None:
    extras = both[False][0][3]
    assert extras == both[True][0][3]
    kinds = {p[2] for p in extras}
    assert kinds == {"near_miss", "missing"}  # (the generated register reaches both)
    assert 1 in {p[0] for p in extras}  # (the later runs' ones already pushed are not pushed again)
    assert any(p[2] == "missing" and '"at_stake": null' not in p[6] for p in extras)  # some with the money known
    rowwise = [sorted((p["id"], p["kind"], p["rule_id"], p["text"]) for p in r.pushed if p["kind"] not in TRANSITIONS)
               for r in both[False][1]]
    assert rowwise == [sorted((p["id"], p["kind"], p["rule_id"], p["text"]) for p in r.pushed
                              if p["kind"] not in TRANSITIONS) for r in both[True][1]]


def test_a_near_miss_or_missing_fact_is_looked_for_only_where_a_decision_changed(
        both: dict[bool, tuple[Any, ...]]) -> None:
    (decisions, _s, _p, extras), _r = both[False]
    held = {(d[0], d[1], d[2]): d[3:7] for d in decisions}
    changed = {(d[0], d[1]) for d in decisions if d[0] > 1 and held.get((d[0] - 1, d[1], d[2])) != d[3:7]}
    later = {(p[0], p[1]) for p in extras if p[0] > 1}
    assert later <= changed and changed  # (the incremental runs change some decisions)


def test_a_columnar_run_without_near_misses_stores_the_same_decisions_and_no_near_miss(
        tmp_path: Path, engine: RulesEngine, both: dict[bool, tuple[Any, ...]]) -> None:
    register = database.connect(f"sqlite:///{tmp_path / 'plain.db'}")
    database.upgrade(register)
    _fill(register, 11)
    report = match(register, engine, DAY, columnar=True, near=False)
    stored = _stored(register)
    register.dispose()
    assert [d[:8] for d in stored[0]] == [d[:8] for d in both[False][0][0] if d[0] == 1]  # (but `current`)
    assert "near_miss" not in {p["kind"] for p in report.pushed}
    # (the facts an incomplete amount lacks, from the columns: a subset of what the evaluated run pushes)
    assert {e[1:] for e in stored[3]} <= {e[1:] for e in both[False][0][3] if e[0] == 1}


def test_one_changed_fact_through_the_columnar_path_pushes_exactly_the_opened_benefit(
        register_engine: Engine, tmp_path: Path, engine: RulesEngine) -> None:
    from tests.register.test_match import A, B, bases

    bases(register_engine, tmp_path, "否")
    first = match(register_engine, engine, DAY, columnar=True)
    assert first.mode == "full" and first.evaluated == 2
    bases(register_engine, tmp_path, "是", "bases-2.csv")  # B's recognition arrives: one fact changed
    second = match(register_engine, engine, DAY, columnar=True)
    assert second.evaluated == 1
    # 400,000 paid × 70% = 280,000 (below the 550,000 cap), 三(四)18
    assert [(p["id"], p["kind"], p["rule_id"], p["amount"]) for p in second.pushed] == [
        (B, "opened", RENT, "280000.00")]
    third = match(register_engine, engine, DAY, columnar=True)
    assert third.evaluated == 0 and third.pushed == []
    with Session(register_engine) as session:
        current = session.execute(select(Decision.status).join(Applicant, Applicant.pk == Decision.applicant_pk)
                                  .where(Applicant.ref == A, Decision.rule_id == RENT, Decision.current.is_(True))
                                  ).scalars().all()
        assert current == ["eligible"]
        assert session.query(Award).count() == 0
