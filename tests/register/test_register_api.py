"""The Python API evaluates from the register as `subsidy evaluate --register` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from guangxi_subsidy.api import evaluate_registered
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.register.database import RegisterError
from guangxi_subsidy.engine.register.importer import ImportOptions, import_file
from guangxi_subsidy.engine.register.periods import parse_period

BASE = "91440300708461136T"


def test_the_api_gives_the_command_s_document(db: str, tmp_path: Path, register_engine: Engine) -> None:
    path = tmp_path / "base.csv"
    path.write_text(f"id,kind,city,recognised_incubation_base,rent_and_broadband_paid\n"
                    f"{BASE},incubation_base,南宁,是,900000\n", encoding="utf-8")
    import_file(register_engine, path, ImportOptions("人社", "officer-a", parse_period("2019")))
    document = evaluate_registered(BASE, db=db, as_of="2019-06-01")
    printed = CliRunner().invoke(cli, ["evaluate", "--register", BASE, "--as-of", "2019-06-01", "--format", "json",
                                       "--db", db])
    assert printed.exit_code == 0, printed.output
    assert document == json.loads(printed.stdout)
    # 900,000 × 70% = 630,000, capped at 550,000 a base a year (002 三(四)18)
    assert document["totals"]["grants"] == "550000.00"
    with pytest.raises(RegisterError, match="no applicant"):
        evaluate_registered("91110000600037341L", db=db)
