"""The package finds its data from anywhere, and a command loads only what it needs.

The wheel itself is checked by `make installed` (built, installed into a fresh environment, run from an empty
folder); these tests hold the pieces it relies on.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from guangxi_subsidy import data
from guangxi_subsidy.cli.lazy import LazyGroup
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.cli.rules import rules
from guangxi_subsidy.engine.rules.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent
BATCH_ONLY = ("polars", "numpy", "pyarrow", "openpyxl", "charset_normalizer")


def loaded_after(args: list[str], cwd: Path) -> tuple[set[str], str]:
    """The top-level modules a fresh interpreter holds after running `subsidy ARGS`, and what it printed."""
    program = (
        "import sys\n"
        "from guangxi_subsidy.cli.main import cli\n"
        "try:\n"
        f"    cli({args!r}, prog_name='subsidy')\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
    )
    ran = subprocess.run([sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, check=True,
                         env={"COLUMNS": "200", "PATH": ""})
    out, _, modules = ran.stdout.rpartition("\nMODULES ")
    return set(modules.split()), out


def test_the_bundled_folders_are_the_repositorys_own_in_a_checkout() -> None:
    assert data.RULES.resolve() == ROOT / "rules"
    assert data.SEEDS.resolve() == ROOT / "seeds"
    assert data.CASES.resolve() == ROOT / "cases"
    assert (data.RULES / "parameters.yaml").is_file()
    # every document the bundled rule files name is there (however many: no count is written here)
    assert sorted(p.name for p in data.SEEDS.glob("*.txt")) == sorted(load_pack().documents)


def test_the_examples_are_the_profiles_folder_by_name() -> None:
    assert set(data.examples()) == {p.stem for p in (ROOT / "cases" / "profiles").glob("*.yaml")}
    assert data.example_summary(data.examples()["nanning_incubation_base"]).startswith("A 众创空间 in Nanning")


def test_evaluate_of_a_bundled_example_works_from_another_folder(tmp_path: Path) -> None:
    modules, out = loaded_after(["evaluate", "--example", "nanning_incubation_base"], tmp_path)
    assert "550,000.00" in out  # 900,000 × 70% = 630,000, capped at 550,000 (document 002, 三(四)18)


def test_evaluating_one_profile_imports_nothing_only_batches_need(tmp_path: Path) -> None:
    modules, _ = loaded_after(["evaluate", "--example", "nanning_incubation_base", "--format", "json"], tmp_path)
    assert "durable" in modules and "guangxi_subsidy.engine.evaluation.evaluate" in modules
    assert not [name for name in BATCH_ONLY if name in modules]
    assert "guangxi_subsidy.cli.batch" not in modules
    assert "guangxi_subsidy.engine.scenarios.reform" not in modules  # (read only when a reform file is given)


@pytest.mark.parametrize("args", [["examples"], ["evaluate", "--example", "nanning_incubation_base"]])
def test_a_command_runs_with_the_collector_on_and_the_start_up_frozen(args: list[str]) -> None:
    """The program starts without the cycle collector (cli/collector.py) and switches it on again, with what the
    start-up built frozen, once the command is chosen: a long batch or server runs with a collector."""
    program = ("import atexit, gc, sys\n"
               "atexit.register(lambda: print('\\nGC', gc.isenabled(), gc.get_freeze_count() > 10_000))\n"
               f"sys.argv = ['subsidy', *{args!r}]\n"
               "from guangxi_subsidy.cli.launch import main\n"
               "main()\n")
    ran = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert ran.stdout.rpartition("\nGC ")[2].split() == ["True", "True"]


def test_commands_run_in_a_program_of_ones_own_leave_its_collector_as_it_was() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    assert CliRunner().invoke(cli, ["examples"]).exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_help_imports_no_command_and_lists_every_one(tmp_path: Path) -> None:
    modules, out = loaded_after(["--help"], tmp_path)
    light = ("guangxi_subsidy.cli.main", "guangxi_subsidy.cli.lazy", "guangxi_subsidy.cli.allocator",
             "guangxi_subsidy.cli.language", "guangxi_subsidy.cli.launch", "guangxi_subsidy.cli.collector",
             "guangxi_subsidy.cli.common", "guangxi_subsidy.engine",
             "guangxi_subsidy.engine.i18n")  # (stdlib only)
    ours = [m for m in modules if m.startswith(("guangxi_subsidy.engine", "guangxi_subsidy.cli."))]
    assert not [m for m in ours if m not in light]
    assert not {"rich", "pydantic", "yaml", "durable", *BATCH_ONLY} & modules
    for name in ("batch", "evaluate", "examples", "rules", "schema", "template", "test"):
        assert f"\n  {name} " in out


@pytest.mark.parametrize("group", [cli, rules], ids=["subsidy", "subsidy rules"])
def test_each_listed_summary_is_the_first_sentence_of_the_commands_own_help(group: click.Group) -> None:
    assert isinstance(group, LazyGroup) and group.lazy
    for name, (load, summary) in group.lazy.items():
        command = load()
        first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
        assert first_paragraph == summary, name


def test_help_lists_the_same_lines_before_and_after_the_commands_are_imported() -> None:
    before = CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "100"}).output
    for name in list(cli.list_commands(click.Context(cli))):
        cli.get_command(click.Context(cli), name)
    assert CliRunner().invoke(cli, ["--help"], env={"COLUMNS": "100"}).output == before


def test_evaluate_wants_a_file_or_an_example_not_both_nor_neither() -> None:
    profile = str(data.examples()["nanning_incubation_base"])
    for args in ([], [profile, "--example", "nanning_incubation_base"]):
        result = CliRunner().invoke(cli, ["evaluate", *args])
        assert result.exit_code == 2 and "--example" in result.output
    unknown = CliRunner().invoke(cli, ["evaluate", "--example", "nanning_base"])
    assert unknown.exit_code == 2 and "nanning_incubation_base" in unknown.output


def test_the_case_runner_defaults_to_the_bundled_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    default = CliRunner().invoke(cli, ["test"]).output
    named = CliRunner().invoke(cli, ["test", str(ROOT / "cases")]).output
    assert default == named and " passed, 0 failed" in default and not default.startswith("0 passed")


def test_examples_lists_each_name_with_its_file() -> None:
    out = CliRunner().invoke(cli, ["examples"]).output
    for name, path in data.examples().items():
        assert f"{name}\n" in out and str(path) in out


def test_the_receipt_names_the_pack_digest_of_the_bundled_rules() -> None:
    from guangxi_subsidy.engine.rules.pack import load_pack

    result = CliRunner().invoke(cli, ["evaluate", "--example", "nanning_incubation_base", "--format", "json"])
    receipt = json.loads(result.output)["receipt"]
    assert receipt["rules_digest"] == load_pack([ROOT / "rules"]).digest
