"""`subsidy register import`: an applicant file (CSV, workbook, Parquet) read by the batch readers into the register.

The same nothing-lost rules as `subsidy batch`: a row the reader refuses, or whose cell cannot be read, is
rejected with its row number and reason, and every other row is stored. Each given cell becomes a fact for the
period of the import (`--period`), sourced to the department, the file and the row. A value the register already
holds for that field and period changes nothing, so the same file imported twice changes nothing; an applicant
repeated within one file is refused at its second row (which of two values is true is for a person to say).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import ProfileError
from guangxi_subsidy.engine.batch.run import open_source
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.intake.cells import is_extra, read_profile
from guangxi_subsidy.engine.intake.frames import ROW
from guangxi_subsidy.engine.register.applicants import Newcomer, ensure
from guangxi_subsidy.engine.register.facts import Change, Counts, Source, canonical, kept, now, record
from guangxi_subsidy.engine.register.identity import IdentityError, applicant_id, holder
from guangxi_subsidy.engine.register.periods import Period
from guangxi_subsidy.engine.register.tables import Import

CHUNK = 5000  # rows recorded at a time (one query for the applicants and one for their facts per chunk)


@dataclass(frozen=True)
class Rejected:
    row: int
    id: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: applicants new / changed / unchanged, facts new / changed / unchanged, rows refused."""

    file: str
    rows: int = 0
    applicants_new: int = 0
    applicants_changed: int = 0
    applicants_unchanged: int = 0
    facts: Counts = field(default_factory=Counts)
    rejected: list[Rejected] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"schema": "subsidy-register-import/1", "file": self.file, "rows": self.rows,
                "applicants": {"new": self.applicants_new, "changed": self.applicants_changed,
                               "unchanged": self.applicants_unchanged},
                "facts": {"new": self.facts.new, "changed": self.facts.changed, "unchanged": self.facts.unchanged},
                "rejected": [{"row": r.row, "id": r.id, "reason": r.reason} for r in self.rejected]}


@dataclass(frozen=True)
class ImportOptions:
    source: str  # the department (税务) or whoever gave the file
    recorded_by: str
    period: Period = Period()
    source_kind: str = "department"
    encoding: str | None = None


def import_file(engine: Engine, path: Path, options: ImportOptions, when: dt.datetime | None = None) -> ImportReport:
    """Import `path` into the register in one transaction; the report of what changed and what was refused.
    `when`: the time recorded (default now, UTC; given, to load an archive of earlier files)."""
    report = ImportReport(str(path))
    when = when or now()
    seen: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        for rows in _chunks(path, options, report, seen):
            _store(session, rows, options, path, when, report)
        changed = report.facts.new + report.facts.changed + report.applicants_new
        if changed:
            session.execute(insert(Import), [{
                "file": path.name, "sha256": _digest(path), "source": options.source,
                "period": str(options.period) or None, "imported_at": when, "imported_by": options.recorded_by,
                "rows": report.rows, "rejected": len({r.row for r in report.rejected}),
                "facts_new": report.facts.new, "facts_changed": report.facts.changed}])
    report.rejected.sort(key=lambda r: r.row)
    return report


Row = tuple[int, str, Profile]


def _chunks(path: Path, options: ImportOptions, report: ImportReport, seen: dict[str, int]) -> Iterator[list[Row]]:
    """The file's readable rows, a chunk at a time: (row number, register id, profile); the others rejected."""
    source = open_source(path, options.encoding, compiled=False)
    try:
        for chunk in source.chunks():
            report.rows += chunk.rows
            for problem in chunk.rejected:
                report.rejected.append(Rejected(problem.row, "", f"{problem.column}: {problem.reason}"))
            cells = chunk.as_text()
            rows: list[Row] = []
            for cells_of_row in cells.iter_rows(named=True):
                row = int(cells_of_row.pop(ROW))
                given = {k: v for k, v in cells_of_row.items() if not is_extra(k) and v is not None}
                found = _read(row, {k: str(v) for k, v in given.items()}, report, seen)
                if found is not None:
                    rows.append(found)
                if len(rows) >= CHUNK:
                    yield rows
                    rows = []
            if rows:
                yield rows
    finally:
        source.close()


def _read(row: int, cells: dict[str, str], report: ImportReport, seen: dict[str, int]) -> Row | None:
    """One row as (row, id, profile), or None with its rejection recorded."""
    shown_id = cells.get("id", "")
    try:
        profile = read_profile(cells, _("row {0}").format(row))
        ref = applicant_id(profile.id, profile.kind.value)
    except ProfileError as error:
        reasons = [_("{0}: got {1} — {2}").format(field, value, expected) for field, value, expected in error.problems]
        report.rejected.append(Rejected(row, shown_id, "; ".join(reasons)))
        return None
    except IdentityError as error:
        report.rejected.append(Rejected(row, shown_id, str(error)))
        return None
    if ref in seen:
        report.rejected.append(Rejected(row, shown_id, _("applicant '{0}' already given at row {1} of this file")
                                        .format(ref, seen[ref])))
        return None
    seen[ref] = row
    return row, ref, profile


def _store(session: Session, rows: list[Row], options: ImportOptions, path: Path, when: dt.datetime,
           report: ImportReport) -> None:
    newcomers = [Newcomer(ref, profile.kind.value, profile.city) for _row, ref, profile in rows]
    applicants, created = ensure(session, newcomers, when)
    report.applicants_new += len(created)
    changes = []
    for row, ref, profile in rows:
        applicant = applicants[ref]
        source = Source(options.source_kind, options.source, options.recorded_by, path.name, row)
        personal = holder(applicant.kind) == "individual"
        for name in sorted(profile.model_fields_set):
            value = getattr(profile, name)
            if value is None or not kept(name, personal):
                continue
            changes.append(Change(applicant.pk, personal, name, canonical(value), options.period, source))
    counts, touched = record(session, changes, when, _("imported from {0}").format(path.name))
    report.facts.new += counts.new
    report.facts.changed += counts.changed
    report.facts.unchanged += counts.unchanged
    new_pks = {applicants[ref].pk for ref in created}
    report.applicants_changed += len(touched - new_pks)
    report.applicants_unchanged += len({applicants[ref].pk for _row, ref, _p in rows} - touched - new_pks)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
