"""The register from the command line: `init && import` then `evaluate --register` on SQLite with no server
(and on the PostgreSQL server by --db), the same file twice changing nothing, the same documents as from a file,
`batch --register`, export read back by `subsidy batch`, forgetting a person; bad input exits 2 naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.evaluation import evaluate as evaluations
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

BASE, FIRM, PERSON = "91440300708461136T", "91110000600037341L", "NN-P-0001"
ROWS = ("id,kind,city,name,recognised_incubation_base,rent_and_broadband_paid\n"
        f"{BASE},incubation_base,南宁,某众创空间,是,900000\n"
        f"{FIRM},enterprise,南宁,某公司,,\n"
        f"{PERSON},individual,南宁,张三,,\n")


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch: pytest.MonkeyPatch, pack: RulePack, engine: Engine) -> None:
    """The bundled pack loaded and compiled once (each command would do it again)."""
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: pack if not paths else load_pack(paths))
    monkeypatch.setattr(evaluations, "Engine", lambda given: engine if given is pack else Engine(given))


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result


def imported(db: str, tmp_path: Path) -> Path:
    path = tmp_path / "人社2019.csv"
    path.write_text(ROWS, encoding="utf-8")
    run("register", "init", "--db", db)
    run("register", "import", str(path), "--source", "人社", "--period", "2019", "--db", db)
    return path


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_init_import_and_evaluate_from_the_register(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    shown = run("evaluate", "--register", BASE, "--as-of", "2019-06-01", "--db", db)
    assert "550,000.00" in shown.output  # 900,000 × 70% = 630,000, capped at 550,000 (002 三(四)18)
    explained = run("evaluate", "--register", BASE, "--as-of", "2019-06-01", "--explain", "--db", db)
    assert "人社, 人社2019.csv 第2行" in explained.output


def test_the_same_file_imported_twice_reports_nothing_new(db: str, tmp_path: Path) -> None:
    path = imported(db, tmp_path)
    again = as_json(run("register", "import", str(path), "--source", "人社", "--period", "2019", "--format", "json",
                        "--db", db))
    assert again["applicants"] == {"new": 0, "changed": 0, "unchanged": 3}
    assert again["facts"]["new"] == again["facts"]["changed"] == 0


def test_a_wrong_check_character_is_rejected_naming_the_position(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    path = tmp_path / "bad.csv"
    path.write_text("id,kind,city\n91440300708461136X,enterprise,南宁\n", encoding="utf-8")
    run("register", "init", "--db", db)
    result = run("register", "import", str(path), "--source", "税务", "--db", db)
    assert "row 2" in result.output and "character 18" in result.output and "expected 'T'" in result.output


def test_the_register_s_document_is_the_file_s_with_keys_added(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    profile = tmp_path / "base.yaml"
    profile.write_text(f"id: {BASE}\nkind: incubation_base\ncity: 南宁\nname: 某众创空间\nas_of: 2019-06-01\n"
                       "recognised_incubation_base: true\nrent_and_broadband_paid: 900000\n"
                       "rent_subsidy_years_received: 0\n", encoding="utf-8")
    for extra in ([], ["--explain"]):
        from_file = as_json(run("evaluate", str(profile), "--format", "json", *extra))
        from_register = as_json(run("evaluate", "--register", BASE, "--as-of", "2019-06-01", "--format", "json",
                                    "--db", db, *extra))
        assert from_register["as_of_source"] == "argument" and from_file["as_of_source"] == "profile"
        from_register["as_of_source"] = from_file["as_of_source"]
        for benefit in from_register["benefits"]:
            assert set(benefit) - {"fact_sources", "ledger"} == set(next(
                b for b in from_file["benefits"] if b["rule_id"] == benefit["rule_id"]))
            del benefit["fact_sources"], benefit["ledger"]
        assert {k: v for k, v in from_register["receipt"].items() if not k.startswith("register_")} == \
            from_file["receipt"]
        from_register["receipt"] = from_file["receipt"]
        del from_register["register"]
        assert from_register == from_file


def test_batch_from_the_register_gives_the_results_of_batch_on_the_same_file(db: str, tmp_path: Path) -> None:
    path = imported(db, tmp_path)
    plain = tmp_path / "plain.csv"  # the same applicants as a file, with the fields the empty ledger gives
    plain.write_text("id,kind,city,name,recognised_incubation_base,rent_and_broadband_paid,"
                     "rent_subsidy_years_received,one_time_subsidy_received,graduate_loan_quota_used,"
                     "new_product_subsidy_received_this_year,first_set_award_received_total,"
                     "bond_issuance_award_received,neeq_region_grant_received\n"
                     f"{BASE},incubation_base,南宁,某众创空间,是,900000,0,,,,,,\n"
                     f"{FIRM},enterprise,南宁,某公司,,,,否,0,0,0,0,否\n"
                     f"{PERSON},individual,南宁,,,,,,,,,,\n", encoding="utf-8")  # (a person's name is not kept)
    run("batch", str(plain), "-o", str(tmp_path / "from_file.parquet"), "-q", "--as-of", "2019-06-01")
    run("batch", "--register", "-o", str(tmp_path / "from_register.parquet"), "-q", "--as-of", "2019-06-01",
        "--db", db)
    keep = [c for c in pl.read_parquet(tmp_path / "from_file.parquet").columns if c != "row"]
    from_file = pl.read_parquet(tmp_path / "from_file.parquet").select(keep).sort("id")
    from_register = pl.read_parquet(tmp_path / "from_register.parquet").select(keep).sort("id")
    assert from_register.equals(from_file)
    assert path.exists()
    only = run("batch", "--register", "-o", str(tmp_path / "people.csv"), "-q", "--where", "kind=个人", "--db", db,
               "--summary", str(tmp_path / "summary.json"))
    assert only.exit_code == 0
    receipt = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["register"]
    # 3 applicants: the base's city, name, recognition and rent (4 facts), the firm's city and name (2) kept
    # with enterprise facts, the person's city (1) apart (a person's name is not kept)
    assert (receipt["applicants"], receipt["facts_through"], receipt["personal_facts_through"]) == (1, 6, 1)
    assert pl.read_csv(tmp_path / "people.csv").get_column("id").to_list() == [PERSON]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_an_export_is_read_by_batch(tmp_path: Path, suffix: str) -> None:
    db = str(tmp_path / "r.db")
    imported(db, tmp_path)
    out = tmp_path / f"profiles{suffix}"
    run("register", "export", "-o", str(out), "--as-of", "2019-06-01", "--db", db)
    result = run("batch", str(out), "-o", str(tmp_path / "results.csv"), "--summary", str(tmp_path / "s.json"))
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert summary["rows"]["evaluated"] == 3 and summary["rows"]["rejected"] == 0, result.output


def test_forget_erases_a_person_s_data_and_keeps_the_award_anonymised(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    run("register", "award", PERSON, "--rule", "guangxi.grassroots_graduate_tuition_compensation", "--period",
        "2019", "--amount", "8000", "--decided", "2019-09-01", "--reference", "桂人社〔2019〕3号", "--db", db)
    refused = run("register", "correct", PERSON, "name", "李四", "--reason", "更名", "--db", db, code=2)
    assert "not kept for an individual" in refused.output
    run("register", "forget", PERSON, "--yes", "--db", db)
    missing = run("register", "show", PERSON, "--db", db, code=2)
    assert "no applicant" in missing.output
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.tables import Applicant, Award, PersonalFact

    with Session(open_register(db)) as session:
        person = session.scalars(select(Applicant).where(Applicant.holder == "individual")).one()
        assert person.ref.startswith("已删除-") and person.forgotten_at is not None
        assert session.scalars(select(PersonalFact).where(PersonalFact.applicant_pk == person.pk)).all() == []
        [award] = session.scalars(select(Award).where(Award.applicant_pk == person.pk)).all()
        assert award.amount_fen == 800_000 and award.reference == "桂人社〔2019〕3号"
    firm = run("register", "forget", FIRM, "--yes", "--db", db, code=2)
    assert "organisation" in firm.output


def test_a_correction_is_a_new_version_with_its_reason_in_the_history(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    imported(db, tmp_path)
    run("register", "correct", BASE, "rent_and_broadband_paid", "95万", "--period", "2019", "--reason",
        "租赁合同复核", "--db", db)
    history = as_json(run("register", "history", BASE, "--format", "json", "--db", db))
    rent = [f for f in history["facts"] if f["field"] == "rent_and_broadband_paid"]
    assert [(f["value"], f["version"], f["reason"]) for f in rent] == [("900000", 1, None),
                                                                       ("950000", 2, "租赁合同复核")]
    no_reason = run("register", "correct", BASE, "rent_and_broadband_paid", "1", "--reason", " ", "--db", db, code=2)
    assert "reason" in no_reason.output


def test_a_register_not_created_exits_2_saying_what_to_run(tmp_path: Path) -> None:
    result = run("evaluate", "--register", BASE, "--db", str(tmp_path / "none.db"), code=2)
    assert "subsidy register init" in result.output
    assert not (tmp_path / "none.db").exists()


def test_a_period_that_cannot_be_read_exits_2_naming_it(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    path = imported(db, tmp_path)
    result = run("register", "import", str(path), "--source", "人社", "--period", "2019Q5", "--db", db, code=2)
    assert "2019Q5" in result.output


def test_show_lists_the_file_its_base_and_its_awards(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    imported(db, tmp_path)
    run("register", "link", FIRM, "--base", BASE, "--db", db)
    run("register", "award", FIRM, "--rule", "nanning.incubated_firm_one_time_subsidy", "--period", "2019",
        "--amount", "2000", "--decided", "2019-10-08", "--reference", "南人社〔2019〕40号", "--db", db)
    shown = as_json(run("register", "show", FIRM, "--as-of", "2019-12-31", "--format", "json", "--db", db))
    assert shown["base"] == BASE
    assert [(a["reference"], a["amount"]) for a in shown["awards"]] == [("南人社〔2019〕40号", "2000.00")]
    assert {f["field"]: f["source"]["row"] for f in shown["facts"]} == {"city": 3, "name": 3}


def test_a_server_that_refuses_or_a_folder_for_a_file_exits_2_naming_the_database(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = run("register", "init", "--db", f"postgresql://office@127.0.0.1:{port}/register", code=2)
    assert "cannot be opened" in refused.output and str(port) in refused.output
    folder = run("register", "init", "--db", str(tmp_path), code=2)
    assert "cannot be opened" in folder.output


def test_batch_from_the_register_reads_only_what_it_knew_on_a_day(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)  # recorded today, so the register knew none of it at the end of 2020-01-01
    summary = tmp_path / "summary.json"
    run("batch", "--register", "-o", str(tmp_path / "then.csv"), "-q", "--as-of", "2019-06-01",
        "--known-on", "2020-01-01", "--summary", str(summary), "--db", db)
    assert json.loads(summary.read_text(encoding="utf-8"))["register"]["known_on"] == "2020-01-01"
    then = pl.read_csv(tmp_path / "then.csv", infer_schema=False)
    run("batch", "--register", "-o", str(tmp_path / "now.csv"), "-q", "--as-of", "2019-06-01", "--db", db)
    now = pl.read_csv(tmp_path / "now.csv", infer_schema=False)
    grants = next(c for c in now.columns if c.startswith("grants"))

    def base(frame: pl.DataFrame) -> str:
        return frame.filter(pl.col("id") == BASE).get_column(grants).item()

    # today the base's recognition and its 900,000 rent are known: 900,000 × 70% capped at 550,000 (002 三(四)18);
    # on 2020-01-01 none of its facts had been recorded, so nothing is granted
    assert (base(then), base(now)) == ("0.00", "550000.00")
    refused = run("batch", str(tmp_path / "人社2019.csv"), "-o", str(tmp_path / "x.csv"), "--known-on", "2020-01-01",
                  code=2)
    assert "--known-on" in refused.output
