"""The library API: the engine from Python, without the command line or files.

    from guangxi_subsidy import load_pack, evaluate, evaluate_frame, summarise

    result = evaluate({"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
                       "recognised_incubation_base": True, "rent_and_broadband_paid": "900000",
                       "rent_subsidy_years_received": 0})
    result["totals"]["grants"]            # '550000.00', the dict `subsidy evaluate --format json` prints
    evaluate_registered("91440300708461136T", as_of="2019-06-01")   # from the register (一企一档), as --register

    outcome = evaluate_frame(frame)       # a polars DataFrame or an Arrow table, one applicant a row
    outcome.results                       # one row per applicant evaluated (the wide layout of `subsidy batch`)
    outcome.rejections                    # one row per problem of a rejected row, with its row number
    outcome.totals                        # {'grants': Decimal('…'), …}: exact, in yuan
    summarise(outcome)                    # the `subsidy-batch-summary/1` dict of `subsidy batch --summary`

These names are stable within the package's major version: arguments are only added, with defaults, and keys are
only added. Importing the package costs little: the batch functions import polars when first called, and
`evaluate` never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guangxi_subsidy.engine.applicant.profile import Profile
from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import ENGINE_VERSION, Engine
from guangxi_subsidy.engine.rules import pack as packs
from guangxi_subsidy.engine.rules.pack import RulePack

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from guangxi_subsidy.engine.batch.layouts import BatchResult
    from guangxi_subsidy.engine.batch.summary import Summary

__all__ = ["BatchOutcome", "Profile", "RulePack", "evaluate", "evaluate_frame", "evaluate_registered", "load_pack",
           "summarise"]

_ENGINES: dict[int, tuple[RulePack, Engine]] = {}
_BUNDLED: list[RulePack] = []


def load_pack(rules: str | Path | Sequence[str | Path] | None = None) -> RulePack:
    """The rule pack: the bundled rules (None), or rule files and folders of your own (a folder is searched for
    its *.yaml rule files, as `subsidy --rules` does). Raises RulePackError naming each problem."""
    if rules is None:
        if not _BUNDLED:
            _BUNDLED.append(packs.load_pack())
        return _BUNDLED[0]
    paths = [Path(rules)] if isinstance(rules, str | Path) else [Path(p) for p in rules]
    return packs.load_pack(paths)


def _engine(pack: RulePack | None) -> Engine:
    pack = pack if pack is not None else load_pack()
    found = _ENGINES.get(id(pack))
    if found is None or found[0] is not pack:
        found = _ENGINES[id(pack)] = (pack, Engine(pack))
    return found[1]


def _day(value: dt.date | str | None, name: str = "as_of") -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: got {value!r}, expected a date (YYYY-MM-DD)") from None


def evaluate(profile: Mapping[str, Any] | Profile, *, as_of: dt.date | str | None = None,
             include_drafts: bool = False, explain: bool = False, pack: RulePack | None = None) -> dict[str, Any]:
    """One applicant's benefits: the dict `subsidy evaluate --format json` prints (schema
    `subsidy-evaluation/1`, with `--explain`'s checks when `explain`). `profile` is a mapping of profile fields
    (values as a profile file holds them: '900000', 900000, Decimal, '南宁', True …; a mapping with a
    `profile` key is read as a case file's profile) or a Profile. Raises ProfileError naming each field,
    value and expectation."""
    from guangxi_subsidy.engine.answers.document import evaluation_document

    if not isinstance(profile, Profile):
        data = dict(profile)
        if isinstance(data.get("profile"), Mapping):
            data = dict(data["profile"])
        profile = parse_profile(data, "profile")
    engine = _engine(pack)
    found_pack = engine.pack
    found = engine.evaluate(profile, as_of=_day(as_of), include_drafts=include_drafts)
    return evaluation_document(found, found_pack, explain)


def evaluate_registered(applicant_id: str, *, db: str | None = None, as_of: dt.date | str | None = None,
                        known_on: dt.date | str | None = None, include_drafts: bool = False, explain: bool = False,
                        pack: RulePack | None = None) -> dict[str, Any]:
    """One applicant of the register (一企一档): the dict `subsidy evaluate --register ID --format json` prints,
    from its facts on `as_of` (default today) as known at the end of `known_on` (default: everything), with
    the fields the awards ledger counts computed from it. `db`: as `--db` (else SUBSIDY_DB, else the default
    file). Raises RegisterError (an unknown applicant, a register not created) naming the fault."""
    from guangxi_subsidy.engine.answers.document import evaluation_document
    from guangxi_subsidy.engine.register.database import open_register
    from guangxi_subsidy.engine.register.evaluation import annotate, load

    engine = _engine(pack)
    store = open_register(db)
    try:
        found = load(store, applicant_id, _day(as_of), _day(known_on, "known_on"))
    finally:
        store.dispose()
    evaluation = engine.evaluate(found.profile, as_of=found.as_of, include_drafts=include_drafts)
    return annotate(evaluation_document(evaluation, engine.pack, explain), evaluation, found)


@dataclass
class BatchOutcome:
    """A batch's results: frames of outcomes (exact Decimal yuan), the rejected rows, and the summary."""

    parts: list[BatchResult]
    rejections: pl.DataFrame  # row, id, column, field, value, reason: one row per problem of a rejected row
    summary: Summary
    as_of: dt.date | None = None  # the run's settings, which its summary names
    include_drafts: bool = False
    rules_digest: str = ""

    @cached_property
    def results(self) -> pl.DataFrame:
        """One row per applicant evaluated: row, id, name, kind, city, as_of, a column per benefit, the totals."""
        import polars as pl

        return pl.concat([p.results for p in self.parts])

    @cached_property
    def benefits(self) -> pl.DataFrame:
        """One row per applicant and benefit shown (eligible, expired, not yet in force), with its amount."""
        import polars as pl

        return pl.concat([p.benefits for p in self.parts])

    @property
    def totals(self) -> dict[str, Decimal]:
        """The batch's totals in yuan (grants, grants_min, grants_max, relief_estimate, loan_quota): the sums
        of every evaluated applicant's `totals`, eligible benefits only."""
        return {k: Decimal(v).scaleb(-2) for k, v in self.summary.totals().items()}

    @property
    def rows(self) -> dict[str, int]:
        """Rows read, evaluated and rejected (read = evaluated + rejected), and of those rejected, repeated."""
        s = self.summary
        return {"read": s.rows_read, "evaluated": s.evaluated, "rejected": s.rejected, "repeated": s.repeated}


def evaluate_frame(applicants: pa.Table | pl.DataFrame, *, as_of: dt.date | str | None = None,
                   include_drafts: bool = False, keep_repeats: bool = False, first_row: int = 1,
                   pack: RulePack | None = None) -> BatchOutcome:
    """Evaluate a table of applicants, one a row, its columns named by field or Chinese label (as a batch
    file's header). Typed columns are read as they are (integers, decimals, dates, booleans), text columns as
    a batch file's cells. Rows are numbered from `first_row` (default 1, the table's first row); every row is in
    `results` or in `rejections`. As `subsidy batch`, a row repeating an earlier applicant id for the same date
    is rejected unless `keep_repeats`. Raises HeaderError (a ValueError) when a column names no field."""
    from guangxi_subsidy.engine.batch.evaluator import Evaluator
    from guangxi_subsidy.engine.batch.sequential import run
    from guangxi_subsidy.engine.intake.arrowsource import ArrowSource
    from guangxi_subsidy.engine.intake.repeats import Repeats

    pack = pack if pack is not None else load_pack()
    source = ArrowSource.of(applicants, first_row=first_row)
    evaluator = Evaluator(pack, as_of=_day(as_of), include_drafts=include_drafts)
    repeats = None if keep_repeats else Repeats(evaluator.plan.day(), source.columns.header_of("id"))
    parts: list[BatchResult] = []
    done = run(source, evaluator, repeats, parts.append)
    return BatchOutcome(parts, done.errors, done.summary, _day(as_of), include_drafts, pack.digest)


def summarise(outcome: BatchOutcome | Summary, *, source: str = "(frame)", as_of: dt.date | str | None = None,
              include_drafts: bool = False, pack: RulePack | None = None) -> dict[str, Any]:
    """The batch's summary as `subsidy batch --summary` writes it (schema `subsidy-batch-summary/1`): rows read,
    evaluated, rejected; per benefit the applicants eligible and the amounts; per lead department; totals. For a
    BatchOutcome its own settings are named; for a bare Summary (from parts added up), the settings given."""
    if isinstance(outcome, BatchOutcome):
        return outcome.summary.as_json(source, "columnar", outcome.as_of, outcome.include_drafts,
                                       outcome.rules_digest, ENGINE_VERSION)
    digest = (pack if pack is not None else load_pack()).digest
    return outcome.as_json(source, "columnar", _day(as_of), include_drafts, digest, ENGINE_VERSION)
