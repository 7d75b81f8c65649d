"""An empty applicant file to fill in: row 1 the field names, row 2 their Chinese labels.

Readers take either row as the header and skip a second row that repeats the labels, so a person may fill in
the template as it is, or delete either header row. CSV templates are written in UTF-8 with a byte order mark,
which Excel needs to show Chinese text correctly.
"""

from __future__ import annotations

import csv
from pathlib import Path

from guangxi_subsidy.engine.applicant.fields import field_labels


def write_template(path: Path) -> None:
    labels = field_labels()
    names = list(labels)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerow([labels[n] for n in names])
    elif suffix == ".xlsx":
        from openpyxl import Workbook  # only for .xlsx: it takes a while to import
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "applicants"
        sheet.append(names)
        sheet.append([labels[n] for n in names])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A3"
        book.save(path)
    else:
        raise ValueError(f"{path}: a template is .csv or .xlsx")
