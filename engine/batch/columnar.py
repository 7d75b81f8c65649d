"""A whole batch of applicants at once: the pack's parsed rules compiled into polars column expressions.

The reference engine (durable_rules, then Python condition by condition) evaluates one profile at a time; a
policy office evaluating every enterprise in the region needs columns. This module walks the same parsed,
normalised expression trees (`engine/language/`) and the same amount specifications (`engine/evaluation/award.py`) and
builds, per rule, one polars filter (beneficiary kind, city, derived facts, conditions) and the expressions
for status and amount over the rows that pass it. It mirrors `language.evaluate` exactly: a comparison that
reads a missing value is false, `not` was pushed down to the comparisons when the pack was compiled, `and`/`or`
see only true or false. Amounts are exact: integers at a power-of-ten scale (`engine/batch/scaled.py`), floored at
zero, capped, and rounded once to the fen, half up. An amount that integer columns cannot hold exactly (a
division, or a bound past 10**37) is computed by `award.compute` itself for the rows where its rule holds.

The result is long: one row per applicant and rule that holds (statuses eligible, expired, not_yet_in_force,
not_combined: the combinations settled by `combined.settle`; `not_eligible` rows are absent), amounts as
integer fen; `engine/batch/layouts.py` turns it into the published shapes.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from guangxi_subsidy.engine import language as ex
from guangxi_subsidy.engine.batch import scaled as sc
from guangxi_subsidy.engine.batch.combined import settle
from guangxi_subsidy.engine.evaluation.award import AmountError, compute, rises_with_inputs
from guangxi_subsidy.engine.evaluation.outcome import SHOWN, AmountKind, Status
from guangxi_subsidy.engine.intake.frames import field_specs
from guangxi_subsidy.engine.rules import combining
from guangxi_subsidy.engine.rules.compiled import CompiledAmount, CompiledRule
from guangxi_subsidy.engine.rules.pack import RulePack

STATUSES = tuple(s.value for s in SHOWN)  # the order the compiled writer numbers them in
AMOUNT_KINDS = tuple(k.value for k in AmountKind)
STATUS = pl.Enum(list(STATUSES))
AMOUNT_KIND = pl.Enum(list(AMOUNT_KINDS))
FEN = pl.Int128
DAY = "as_of_used"  # the date each applicant is evaluated for
INDEX = "index"  # position of the applicant in the batch
RULE = "rule"  # position of the rule in Plan.rules
KIND, CITY = "__kind", "__city"  # the applicant's kind and city as their Enums' codes (Plan.place)
OUTCOME: dict[str, Any] = {  # the long frame's columns
    INDEX: pl.UInt32, RULE: pl.UInt16, "status": STATUS, "kind": AMOUNT_KIND,
    "value": FEN, "min": FEN, "max": FEN, "missing": pl.String,
}


@dataclass(frozen=True)
class _Amount:
    """An amount's kind and its figures in fen, each null where award.compute leaves it out; they read the
    columns `lets` computes first."""

    kind: pl.Expr
    value: pl.Expr | None = None
    minimum: pl.Expr | None = None
    maximum: pl.Expr | None = None
    missing: pl.Expr | None = None
    lets: _Lets | None = None


class _Lets:
    """Intermediate columns of one rule's amount. A figure read several times (the formula, a cap, a tier's
    test) is computed once into a column of its own and read from there, so that the expressions polars
    plans for every batch stay small: planning costs in proportion to their size, on every call. A column
    of stage 1 may read those of stage 0."""

    def __init__(self) -> None:
        self.stages: tuple[list[pl.Expr], list[pl.Expr]] = ([], [])

    def number(self, number: sc.Scaled, stage: int = 0) -> sc.Scaled:
        return sc.Scaled(self.column(number.expr, stage), number.scale, number.bound)

    def column(self, expr: pl.Expr, stage: int = 0) -> pl.Expr:
        name = f"__let{sum(len(s) for s in self.stages)}"
        self.stages[stage].append(expr.alias(name))
        return pl.col(name)

    def apply(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        for stage in self.stages:
            if stage:
                rows = rows.with_columns(stage)
        return rows


class Plan:
    """The pack compiled for one batch setting: the evaluation date rule, and whether drafts apply."""

    def __init__(self, pack: RulePack, as_of: dt.date | None = None, include_drafts: bool = False,
                 today: dt.date | None = None):
        self.pack = pack
        self.as_of = as_of
        self.include_drafts = include_drafts
        self.today = today or dt.date.today()
        self.rules = [r for r in pack.rules.values() if include_drafts or r.status.value != "draft"]
        self.specs = field_specs()
        self._kinds, self._cities = self.specs["kind"].dtype, self.specs["city"].dtype  # (their Enums)
        self._places: dict[tuple[tuple[str, ...], tuple[str, ...]], pl.Expr] = {}
        self.derived: dict[str, pl.Expr] = {}
        for rule in pack.derived_order():
            self.derived[rule.id] = self._holds(rule)
        self.amounts: dict[str, _Amount | None] = {}
        for rule in self.rules:
            assert rule.amount is not None
            try:
                self.amounts[rule.id] = self._amount(rule.amount)
            except sc.NotExact:
                self.amounts[rule.id] = None  # award.compute, row by row
        self._filters = [self._holds(rule) for rule in self.rules]
        self.groups = combining.groups({rule.id: rule for rule in self.rules})
        self.numbers = {rule.id: number for number, rule in enumerate(self.rules)}
        self._columns = [self._query_columns(number, rule) for number, rule in enumerate(self.rules)]

    # ------------------------------------------------------------ values and conditions

    def day(self) -> pl.Expr:
        """The evaluation date: the batch's as_of, else the applicant's, else today (as `subsidy evaluate`)."""
        if self.as_of is not None:
            return sc.lit(self.as_of, dtype=pl.Date)
        return pl.col("as_of").fill_null(sc.lit(self.today, dtype=pl.Date))

    def _parameter(self, name: str) -> sc.Scaled:
        """A dated parameter: the latest value dated on or before each applicant's date, missing before."""
        values = sorted(self.pack.parameters[name].values, key=lambda v: v[0], reverse=True)
        numbers = sc.align(*[sc.constant(value) for _, value, _ in values])
        bound = max(n.bound for n in numbers)
        expr: Any = None
        for (start, _, _), number in zip(values, numbers, strict=True):
            test = pl.col(DAY) >= sc.lit(start, dtype=pl.Date)
            expr = pl.when(test).then(number.expr) if expr is None else expr.when(test).then(number.expr)
        return sc.Scaled(expr.otherwise(None).cast(sc.dtype_for(bound)), numbers[0].scale, bound)

    def _name(self, name: str, zero: bool = False) -> tuple[str, Any]:
        symbol = self.pack.symbols[name]
        if symbol.is_parameter:
            return "num", self._parameter(name)
        spec = self.specs[name]
        if symbol.type in ex.NUMERIC:
            column = pl.col(name).fill_null(0) if zero else pl.col(name)
            return "num", sc.Scaled(column, spec.scale, spec.bound)
        return symbol.type.value, pl.col(name)

    def _value(self, node: ex.Node, zero: bool = False) -> tuple[str, Any]:
        """("num", Scaled) for numbers; (type, expr) for text, bool and date values."""
        if isinstance(node, ex.Literal):
            value = node.value
            if isinstance(value, bool):
                return "bool", sc.lit(value)
            if isinstance(value, str):
                return "text", sc.lit(value)
            if isinstance(value, dt.date):
                return "date", sc.lit(value, dtype=pl.Date)
            return "num", sc.constant(value)
        if isinstance(node, ex.Name):
            return self._name(node.name, zero)
        return "num", self._number(node, zero)

    def _number(self, node: ex.Node, zero: bool = False) -> sc.Scaled:
        """A number column; with `zero`, missing profile figures are read as 0 (a lower bound of an amount that
        rises with its inputs, award.rises_with_inputs)."""
        if isinstance(node, ex.Unary):
            return sc.negate(self._number(node.operand, zero))
        if isinstance(node, ex.Binary):
            if node.op == "/":
                raise sc.NotExact("division")
            left, right = self._number(node.left, zero), self._number(node.right, zero)
            if node.op == "*":
                return sc.multiply(left, right)
            return sc.add(left, right, subtract=node.op == "-")
        if isinstance(node, ex.Call):
            return sc.extreme([self._number(a, zero) for a in node.args], smallest=node.function == "min")
        kind, value = self._value(node, zero)
        if kind != "num":
            raise TypeError(f"not a number: {ex.render(node)}")
        assert isinstance(value, sc.Scaled)
        return value

    def condition(self, node: ex.Node) -> pl.Expr:
        """A never-null boolean column: `language.evaluate(node, env) is True` for each row."""
        return self._condition(ex.normalize(node))

    def _condition(self, node: ex.Node) -> pl.Expr:
        if isinstance(node, ex.Literal):
            return sc.lit(node.value is True)
        if isinstance(node, ex.BoolOp):
            parts = [self._condition(operand) for operand in node.operands]
            return pl.all_horizontal(parts) if node.op == "and" else pl.any_horizontal(parts)
        if isinstance(node, ex.Not):
            return self._condition(ex.normalize(node))
        if isinstance(node, ex.IsSet):
            present = pl.col(node.operand.name).is_not_null()
            return ~present if node.negated else present
        if isinstance(node, ex.InList):
            kind, value = self._value(node.operand)
            if kind == "num":
                tests = [sc.compare("==", value, sc.constant(i.value)) for i in node.items]  # type: ignore[arg-type]
                found, present = pl.any_horizontal(tests), value.expr.is_not_null()
            else:
                found, present = value.is_in([i.value for i in node.items]), value.is_not_null()
            return (present & (found != node.negated)).fill_null(False)
        if isinstance(node, ex.Compare):
            (left_kind, left), (right_kind, right) = self._value(node.left), self._value(node.right)
            if left_kind == "num" and right_kind == "num":
                return sc.compare(node.op, left, right).fill_null(False)
            ops = {"==": left.__eq__, "!=": left.__ne__, "<": left.__lt__, "<=": left.__le__,
                   ">": left.__gt__, ">=": left.__ge__}
            return ops[node.op](right).fill_null(False)
        raise TypeError(f"not a condition: {ex.render(node)}")

    def _holds(self, rule: CompiledRule) -> pl.Expr:
        """Engine._checks: beneficiary kind, place, derived facts required, then the rule's conditions."""
        tests = [self._place_holds(rule)]
        tests += [self.derived[need] for need in rule.requires]
        tests += [self.condition(c.node) for c in rule.conditions]
        return pl.all_horizontal(tests).fill_null(False)

    def _place_holds(self, rule: CompiledRule) -> pl.Expr:
        """Whether the rule is for the applicant's kind and city (null where either is not given), as tests of
        their Enums' codes (KIND, CITY): a code equal to the one allowed, or not equal to the one left out, costs
        a fraction of a search of a set of texts; a set searched only where several are allowed and excluded."""
        key = (rule.kinds, rule.cities)
        if key not in self._places:  # (many rules share theirs)
            self._places[key] = _member(KIND, self._kinds, rule.kinds) & _member(CITY, self._cities, rule.cities)
        return self._places[key]

    def place(self) -> list[pl.Expr]:
        """The KIND and CITY codes of each applicant: its kind's and its city's positions in their Enums."""
        return [pl.col("kind").cast(self._kinds).to_physical().alias(KIND),
                pl.col("city").cast(self._cities).to_physical().alias(CITY)]

    # ------------------------------------------------------------ amounts: award.compute in columns

    def _amount(self, amount: CompiledAmount) -> _Amount:
        spec = amount.terms  # (the amount's kind, as written: its plain copy, the rule as written left pickled)
        if spec.kind == "non_monetary":
            return _Amount(_kind(AmountKind.NON_MONETARY))
        lets = _Lets()
        caps = [lets.number(sc.floor_fen(sc.floor_zero(self._number(cap.node)))) for cap in amount.caps]
        cap_missing = pl.any_horizontal([c.expr.is_null() for c in caps]) if caps else sc.lit(False)
        if spec.kind in ("unquantified", "up_to"):
            limits = caps + ([self._number(amount.maximum)] if amount.maximum is not None else [])
            if not limits:
                return _Amount(_kind(AmountKind.UNQUANTIFIED))
            least = sc.extreme(limits, smallest=True, skip_missing=True)
            ceiling = lets.column(sc.floor_fen(sc.floor_zero(least)).expr, stage=1)
            kind = pl.when(ceiling.is_null()).then(_kind(AmountKind.UNQUANTIFIED)) \
                .otherwise(_kind(AmountKind.UP_TO))
            return _Amount(kind, maximum=ceiling, lets=lets)
        missing = self._missing(amount)
        if spec.kind == "range":
            assert amount.minimum is not None and amount.maximum is not None
            low, high = lets.number(self._number(amount.minimum)), lets.number(self._number(amount.maximum))
            complete = ~(low.expr.is_null() | high.expr.is_null() | cap_missing)
            kind = pl.when(complete).then(_kind(AmountKind.RANGE)).otherwise(_kind(AmountKind.INCOMPLETE))
            return _Amount(kind, minimum=pl.when(complete).then(_capped(low, caps).expr),
                           maximum=pl.when(complete).then(_capped(high, caps).expr),
                           missing=pl.when(~complete).then(missing), lets=lets)
        matched: pl.Expr = sc.lit(True)
        if spec.kind == "tiers":
            formulas = sc.align(*[self._number(t.formula) for t in amount.tiers])
            tests = [lets.column(self.condition(t.when.node)) for t in amount.tiers]
            chosen: Any = None
            for test, formula in zip(tests, formulas, strict=True):
                chosen = pl.when(test).then(formula.expr) if chosen is None else chosen.when(test).then(formula.expr)
            bound = max(f.bound for f in formulas)
            value = lets.number(sc.Scaled(chosen.otherwise(None).cast(sc.dtype_for(bound)), formulas[0].scale,
                                          bound), stage=1)
            matched = pl.any_horizontal(tests)
        else:
            assert amount.formula is not None
            value = lets.number(self._number(amount.formula))
        complete = ~(value.expr.is_null() | cap_missing)
        paid = _capped(value, caps).expr
        if caps and spec.kind != "tiers" and amount.formula is not None and rises_with_inputs(amount.formula):
            # award._cap_reached: the lower bound (missing figures as 0) already reaches the lowest cap
            least = sc.extreme(caps, smallest=True, skip_missing=True)
            low = lets.number(self._number(amount.formula, zero=True))
            reached = value.expr.is_null() & ~cap_missing & sc.compare(">=", low, least).fill_null(False)
            paid = pl.when(complete).then(paid).when(reached).then(sc.to_fen(least).expr)
            complete = complete | reached
        label = AmountKind.ESTIMATE if spec.kind == "estimate" else AmountKind.EXACT
        kind = pl.when(complete).then(_kind(label)).otherwise(_kind(AmountKind.INCOMPLETE))
        known: pl.Expr | None = None  # an incomplete amount still shows the lowest cap it knows (award.compute)
        if caps:
            lowest = sc.to_fen(sc.extreme(caps, smallest=True, skip_missing=True)).expr
            known = pl.when(~complete & matched).then(lowest)
        return _Amount(kind, value=pl.when(complete).then(paid), maximum=known,
                       missing=pl.when(~complete).then(missing), lets=lets)

    def _missing(self, amount: CompiledAmount) -> pl.Expr:
        """award._missing: the amount's inputs that are not given, in name order."""
        names = sorted({n for node in amount.nodes() for n in ex.names_read(node)})
        flags = []
        for name in names:
            kind, value = self._name(name)
            flags.append(pl.when((value.expr if kind == "num" else value).is_null()).then(sc.lit(name)))
        if not flags:
            return sc.lit("", dtype=pl.String)
        return pl.concat_str(flags, separator=", ", ignore_nulls=True)

    # ------------------------------------------------------------ evaluation

    def outcomes(self, typed: pl.DataFrame, extra: list[list[pl.Expr]] | None = None,
                 failures: list[AmountError] | None = None) -> list[pl.DataFrame]:
        """Per rule, the rows where it holds (OUTCOME columns, then any `extra` expressions over them, one list
        per rule), for a frame of typed profiles. A row whose amount cannot be computed raises AmountError (its
        `index` set), or, given `failures`, is left out of that rule's rows and its error added there."""
        base = typed.lazy().with_columns(self.day().alias(DAY), pl.int_range(pl.len(), dtype=pl.UInt32).alias(INDEX),
                                         *self.place())
        queries = []
        for number, rule in enumerate(self.rules):
            amount = self.amounts[rule.id]
            rows = base.filter(self._filters[number])
            query = (amount.lets.apply(rows) if amount is not None and amount.lets else rows).select(
                self._columns[number])
            if amount is not None and extra:
                query = query.with_columns(extra[number])
            queries.append(query)
        found = pl.collect_all(queries)
        for number, rule in enumerate(self.rules):
            if self.amounts[rule.id] is None:
                found[number] = self._by_row(found[number], rule, failures).select(OUTCOME.keys())
                if extra:
                    found[number] = found[number].with_columns(extra[number])
        return settle(found, self.groups, self.numbers, extra) if self.groups else found

    def decided_by(self, number: int) -> list[pl.Expr]:
        """The expressions rule `number` is decided by: its filter (the derived facts it requires inlined), its
        query's columns, and its amount's intermediate columns."""
        amount = self.amounts[self.rules[number].id]
        stages = amount.lets.stages if amount is not None and amount.lets is not None else []
        return [self._filters[number], *self._columns[number], *(e for stage in stages for e in stage)]

    def only(self, kept: list[int]) -> Plan:
        """This plan deciding only the rules numbered `kept` (in order); each line still names its rule by its
        number in the whole plan, and the groups settled together keep those that hold a kept rule."""
        narrow = copy.copy(self)
        narrow.rules = [self.rules[n] for n in kept]
        narrow._filters = [self._filters[n] for n in kept]
        narrow._columns = [self._columns[n] for n in kept]
        narrow.numbers = {rule.id: place for place, rule in enumerate(narrow.rules)}
        narrow.groups = [g for g in self.groups if any(r in narrow.numbers for r in g.order)]
        return narrow

    def _query_columns(self, number: int, rule: CompiledRule) -> list[pl.Expr]:
        status = (
            pl.when(pl.col(DAY) < sc.lit(rule.effective.from_, dtype=pl.Date))
            .then(sc.lit(Status.NOT_YET_IN_FORCE.value, dtype=STATUS))
            .when(pl.col(DAY) > sc.lit(rule.effective.to or dt.date.max, dtype=pl.Date))
            .then(sc.lit(Status.EXPIRED.value, dtype=STATUS))
            .otherwise(sc.lit(Status.ELIGIBLE.value, dtype=STATUS))
        )
        columns = [pl.col(INDEX), sc.lit(number, dtype=pl.UInt16).alias(RULE), status.cast(STATUS).alias("status")]
        amount = self.amounts[rule.id]
        if amount is None:  # award.compute computes the amount (_by_row), from the rule's inputs
            return columns + [pl.col(DAY), *[pl.col(n) for n in self.pack.symbols if n in self.specs]]
        columns.append(amount.kind.cast(AMOUNT_KIND).alias("kind"))
        for part, figure in (("value", amount.value), ("min", amount.minimum), ("max", amount.maximum)):
            columns.append((sc.lit(None, dtype=FEN) if figure is None else figure.cast(FEN)).alias(part))
        missing = sc.lit(None, dtype=pl.String) if amount.missing is None else amount.missing
        return [*columns, missing.alias("missing")]

    def _by_row(self, rows: pl.DataFrame, rule: CompiledRule,
                failures: list[AmountError] | None = None) -> pl.DataFrame:
        """Amounts that need Decimal (scaled.NotExact): award.compute for each row where the rule holds; a row
        whose arithmetic fails is raised, or, given `failures`, left out and its error added there."""
        assert rule.amount is not None
        parts: dict[str, list[Any]] = {p: [] for p in ("kind", "value", "min", "max", "missing")}
        failed: list[int] = []
        for position, row in enumerate(rows.iter_rows(named=True)):
            try:
                award = compute(rule.amount, self._env(row), self.pack, row[DAY], rule.id)
            except AmountError as error:
                error.index = row[INDEX]
                if failures is None:
                    raise
                failures.append(error)
                failed.append(position)
                continue
            parts["kind"].append(award.kind)
            for part, value in (("value", award.value), ("min", award.minimum), ("max", award.maximum)):
                parts[part].append(None if value is None else int(value.scaleb(2)))
            parts["missing"].append(", ".join(award.missing) if award.kind == AmountKind.INCOMPLETE else None)
        if failed:
            rows = rows.filter(~pl.int_range(pl.len()).is_in(failed))
        return rows.with_columns(pl.Series(p, v, dtype=OUTCOME[p]) for p, v in parts.items())

    def _env(self, row: dict[str, Any]) -> dict[str, Any]:
        env: dict[str, Any] = dict(self.pack.parameters_on(row[DAY]))
        for name, spec in self.specs.items():
            if name not in self.pack.symbols:
                continue
            value = row[name]
            env[name] = Decimal(value).scaleb(-spec.scale) if value is not None and spec.scale else value
        return env


