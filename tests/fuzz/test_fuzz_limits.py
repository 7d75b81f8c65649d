"""The inputs that once ran out of memory or time, run as a user runs them (the installed command, in a
process of its own) under resource limits: 2 GB of address space and a minute of CPU. Each must end with a
clear error (exit 2) or a full result, well inside the limits."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from workbooks import numbered, write_workbook

MEMORY = 2 << 30
CPU_SECONDS = 60
HEADER = "id: X1\nkind: enterprise\ncity: nanning\n"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def subsidy(*args: str, seconds: float = 90) -> tuple[int, str, float]:
    command = [sys.executable, "-c", "from guangxi_subsidy.cli.main import main; main()", *args]
    start = time.monotonic()
    done = subprocess.run(command, preexec_fn=_limited, capture_output=True, text=True, timeout=seconds,
                          env={"SUBSIDY_LANG": "en", "PATH": "/usr/bin:/bin"})
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    return done.returncode, output, time.monotonic() - start


def test_an_alias_bomb_of_a_few_hundred_bytes_is_refused_within_the_limits(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bomb.stat().st_size < 600
    code, output, _ = subsidy("evaluate", str(bomb))
    assert code == 2 and "alias" in output


def test_a_ten_megabyte_id_and_a_hundred_thousand_unknown_keys_are_refused_briefly(tmp_path: Path) -> None:
    big = tmp_path / "big_id.yaml"
    big.write_text("id: " + "x" * 10_000_000 + "\nkind: enterprise\ncity: nanning\n", encoding="utf-8")
    code, output, seconds = subsidy("evaluate", str(big))
    assert code == 2 and "id" in output and len(output) < 5_000 and seconds < 60
    keys = tmp_path / "keys.yaml"
    keys.write_text(HEADER + "".join(f"unknown_{i}: 1\n" for i in range(100_000)), encoding="utf-8")
    code, output, _ = subsidy("evaluate", str(keys))
    assert code == 2 and "100000 problem(s)" in output and "… and 99980 more" in output
    assert len(output) < 10_000  # the list is capped: not 6 MB of errors


def test_a_shared_strings_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "bomb.xlsx", numbered([["id", "kind", "city"], ["A1", "enterprise", "nanning"]]))
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/sharedStrings.xml", "w",
                                                                                     force_zip64=True) as part:
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        block = b"<si><t>lol</t></si>" * 50_000
        for _ in range(300):  # 285 MB of XML, under 1 MB compressed
            part.write(block)
        part.write(b"</sst>")
    code, output, _ = subsidy("batch", str(book), "-o", str(tmp_path / "out.csv"), "--quiet")
    assert code == 2 and "sharedStrings" in output


def test_a_cell_of_a_million_digit_exponent_rejects_its_row_only(tmp_path: Path) -> None:
    source = tmp_path / "applicants.csv"
    source.write_text("id,kind,city,rent_and_broadband_paid,recognised_incubation_base\n"
                      "A1,incubation_base,nanning,900000,是\nA2,incubation_base,nanning,1e1000000,是\n"
                      "A3,incubation_base,nanning,1e999999999万,是\nA4,incubation_base,nanning,5,是\n",
                      encoding="utf-8")
    code, output, _ = subsidy("batch", str(source), "-o", str(tmp_path / "out.csv"), "--as-of", "2017-06-30")
    assert code == 0, output
    results = (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()
    errors = (tmp_path / "out.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in results[1:]] == ["2", "5"]
    assert [line.split(",")[0] for line in errors[1:]] == ["3", "4"]
