"""An empty applicant file to fill in.

A workbook (`.xlsx`) has a sheet of instructions and one sheet per kind of applicant, named by the kind, with
only the fields that kind's rules read (from the rule pack): row 1 the Chinese label with its unit (元, %, 月),
row 2 the field name (for programs; readers skip it), dropdowns for choices and yes/no, widths to fit. The
batch reader takes every such sheet, each sheet's kind known from its name (engine/intake/xlsxsource.py).

A CSV file holds one table: row 1 the field names, row 2 their labels, every field; it is written in UTF-8 with
a byte order mark, which Excel needs to show Chinese text correctly. Readers take either row as the header and
skip a second row that repeats the labels.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.applicant.fields import field_labels, field_symbols
from guangxi_subsidy.engine.applicant.fieldtable import BY_NAME, FACTS, UNIT_ZH
from guangxi_subsidy.engine.applicant.spellings import KIND_LABELS, SYNONYMS
from guangxi_subsidy.engine.applicant.values import NO, YES
from guangxi_subsidy.engine.language import ValueType
from guangxi_subsidy.engine.rules.pack import RulePack

IDENTITY = ("id", "name", "city", "district", "as_of")
INSTRUCTIONS = "填写说明"
# Sheet names cannot hold / \ ? * [ ] : — each kind's sheet is named by a spelling the reader takes for it.
SHEET_NAMES = {code: names[0].replace("/", "、") for code, names in SYNONYMS["kind"].items()}
SHEET_NAMES["incubation_base"] = "创业孵化基地"


def kind_of_sheet(title: str) -> str | None:
    """The kind of applicant a sheet is named for (its label, a synonym or its code), if any."""
    text = title.strip()
    for code, names in SYNONYMS["kind"].items():
        if text.lower() == code or text in names or text == SHEET_NAMES[code]:
            return code
    return None


def fields_by_kind(pack: RulePack) -> dict[str, list[str]]:
    """For each kind of applicant, the profile fields its rules (and the facts they require) read, in the
    profile's order, after the identity fields."""
    symbols = field_symbols()
    read: dict[str, set[str]] = {kind: set() for kind in KIND_LABELS}
    for rule in [*pack.rules.values(), *pack.derived.values()]:
        for kind in rule.kinds:
            read.setdefault(kind, set()).update(n for n in rule.fields_read() if n in symbols)
    order = [fact.name for fact in FACTS]
    return {kind: [*IDENTITY, *sorted(names - {"kind", "city"}, key=order.index)] for kind, names in read.items()}


def header(name: str) -> str:
    """A column's heading: the field's label, with its unit."""
    label = field_labels()[name]
    unit = UNIT_ZH.get(BY_NAME[name].unit or "")
    return f"{label}（{unit}）" if unit else label


def choices(name: str) -> list[str] | None:
    """The values a dropdown offers: yes/no, or each choice's label."""
    symbol = field_symbols().get(name)
    if name == "city":
        return [names[0] for names in SYNONYMS["city"].values()]
    if symbol is not None and symbol.type == ValueType.BOOL:
        return [YES[0], NO[0]]
    if name in SYNONYMS:
        return [names[0] for names in SYNONYMS[name].values()]
    return None


def write_template(path: Path, pack: RulePack | None = None) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        labels = field_labels()
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(labels))
            writer.writerow(list(labels.values()))
    elif suffix == ".xlsx":
        if pack is None:
            from guangxi_subsidy.engine.rules.pack import load_pack

            pack = load_pack()
        _workbook(path, fields_by_kind(pack))
    else:
        raise ValueError(f"{path}: a template is .csv or .xlsx")


def _workbook(path: Path, kinds: dict[str, list[str]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1})
    code = book.add_format({"font_color": "#808080", "font_size": 8})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    _instructions(book.add_worksheet(INSTRUCTIONS), kinds, head, wrap)
    for kind, names in kinds.items():
        sheet = book.add_worksheet(SHEET_NAMES[kind])
        for column, name in enumerate(names):
            text = header(name)
            sheet.write_string(0, column, text, head)
            sheet.write_string(1, column, name, code)
            sheet.set_column(column, column, max(10, min(40, len(text) * 2 + 2)))
            offered = choices(name)
            if offered is not None:
                sheet.data_validation(2, column, 10001, column, {
                    "validate": "list", "source": offered, "error_type": "warning",
                    "input_title": field_labels()[name][:32], "input_message": "从下拉列表选择"[:255],
                })
            described = BY_NAME[name].description or ""
            sheet.write_comment(0, column, described[:500], {"x_scale": 2})
        sheet.set_row(0, 36)
        sheet.freeze_panes(2, 1)
    book.close()


def _instructions(sheet: Any, kinds: dict[str, list[str]], head: Any, wrap: Any) -> None:
    lines = [
        ("怎么填", "每类申请人一张表：在与申请人类型同名的表里，从第 3 行起每行填一个申请人。第 1 行是栏目名称（括号里"
                 "是单位），第 2 行是程序读取的字段名，请勿删除或修改这两行。不适用的栏目留空即可，留空表示“未提供”，"
                 "不会当作 0。"),
        ("必填", "申请人编号（同一文件内不重复）、所在城市；评估日期不填时按运行当天或命令行 --as-of 的日期。"),
        ("金额", "以元为单位，可写 550000、550,000.00、¥550000、55万、12亿；最多两位小数。"),
        ("比例", "写 85% 或 0.85。"),
        ("是/否", "从下拉列表选“是”或“否”；也可写 有/无、√/×。"),
        ("日期", "写 2017-06-30、2017/6/30、2017年6月30日 或 20170630。"),
        ("城市", "写 南宁、南宁市，或连同区县写 南宁市青秀区（区县另列在结果中）。"),
        ("其他栏目", "可以加“序号”“备注”等自己的栏目，程序不读取，会在运行时列出。"),
        ("计算", "subsidy batch 本文件.xlsx -o 结果.xlsx"),
    ]
    sheet.write_string(0, 0, "项目", head)
    sheet.write_string(0, 1, "说明", head)
    for line, (key, text) in enumerate(lines, start=1):
        sheet.write_string(line, 0, key, wrap)
        sheet.write_string(line, 1, text, wrap)
    line = len(lines) + 2
    sheet.write_string(line, 0, "表", head)
    sheet.write_string(line, 1, "申请人类型与栏目数", head)
    for kind, names in kinds.items():
        line += 1
        sheet.write_string(line, 0, SHEET_NAMES[kind], wrap)
        sheet.write_string(line, 1, f"{KIND_LABELS[kind]}（{kind}）：{len(names)} 个栏目", wrap)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 100)