def _member(column: str, enum: pl.Enum, allowed: tuple[str, ...]) -> pl.Expr:
    """`column` (an Enum's codes) is one of the `allowed` categories: null where it is null, as `is_in` is."""
    categories = enum.categories.to_list()
    codes = [i for i, c in enumerate(categories) if c in allowed]
    others = [i for i, c in enumerate(categories) if c not in allowed]
    physical = pl.Series(values=[], dtype=enum).to_physical().dtype
    code = pl.col(column)
    if not others:
        return pl.when(code.is_not_null()).then(sc.lit(True))
    if not codes:
        return pl.when(code.is_not_null()).then(sc.lit(False))
    if len(codes) == 1:
        return code == sc.lit(codes[0], dtype=physical)
    if len(others) == 1:
        return code != sc.lit(others[0], dtype=physical)
    return code.is_in(pl.Series(codes, dtype=physical).implode())


def _kind(kind: AmountKind) -> pl.Expr:
    """An amount's kind as a literal of the outcome's Enum: the column is made of its codes, never of text that
    would be cast to them row by row."""
    return sc.lit(kind.value, dtype=AMOUNT_KIND)


def _capped(value: sc.Scaled, caps: list[sc.Scaled]) -> sc.Scaled:
    """award._apply_caps: floored at zero, then the lowest cap; rounded once to the fen."""
    floored = sc.floor_zero(value)
    capped = sc.extreme([floored, *caps], smallest=True, skip_missing=True) if caps else floored
    return sc.to_fen(capped)

