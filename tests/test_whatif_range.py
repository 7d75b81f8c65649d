"""What-if over a range the field cannot hold (`--to 1e30`): exit 2 naming the option, the value and the range
the field holds, on the command line; a 422 page on the web; never the arithmetic's own error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.web.app import create_app

BASE = Path(__file__).resolve().parent.parent / "cases" / "profiles" / "nanning_incubation_base.yaml"


@pytest.mark.parametrize(("field", "start", "stop", "expected"), [
    ("rent_and_broadband_paid", "0", "1e30", "a value from 0 to 9,999,999,999,999,999.99, what the field holds"),
    ("rent_and_broadband_paid", "-1e30", "0", "a value from 0 to"),
    ("rent_and_broadband_paid", "0", "1e999999", "a value from 0 to"),
    ("rent_subsidy_years_received", "0", "1e30", "a value from 0 to 100"),
])
def test_whatif_beyond_what_the_field_holds_exits_2_naming_the_range(field: str, start: str, stop: str,
                                                                     expected: str) -> None:
    result = CliRunner().invoke(cli, ["whatif", str(BASE), "--vary", field, "--from", start, "--to", stop,
                                      "--steps", "3"], env={"COLUMNS": "300", "SUBSIDY_LANG": "en"})
    said = " ".join(result.stderr.split())
    assert result.exit_code == 2, said
    assert expected in said and field in said and "internal error" not in said


def test_the_web_what_if_over_a_huge_range_is_a_422_page(engine: Engine) -> None:
    client = TestClient(create_app(engine=engine))
    answers = {"kind": "incubation_base", "city": "nanning", "as_of": "2017-03-01", "action": "evaluate",
               "recognised_incubation_base": "true", "rent_and_broadband_paid": "900000",
               "rent_subsidy_years_received": "0", "vary": "rent_and_broadband_paid", "vary_from": "0"}
    for stop in ("1e30", "1e999999", "-5"):
        page = client.post("/whatif", data={**answers, "vary_to": stop})
        assert page.status_code == 422, (stop, page.text[-300:])
        assert "实际缴纳房租和宽带接入费" in page.text or "起止数值" in page.text  # the field's label, or from / to
