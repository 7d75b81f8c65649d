"""`subsidy register export`: the profiles on a date as a workbook (.xlsx), Parquet or CSV that `subsidy batch`
reads: a column per profile field (named by field), a row per applicant, every value as the text a profile file
holds (so the batch reads it with the same rules as any file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.i18n import _
from guangxi_subsidy.engine.register.bulk import profiles
from guangxi_subsidy.engine.register.database import RegisterError

FORMATS = (".xlsx", ".parquet", ".csv")


def columns() -> list[str]:
    return list(Profile.model_fields)


def frames(engine: Engine, as_of: dt.date, where: dict[str, str] | None = None,
           known_on: dt.date | None = None) -> list[pl.DataFrame]:
    """The profiles on `as_of`, a frame per block, every column text."""
    with Session(engine) as session:
        out = list(profiles(session, as_of, where, known_on))
    return out or [pl.DataFrame(schema=dict.fromkeys(columns(), pl.String))]


def export(engine: Engine, path: Path, as_of: dt.date, where: dict[str, str] | None = None,
           known_on: dt.date | None = None) -> int:
    """Write the profiles on `as_of` to `path` (.xlsx, .parquet or .csv); the number of applicants written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RegisterError(_("{0}: an export is .xlsx, .parquet or .csv").format(path))
    frame = pl.concat(frames(engine, as_of, where, known_on))
    frame = frame.select([c for c in frame.columns if frame.get_column(c).null_count() < frame.height
                          or c in ("id", "kind", "city")])
    try:
        if suffix == ".parquet":
            frame.write_parquet(path)
        elif suffix == ".csv":
            frame.write_csv(path)
        else:
            frame.write_excel(path, worksheet="applicants", autofit=False)
    except OSError as error:
        raise RegisterError(f"{path}: {error.strerror}") from None
    return frame.height


def snapshot(engine: Engine) -> dict[str, int]:
    """The register's high-water marks: the last fact, personal fact and award recorded. Rows are only ever
    added, so these pin exactly which versions a run read (the receipt of `subsidy batch --register`)."""
    from sqlalchemy import func, select

    from guangxi_subsidy.engine.register.tables import Award, Fact, PersonalFact

    with Session(engine) as session:
        return {"facts_through": session.scalar(select(func.max(Fact.pk))) or 0,
                "personal_facts_through": session.scalar(select(func.max(PersonalFact.pk))) or 0,
                "awards_through": session.scalar(select(func.max(Award.pk))) or 0}
