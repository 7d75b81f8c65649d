"""Text from people and files is printed as the text it is: names with `[`, `]` and `/` come back as written,
control characters come back in their escaped form, and no command fails on them."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_batch_files import AS_OF

from guangxi_subsidy.cli import common as cli_main
from guangxi_subsidy.cli.main import cli
from guangxi_subsidy.engine.evaluation import evaluate as evaluations
from guangxi_subsidy.engine.evaluation.evaluate import Engine
from guangxi_subsidy.engine.plaintext import visible
from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

ROOT = Path(__file__).resolve().parent.parent
WIDE = {"COLUMNS": "1000"}  # no line is wrapped, so a name is found whole
# Markup, emoji codes, escapes, terminal codes and control characters, among ordinary letters.
PIECES = ["[", "]", "/", "\\", ":", "=", "a", "b", "广", "西", " ", "link", "bold", "red", "\x1b", "\x1b[31m",
          "\x1b]8;;", "\x07", "\x08", "\r", "\n", "\t", "\x00", "\x7f", "\x9b", "\u202e", "smile"]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=16).map("".join)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=WIDE)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the bundled rules whose first rule's name and first condition's words are replaced per test."""
    folder = tmp_path_factory.mktemp("rules")
    for path in (ROOT / "rules").glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    yield folder


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch: pytest.MonkeyPatch, pack: RulePack, engine: Engine) -> None:
    """The bundled pack loaded and compiled once (each command would do it again)."""
    # (the CLI imports both when it first needs them)
    monkeypatch.setattr(packs, "load_pack", lambda paths=None: pack if not paths else load_pack(paths))
    monkeypatch.setattr(evaluations, "Engine", lambda given: engine if given is pack else Engine(given))


def profile(path: Path, **fields: object) -> Path:
    data = {"id": "A1", "kind": "incubation_base", "city": "nanning", "recognised_incubation_base": True,
            "rent_and_broadband_paid": "100000", "rent_subsidy_years_received": 0, "as_of": AS_OF} | fields
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["x [/x]", "[abc]广西公司", "[/]", "[bold]粗[/bold]", "[link=http://x]x[/link]",
                                  ":smile: \\[a]"])
def test_evaluate_prints_names_with_markup_as_written(tmp_path: Path, name: str) -> None:
    for explain in ([], ["--explain"]):
        code, out, err = run("evaluate", str(profile(tmp_path / "p.json", name=name)), *explain)
        assert code == 0, err
        assert f"{name} · incubation_base · nanning" in out


@settings(max_examples=max(settings().max_examples // 3, 10))  # (each runs five commands)
@given(text=HOSTILE)
def test_hostile_text_comes_back_as_written_through_every_command(tmp_path_factory: pytest.TempPathFactory,
                                                                  text: str) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    written = text.strip()  # (as the profile reads it: surrounding spaces are not part of a name)
    assume(written)
    # evaluate, table and explanation: the applicant's name and id
    for explain in ([], ["--explain"]):
        code, out, err = run("evaluate", str(profile(folder / "p.json", name=text, id=text)), *explain)
        assert code == 0, err
        assert f"{visible(written)} · incubation_base" in out
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", out)  # no control character but line ends
    # an error quoting the value it refused
    code, _, err = run("evaluate", str(profile(folder / "bad.json", city=text)))
    quoted = repr(text) if len(repr(text)) <= 40 else repr(text)[:37] + "…"  # (values are shown cut to 40)
    assert code == 2 and visible(quoted) in err.replace("\n", "")
    # rules show of a rule that is not there
    code, _, err = run("rules", "show", text)
    assert code == 2 and visible(text) in err.replace("\n", "")
    # batch: its closing line names the errors file, whose name holds the text
    (folder / "input").mkdir()
    source = folder / "input" / "a.csv"  # (apart from the errors file, whose name the text makes)
    source.write_text("id,kind,city\nA1,enterprise,南宁\nA2,enterprise,深圳\n", encoding="utf-8")
    errors = folder / (re.sub("[/\x00]", "_", text)[:60] + ".csv")
    code, _, err = run("batch", str(source), "-o", str(folder / "r.csv"), "--errors", str(errors), "-q")
    assert code == 0, err
    assert visible(errors) in err.replace("\n", "") and errors.exists()


def _yaml(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON's escapes are YAML's; DEL must be escaped too)."""
    return json.dumps(text).replace("\x7f", "\\x7f")


@settings(max_examples=max(settings().max_examples // 6, 5))  # (each loads and checks a whole pack)
@given(text=HOSTILE)
def test_rules_show_prints_a_rule_files_text_as_written(hostile_pack: Path, text: str) -> None:
    text = f"规则{text}末"  # (a rule's name has two characters at least)
    rules = hostile_pack / "000_guangxi_innovation_2018.yaml"
    original = (ROOT / "rules" / rules.name).read_text(encoding="utf-8")
    rules.write_text(original.replace("name: 企业购买科技成果转化后补助", f"name: {_yaml(text)}", 1)
                     .replace("says: 购买新兴产业、传统优势产业发展需要的科技成果", f"says: {_yaml(text)}", 1),
                     encoding="utf-8")
    code, out, err = run("--rules", str(hostile_pack), "rules", "show", "guangxi.tech_purchase_post_subsidy")
    assert code == 0, err
    assert visible(text) in out  # (the name line)
    assert f"— {visible(text)}" in out  # (the condition's words)
    assert "\x1b" not in out


@given(text=HOSTILE)
def test_the_internal_error_handler_prints_any_text_and_exits_1(text: str) -> None:
    def failing() -> None:
        raise RuntimeError(text)

    printed = io.StringIO()
    with contextlib.redirect_stderr(printed), pytest.raises(SystemExit) as stopped:
        cli_main.friendly_errors(failing)()
    assert stopped.value.code == 1
    assert visible(f"RuntimeError: {text}", lines=True) in printed.getvalue()
