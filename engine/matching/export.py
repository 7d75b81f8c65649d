"""The pushes written for the platforms' messaging: a workbook (Chinese headings, for people), CSV and JSON Lines
(stable keys, for programs)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guangxi_subsidy.engine.matching.pushes import KIND_WORDS

COLUMNS = ("id", "run", "kind", "rule_id", "name", "text", "amount", "clause", "departments", "created_at")
HEADINGS = ("申请人", "匹配批次", "类别", "政策编号", "政策名称", "推送内容", "金额（元）", "条款", "受理部门",
            "推送时间")
FORMATS = (".xlsx", ".csv", ".jsonl")


def _cells(push: dict[str, Any]) -> list[Any]:
    amount = push.get("amount") or push.get("gain") or push.get("at_stake") or ""
    return [push["id"], push["run"], push["kind"], push["rule_id"], push.get("name", ""), push["text"], amount,
            push.get("clause", ""), "、".join(push.get("departments") or []), push["created_at"]]


def write(pushes: Sequence[dict[str, Any]], path: Path) -> int:
    """Write the pushes to `path` (.xlsx, .csv or .jsonl, by its suffix); the number written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: 文件类型应为 {'、'.join(FORMATS)}")
    if suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as out:
            for push in pushes:
                out.write(json.dumps(push, ensure_ascii=False, sort_keys=True) + "\n")
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            writer.writerows(_cells(p) for p in pushes)
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("推送")
        sheet.append(list(HEADINGS))
        for push in pushes:
            cells = _cells(push)
            cells[2] = KIND_WORDS.get(cells[2], cells[2])
            sheet.append(cells)
        book.save(path)
    return len(pushes)
