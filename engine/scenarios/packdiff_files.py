"""The files of `subsidy rules diff`: the applicants read in, and the result written as a workbook for people.

Applicants come in every format `subsidy batch` reads — CSV, a workbook (.xlsx, a sheet per kind as `subsidy
template` writes it), Parquet, Arrow — through the batch's own entry (`batch.run.open_source`), so a cell means
here what it means in a batch; and as JSON Lines (one profile a line, as `POST /api/v1/evaluate-many` takes
them, each line read by the profile model as a `.json` profile is). A row the readers refuse stops the command
with the row and the reason: a comparison of two packs over a list with holes in it would misstate the money.

The workbook (`-o diff.xlsx`) is written by the guide's writer (`guide_files.write_book`), in Chinese throughout:
规则变化, then, with applicants, 申请人增减, 按事项, 按牵头部门, and 说明.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError, parse_profile
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.money import format_yuan
from guangxi_subsidy.engine.scenarios.packdiff import Impact, RuleChange

JSON_LINES = (".jsonl", ".ndjson")
MAX_LINE = 1024 * 1024  # bytes of one JSON line, as the API's evaluate-many allows


def applicant_profiles(path: Path, encoding: str | None = None) -> Iterator[Profile]:
    """The applicants of a file, in order; a row that cannot be read raises ProfileError naming it (and a file
    that cannot be read at all, the batch's BatchInputError)."""
    if path.suffix.lower() in JSON_LINES:
        yield from _json_lines(path)
        return
    from guangxi_subsidy.engine.batch.run import open_source
    from guangxi_subsidy.engine.intake.cells import is_extra, read_profile
    from guangxi_subsidy.engine.intake.frames import ROW

    source = open_source(path, encoding, compiled=False)
    try:
        for chunk in source.chunks():
            if chunk.rejected:
                first = chunk.rejected[0]
                where = f"{path.name} " + _("row {0}").format(first.row)
                raise ProfileError(where, [(first.column, first.value[:80], first.reason)])
            for cells in chunk.as_text().iter_rows(named=True):
                row = int(cells.pop(ROW))
                given = {k: str(v) for k, v in cells.items() if not is_extra(k) and v is not None}
                yield read_profile(given, f"{path.name} " + _("row {0}").format(row))
    finally:
        source.close()


def _json_lines(path: Path) -> Iterator[Profile]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path.name} " + _("row {0}").format(number)
            if len(raw) > MAX_LINE:
                raise ProfileError(where, [("(line)", f"{len(raw)} bytes", f"a line of at most {MAX_LINE} bytes")])
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
            except (UnicodeDecodeError, ValueError, RecursionError) as error:
                shown = raw[:40].decode("utf-8", "replace")
                raise ProfileError(where, [("(line)", shown, f"a JSON object, one profile ({error})")]) from None
            yield parse_profile(data, where)


def _cell(amount: Decimal) -> str:
    return format_yuan(amount)


def write_workbook(path: Path, old: str, new: str, changes: list[RuleChange], result: Impact | None,
                   applicants: Path | None, as_of: str | None) -> None:
    """The diff as a workbook for people, by the guide's writer; OSError when it cannot be written."""
    from guangxi_subsidy.engine.rules.guide_files import Sheet, write_book

    heading = f"规则变化：共 {len(changes)} 项"
    sheets = [Sheet("规则变化", heading, ("序号", "事项", "变化", "内容"),
                    [(str(i), c.name, c.change, "\n".join(c.details)) for i, c in enumerate(changes, 1)],
                    (6, 32, 8, 90))]
    if result is not None:
        people = [(w, "增加", _cell(d)) for w, d in sorted(result.gainers, key=lambda x: -x[1])]
        people += [(w, "减少", _cell(d)) for w, d in sorted(result.losers, key=lambda x: x[1])]
        sheets.append(Sheet("申请人增减", f"增加 {len(result.gainers)} 户，减少 {len(result.losers)} 户，"
                            f"不变 {result.unchanged} 户", ("申请人", "增减", "差额（元）"), people, (30, 8, 18)))
        for name, title, rows in (("按事项", "事项", result.by_benefit),
                                  ("按牵头部门", "牵头部门", result.by_department)):
            lines = [(key, _cell(m.before), _cell(m.after), _cell(m.difference))
                     for key, m in sorted(rows.items(), key=lambda kv: kv[1].difference)]
            sheets.append(Sheet(name, f"资金变化（元），{name}", (title, "调整前（元）", "调整后（元）", "差额（元）"),
                                lines, (36, 18, 18, 18)))
    notes = [("调整前的规则", old), ("调整后的规则", new),
             ("申请人文件", str(applicants) if applicants else "（未提供）"),
             ("测算日期", as_of or "各申请人自填的日期")]
    sheets.append(Sheet("说明", "两版规则的比较", ("项目", "内容"), notes, (20, 80)))
    write_book(path, sheets)
