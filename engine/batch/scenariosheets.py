"""A reform or a second date in the results workbook: the other side's results on a sheet of their own, and a
差异 sheet of the applicants whose outcomes differ, every head in Chinese.

`subsidy batch -o r.xlsx --reform R.yaml` (or `--compare-as-of DATE`) writes one workbook: 基准结果 (the
baseline, as the plain run's 结果), 改革方案结果 (or the second date's results), 差异 (per applicant: grants, relief
and loan quotas on each side and the difference, and the benefits that changed, by name), and the totals of
both sides. The rows of each side are set aside as the plain workbook's are, and written in order, in constant
memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from guangxi_subsidy.engine.batch.layouts import RuleInfo
from guangxi_subsidy.engine.batch.worksheets import print_setup, row_name, write_money
from guangxi_subsidy.engine.batch.writers.spill import Spill

SIDES = (("grants", "补助"), ("relief_estimate", "税费减免估算"), ("loan_quota", "贷款额度"))


@dataclass
class ScenarioSide:
    """What the workbook says of the second side: its name, and its differences from the baseline by batch."""

    kind: str  # reform | as_of
    label: str  # the reform's name, or the date
    rules: list[RuleInfo]
    spill: Spill = field(default_factory=Spill)  # the differences, set aside batch by batch

    @property
    def side_name(self) -> str:
        return "改革方案" if self.kind == "reform" else f"{self.label}"

    @property
    def sheet_name(self) -> str:
        return "改革方案结果" if self.kind == "reform" else f"{self.label} 结果"

    def add(self, difference: pl.DataFrame) -> None:
        self.spill.add("differences", difference, "row")


def difference_sheet(sheet: Any, side: ScenarioSide, baseline: list[RuleInfo], sheets: dict[int, str],
                     formats: dict[str, Any]) -> None:
    """Per applicant whose outcomes differ: each side's money, the difference, the benefits that changed."""
    names = {info.id: info.name for info in [*baseline, *side.rules]}
    head = ["表·行号" if sheets else "行号", "申请人编号", "申请人名称"]
    for _, word in SIDES:
        head += [f"{word}（基准，元）", f"{word}（{side.side_name}，元）", f"{word}差额（元）"]
    head.append("结果有变化的补贴")
    for column, text in enumerate(head):
        sheet.write_string(0, column, text, formats["head"])
    sheet.set_row(0, 48)
    items = (item for frame in side.spill.frames("differences") for item in frame.iter_rows(named=True))
    for line, item in enumerate(items, start=1):
        where = row_name(item["row"], sheets)
        if isinstance(where, str):
            sheet.write_string(line, 0, where)
        else:
            sheet.write_number(line, 0, where)
        for column, key in ((1, "id"), (2, "name")):
            if item[key] is not None:
                sheet.write_string(line, column, item[key])
        column = 3
        for name, _ in SIDES:
            for suffix in ("baseline", "alternative", "difference"):
                value = item[f"{name}_{suffix}"]
                write_money(sheet, line, column, value if isinstance(value, Decimal) else None, formats["money"])
                column += 1
        changed = "、".join(names.get(r, r) for r in (item["benefits_changed"] or "").split())
        sheet.write_string(line, column, changed, formats["wrap"])
    sheet.freeze_panes(1, 2)
    for column, width in enumerate([20 if sheets else 8, 16, 24] + [16] * 9 + [50]):
        sheet.set_column(column, column, width, formats["money"] if 3 <= column < 12 else None)
    print_setup(sheet)
