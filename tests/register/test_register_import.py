"""Importing files into the register: every readable row stored as facts with their source, a bad row rejected
with its number, the same file twice changing nothing, a new value a new version; the profile on a date and
what was known on a day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.register.applicants import find, link_base
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.periods import parse_period
from guangxi_subsidy.engine.register.profiles import applying, facts_of
from guangxi_subsidy.engine.register.tables import Applicant, Fact, PersonalFact

BASE, FIRM = "91440300708461136T", "91110000600037341L"
HEADER = "id,kind,city,name,recognised_incubation_base,rent_and_broadband_paid\n"


def write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def options(period: str | None = "2017", source: str = "税务") -> ImportOptions:
    return ImportOptions(source, "officer-a", parse_period(period))


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(Applicant)) or 0,
                session.scalar(select(func.count()).select_from(Fact)) or 0,
                session.scalar(select(func.count()).select_from(PersonalFact)) or 0)


def test_every_readable_row_is_stored_and_a_bad_cell_rejects_only_its_row(register_engine: Engine,
                                                                          tmp_path: Path) -> None:
    path = write(tmp_path / "taxes.csv",
                 f"{BASE},incubation_base,南宁,某众创空间,是,90万",
                 f"{FIRM},enterprise,南宁,某公司,,",
                 "91110000600037341X,enterprise,南宁,错码公司,,",  # row 4: wrong check character
                 f"{FIRM},enterprise,南宁,又一行,,",  # row 5: the same applicant again
                 "P-0001,individual,南宁,张三,,",
                 "91440300708461136T2,enterprise,南宁,,,")  # row 7: 19 characters
    report = import_file(register_engine, path, options())
    assert report.rows == 6
    assert (report.applicants_new, report.applicants_changed, report.applicants_unchanged) == (3, 0, 0)
    assert [r.row for r in report.rejected] == [4, 5, 7]
    assert "character 18" in report.rejected[0].reason
    assert "row 3" in report.rejected[1].reason
    # facts: the base's city, name, recognition and rent (4); the firm's city and name (2); of the person, the
    # city only (1): a person's name is no field the rules read, so the register does not keep it
    assert (report.facts.new, report.facts.changed, report.facts.unchanged) == (7, 0, 0)
    assert counts(register_engine) == (3, 6, 1)  # the individual's facts kept apart


def test_the_same_file_twice_changes_nothing(register_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "taxes.csv", f"{BASE},incubation_base,南宁,某众创空间,是,900000",
                 "P-0001,individual,南宁,张三,,")
    import_file(register_engine, path, options())
    before = counts(register_engine)
    again = import_file(register_engine, path, options())
    assert counts(register_engine) == before
    assert (again.applicants_new, again.applicants_changed, again.applicants_unchanged) == (0, 0, 2)
    assert (again.facts.new, again.facts.changed, again.facts.unchanged) == (0, 0, 5)


def test_a_changed_value_is_a_new_version_and_the_old_one_is_kept(register_engine: Engine, tmp_path: Path) -> None:
    import_file(register_engine, write(tmp_path / "a.csv", f"{BASE},incubation_base,南宁,某众创空间,是,900000"),
                options())
    report = import_file(register_engine, write(tmp_path / "b.csv",
                                                f"{BASE},incubation_base,南宁,某众创空间,是,950000"), options())
    assert (report.facts.new, report.facts.changed, report.facts.unchanged) == (0, 1, 3)
    assert report.applicants_changed == 1
    with Session(register_engine) as session:
        facts = [f for f in facts_of(session, find(session, BASE)) if f.field == "rent_and_broadband_paid"]
    assert [(f.value, f.version, f.source_file) for f in facts] == [("900000", 1, "a.csv"), ("950000", 2, "b.csv")]
    assert facts[1].reason == "imported from b.csv"


def test_the_profile_on_a_date_takes_the_facts_of_that_period(register_engine: Engine, tmp_path: Path) -> None:
    import_file(register_engine, write(tmp_path / "2017.csv", f"{BASE},incubation_base,南宁,,是,900000"),
                options("2017"))
    import_file(register_engine, write(tmp_path / "2018.csv", f"{BASE},incubation_base,南宁,,是,600000"),
                options("2018"))
    with Session(register_engine) as session:
        facts = facts_of(session, find(session, BASE))
    rent = "rent_and_broadband_paid"
    assert applying(facts, dt.date(2017, 6, 1))[rent].value == "900000"
    assert applying(facts, dt.date(2018, 6, 1))[rent].value == "600000"
    # 2019: no 2019 value yet, so the latest period known (2018), shown with its period
    assert str(applying(facts, dt.date(2019, 3, 1))[rent].period) == "2018"
    assert rent not in applying(facts, dt.date(2016, 12, 31))  # a period not begun never applies


def test_what_was_known_on_a_day_leaves_out_later_records(register_engine: Engine, tmp_path: Path) -> None:
    import_file(register_engine, write(tmp_path / "a.csv", f"{BASE},incubation_base,南宁,,是,900000"), options(),
                when=dt.datetime(2018, 1, 5, 9, 30))
    import_file(register_engine, write(tmp_path / "b.csv", f"{BASE},incubation_base,南宁,,是,950000"), options(),
                when=dt.datetime(2018, 3, 1, 16, 0))
    rent, on = "rent_and_broadband_paid", dt.date(2017, 6, 1)
    with Session(register_engine) as session:
        applicant = find(session, BASE)
        assert applying(facts_of(session, applicant), on)[rent].value == "950000"
        assert applying(facts_of(session, applicant, dt.date(2018, 2, 1)), on)[rent].value == "900000"
        assert applying(facts_of(session, applicant, dt.date(2018, 3, 1)), on)[rent].value == "950000"  # that day
        assert applying(facts_of(session, applicant, dt.date(2018, 1, 4)), on) == {}


def test_two_spellings_of_one_amount_are_one_value(register_engine: Engine, tmp_path: Path) -> None:
    import_file(register_engine, write(tmp_path / "a.csv", f"{BASE},incubation_base,南宁,,是,900000"), options())
    again = import_file(register_engine, write(tmp_path / "b.csv", f"{BASE},incubation_base,南宁,,是,90万"),
                        options())
    assert (again.facts.new, again.facts.changed) == (0, 0)
    again = import_file(register_engine, write(tmp_path / "c.csv", f"{BASE},incubation_base,南宁,,是,900000.00"),
                        options())
    assert (again.facts.new, again.facts.changed) == (0, 0)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_a_workbook_or_parquet_file_imports_as_its_csv_does(register_engine: Engine, tmp_path: Path,
                                                            suffix: str) -> None:
    csv = write(tmp_path / "taxes.csv", f"{BASE},incubation_base,南宁,某众创空间,是,900000",
                f"{FIRM},enterprise,南宁,某公司,,")
    frame = pl.read_csv(csv, infer_schema=False)
    other = tmp_path / f"taxes{suffix}"
    if suffix == ".xlsx":
        frame.write_excel(other, worksheet="applicants")
    else:
        frame.write_parquet(other)
    first = import_file(register_engine, other, options())
    assert (first.applicants_new, first.facts.new, first.rejected) == (2, 6, [])
    again = import_file(register_engine, csv, options())  # the same values from the CSV: nothing changes
    assert (again.facts.new, again.facts.changed, again.facts.unchanged) == (0, 0, 6)


def test_an_incubated_firm_is_linked_to_its_base_and_only_to_a_base(register_engine: Engine, tmp_path: Path) -> None:
    import_file(register_engine, write(tmp_path / "a.csv", f"{BASE},incubation_base,南宁,,是,900000",
                                       f"{FIRM},enterprise,南宁,,,"), options())
    with Session(register_engine) as session, session.begin():
        link_base(session, FIRM, BASE)
        with pytest.raises(RegisterError, match="not an incubation base"):
            link_base(session, BASE, FIRM)
    with Session(register_engine) as session:
        assert find(session, FIRM).base_pk == find(session, BASE).pk
