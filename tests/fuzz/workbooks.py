"""Workbooks written from their XML, so a test can give a reader what generators really write: a wrong
dimension tag, a row number twice, formulas without values, NaN in a numeric cell, a file cut short."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
Cell = str | int | float | None | tuple[str, str | None]  # text, number, or (formula, cached value)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _cell(ref: str, value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        formula, cached = value
        cached_xml = "" if cached is None else f"<v>{escape(cached)}</v>"
        return f'<c r="{ref}"><f>{escape(formula)}</f>{cached_xml}</c>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows: Sequence[tuple[int, Sequence[Cell]]], dimension: str | None = None) -> str:
    """A sheet of (row number, cells) as given (numbers may repeat or skip), with the dimension tag given."""
    body = []
    for number, cells in rows:
        inner = "".join(_cell(f"{_letter(i)}{number}", v) for i, v in enumerate(cells))
        body.append(f'<row r="{number}">{inner}</row>')
    dim = "" if dimension is None else f'<dimension ref="{dimension}"/>'
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>')


def write_workbook(path: Path, rows: Sequence[tuple[int, Sequence[Cell]]], dimension: str | None = None,
                   sheet: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet if sheet is not None else sheet_xml(rows, dimension))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def numbered(rows: Sequence[Sequence[Cell]], first: int = 1) -> list[tuple[int, Sequence[Cell]]]:
    return [(first + i, cells) for i, cells in enumerate(rows)]
