"""The results sheet's rows (结果), computed a block of applicants at a time by polars and written as XML
(`writers/sheetxml.py`), for as many rows as a sheet holds.

Each row: where the applicant is (its number, or `创业孵化基地 第 3 行` in a book of several sheets), id, name, kind
and city in Chinese, district, date; a money cell per benefit shown; the grants total; 状态 (what is not a number,
in words, in the benefits' order; then the blanks read as none); 缺少资料 (the blanks that hold money back, then
the facts a benefit needs); 原因 when nothing applies; then the input's columns not read, as the file had them.
What needs words from Python (a field's label, an amount with thousands separators) is worked out once per
distinct value and looked up, never once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import polars as pl

from guangxi_subsidy.engine.applicant.spellings import CITY_LABELS, KIND_LABELS
from guangxi_subsidy.engine.batch.worksheets import EXACT_DIGITS
from guangxi_subsidy.engine.batch.writers.sheetxml import (
    LINE,
    SharedStrings,
    column_name,
    number_cell,
    numbered,
    rows_xml,
    shared_cell,
    text_cell,
    value_cell,
)
from guangxi_subsidy.engine.evaluation.outcome import Status
from guangxi_subsidy.engine.intake.frames import ROW

BLOCK = 4096  # applicants per block: 3 to 4 MB of XML at a time (at 8,192 the writer held some 15 MB more)
ELIGIBLE = Status.ELIGIBLE.value
NOTHING = "没有适用的补贴：申请人类型、所在城市或条件不符"
CARRIED = "\x00carried:"  # (the input's columns not read, apart from the results' own names)
AMOUNTS = "\x00amounts"  # a row's benefit amounts, as their cells
GRANTS_TEXT = "\x00grants text"
SHARED = ("kind", "city", "as_of_used", "\x00words", "\x00missing", "\x00reason")  # texts that repeat
SHARED_AS = "\x00shared:"
FIRST = 7  # the first benefit's column
BIG = Decimal(10) ** (EXACT_DIGITS - 2)  # yuan to the fen: more than 15 digits from here
Upto = Callable[[int], pl.DataFrame | None]  # lines sorted by row: those up to a row not yet taken (spill.InStep)


@dataclass
class Words:
    """What the rows' words come from: names, labels and the translation, each asked once per distinct value."""

    names: dict[str, str]  # rule id -> the benefit's name
    labels: Callable[[list[str]], str]  # field names -> their labels, joined
    status_word: Callable[[str], str]  # a status -> its words in Chinese
    kind_word: Callable[[dict[str, Any]], str]  # an item that is no number -> its words
    stakes: pl.DataFrame | None  # row, text: the blanks that hold money back, in order (the block's, at least)
    assumed: pl.DataFrame | None  # row, text: the blanks read as none (the block's, at least)


@dataclass
class Styles:
    top: int
    money: int
    wrap: int


def result_blocks(applicants: Iterable[pl.DataFrame], benefits: Upto, shown: list[str], carried: list[str],
                  sheets: dict[int, str], words: Words, styles: Styles, shared: SharedStrings,
                  stakes: Upto | None = None, assumed: Upto | None = None) -> Iterator[pl.DataFrame]:
    """The rows' XML, block after block: `applicants` in blocks of BLOCK rows (sorted by row), and the benefits,
    the blanks' money at stake and the blanks read as none taken in step (each: its lines up to a row)."""
    after = FIRST + len(shown)
    columns = {rule: column_name(FIRST + n) for n, rule in enumerate(shown)}
    start = 0
    for block in applicants:
        last = block.get_column(ROW)[-1]
        mine = replace(words, stakes=None if stakes is None else stakes(last),
                       assumed=None if assumed is None else assumed(last))
        frame = _block(numbered(block, start + 2), _rows_of(benefits(last), block), columns, mine, styles)
        start += block.height
        numbers = {}
        for name in SHARED:  # (texts that repeat: in the shared strings when they do)
            if name in frame.columns:
                found = shared.numbered(frame, name)
                if found is not None:
                    numbers[name] = found
        frame = frame.with_columns(found.alias(SHARED_AS + name) for name, found in numbers.items())
        yield rows_xml(frame, _cells(frame.schema, carried, sheets, styles, after))


def _cells(schema: pl.Schema, carried: list[str], sheets: dict[int, str], styles: Styles,
           after: int) -> list[pl.Expr]:
    def text(column: int, name: str, style: int) -> pl.Expr:
        if SHARED_AS + name in schema:
            return shared_cell(column, pl.col(SHARED_AS + name), style)
        return text_cell(column, pl.col(name), style, preserve=False)  # (our words: no spaces at the ends)

    cells = [_where(sheets, styles.top)]
    for column, name in enumerate(["id", "name", "kind", "city", "district", "as_of_used"], start=1):
        if SHARED_AS + name in schema:
            cells.append(text(column, name, styles.top))
        elif name in schema:
            cells.append(value_cell(column, pl.col(name), schema[name], styles.top, name not in ("kind", "city")))
    cells += [pl.col(AMOUNTS), *_money(after, pl.col("grants"), pl.col(GRANTS_TEXT), styles.money),
              *(text(after + n, name, styles.wrap)
                for n, name in enumerate(("\x00words", "\x00missing", "\x00reason"), start=1))]
    cells += [text_cell(after + 4 + n, pl.col(CARRIED + name), None) for n, name in enumerate(carried)]
    return cells


def _money(column: int | pl.Expr, value: pl.Expr, text: pl.Expr, style: int) -> list[pl.Expr]:
    """A money cell: a number, or (more than 15 digits: `text` not null) the amount as text."""
    return [pl.when(text.is_null()).then(number_cell(column, value.cast(pl.String), style)),
            text_cell(column, text, style)]


def _where(sheets: dict[int, str], style: int) -> pl.Expr:
    """Column A: the row's number, or in a book of several sheets the sheet's name and the row in it."""
    number = number_cell(0, pl.col(ROW).cast(pl.String), style)
    offsets = sorted(o for o in sheets if o > 0)
    if not offsets:
        return number
    offset: pl.Expr = pl.lit(0, dtype=pl.Int64)
    title: pl.Expr = pl.lit(None, dtype=pl.String)
    for at in offsets:
        offset = pl.when(pl.col(ROW) >= at).then(pl.lit(at, dtype=pl.Int64)).otherwise(offset)
        title = pl.when(pl.col(ROW) >= at).then(pl.lit(sheets[at])).otherwise(title)
    named = pl.concat_str([title, pl.lit(" 第 "), (pl.col(ROW) - offset).cast(pl.String), pl.lit(" 行")])
    return pl.coalesce(text_cell(0, named, style), number)


def _block(block: pl.DataFrame, items: pl.DataFrame | None, columns: dict[str, str], words: Words,
           styles: Styles) -> pl.DataFrame:
    """The block's applicants with their labels, benefit amounts (their cells, in column order) and words."""
    frame = block.with_columns(*(pl.col(c).cast(pl.String).replace(labels) for c, labels in
                                 (("kind", KIND_LABELS), ("city", CITY_LABELS)) if c in block.columns),
                               *([pl.col("as_of_used").dt.to_string("%Y-%m-%d")]
                                 if block.schema.get("as_of_used") == pl.Date else []),
                               _as_text(pl.col("grants")).alias(GRANTS_TEXT))
    if items is not None and items.height:
        money = ((pl.col("status").cast(pl.String) == ELIGIBLE)
                 & pl.col("amount_kind").cast(pl.String).is_in(["exact", "estimate"]) & pl.col("value").is_not_null())
        items = items.with_columns(money.alias("\x00money"), pl.col("rule_id").replace_strict(
            words.names, default=pl.col("rule_id"), return_dtype=pl.String).alias("\x00name"))
        amounts = items.filter(pl.col("\x00money")).join(frame.select(ROW, LINE), on=ROW, maintain_order="left")
        if amounts.height:
            letters = pl.col("rule_id").replace_strict(columns, return_dtype=pl.String)
            amounts = amounts.with_columns(_as_text(pl.col("value")).alias("\x00text")).sort(
                ROW, letters.str.len_bytes(), letters, maintain_order=True)
            cells = amounts.group_by(ROW, maintain_order=True).agg(
                pl.concat_str(_money(letters, pl.col("value"), pl.col("\x00text"), styles.money),
                              ignore_nulls=True).str.join("").alias(AMOUNTS))
            frame = frame.join(cells, on=ROW, how="left", maintain_order="left")
        # (words only for the lines that have some: a plain amount, most lines, has none; a row whose lines
        # have none gets no words, as an empty text would read)
        worded = items.filter((pl.col("status").cast(pl.String) != ELIGIBLE) | ~pl.col("\x00money")
                              | (pl.col("amount_kind").cast(pl.String) == "estimate"))
        said = _item_words(worded, words).group_by(ROW, maintain_order=True).agg(
            pl.col("\x00word").drop_nulls().str.join("；"), pl.col("\x00need").drop_nulls().str.join("；"))
        counted = items.group_by(ROW, maintain_order=True).agg(pl.len().alias("\x00items"))
        frame = frame.join(counted, on=ROW, how="left", maintain_order="left").join(
            said, on=ROW, how="left", maintain_order="left")
    frame = frame.with_columns(*(pl.lit(None, dtype=pl.String).alias(c) for c in (AMOUNTS, "\x00word", "\x00need")
                                 if c not in frame.columns),
                               *([] if "\x00items" in frame.columns else [pl.lit(None).alias("\x00items")]))
    for name, texts in (("\x00stakes", words.stakes), ("\x00assumed", words.assumed)):
        if texts is not None and texts.height:
            mine = _rows_of(texts, block)
            assert mine is not None
            frame = frame.join(mine.group_by(ROW, maintain_order=True).agg(pl.col("text").str.join("；")
                                                                            .alias(name)),
                               on=ROW, how="left", maintain_order="left")
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    missing = _joined(pl.col("\x00stakes"), pl.col("\x00need"))
    return frame.with_columns(
        _joined(pl.col("\x00word"), pl.col("\x00assumed")).alias("\x00words"),
        missing.alias("\x00missing"),
        pl.when(pl.col("\x00items").is_null()).then(
            pl.concat_str([pl.lit(NOTHING), pl.when(missing.is_not_null()).then(pl.lit("，或缺少资料"))
                           .otherwise(pl.lit(""))])).alias("\x00reason"))


def _rows_of(frame: pl.DataFrame | None, block: pl.DataFrame) -> pl.DataFrame | None:
    """The lines of `frame` (sorted by row) of the block's rows."""
    if frame is None or not block.height:
        return None
    rows = frame.get_column(ROW)
    lo = int(rows.search_sorted(block[ROW][0], "left"))
    hi = int(rows.search_sorted(block[ROW][-1], "right"))
    return frame.slice(lo, hi - lo)


def _joined(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """Two texts joined by "；", either empty or missing left out; null when both are."""
    a = pl.when(first != "").then(first)
    b = pl.when(second != "").then(second)
    return pl.when(a.is_null()).then(b).when(b.is_null()).then(a).otherwise(pl.concat_str([a, pl.lit("；"), b]))


def _item_words(items: pl.DataFrame, words: Words) -> pl.DataFrame:
    """Per benefit of a row: its words for 状态 (null: a plain amount) and for 缺少资料 (null: nothing needed)."""
    status = pl.col("status").cast(pl.String)
    kind = pl.col("amount_kind").cast(pl.String)
    statuses = {s: words.status_word(s) for s in items.get_column("status").cast(pl.String).unique().to_list()}
    keyed = pl.concat_str([kind, *(pl.col(c).cast(pl.String).fill_null("-") for c in ("min", "max"))],
                          separator="|")
    plain = items.filter(pl.col("status").cast(pl.String) == ELIGIBLE, ~pl.col("\x00money"))
    kinds = {k: words.kind_word({"amount_kind": a, "min": lo, "max": hi}) for k, a, lo, hi in
             plain.select(keyed.alias("k"), kind.alias("a"), "min", "max").unique("k").iter_rows()}
    needs = {m: words.labels(m.split(",")) for m in plain.get_column("missing").drop_nulls().unique().to_list()}
    name = pl.col("\x00name")
    word = (pl.when(status != ELIGIBLE).then(pl.concat_str([name, pl.lit("："), status.replace_strict(
        statuses, return_dtype=pl.String)]))
        .when(pl.col("\x00money")).then(pl.when(kind == "estimate").then(pl.concat_str([name, pl.lit("：估算")])))
        .otherwise(pl.concat_str([name, pl.lit("："), keyed.replace_strict(kinds, default=None,
                                                                           return_dtype=pl.String)])))
    need = pl.when((status == ELIGIBLE) & ~pl.col("\x00money") & (kind == "incomplete")
                   & (pl.col("missing").fill_null("") != "")).then(
        pl.concat_str([name, pl.lit("：需补充 "), pl.col("missing").replace_strict(needs, default=None,
                                                                                 return_dtype=pl.String)]))
    return items.select(ROW, word.alias("\x00word"), need.alias("\x00need"))


def _as_text(value: pl.Expr) -> pl.Expr:
    """Amounts of more than 15 digits as text (`12,345,…,678.90`: a double would round them); null for the rest,
    which are written as numbers."""
    return pl.when(value.abs() >= BIG).then(yuan_text(value))


def yuan_text(value: pl.Expr) -> pl.Expr:
    """Exact yuan as a finance office writes them, `-1,234,567.80` (engine/money.py's format_yuan, for a whole
    column): the digits grouped by threes from the right."""
    digits = value.cast(pl.Decimal(38, 2)).abs().cast(pl.String)
    whole = digits.str.head(-3).str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse() \
        .str.strip_chars_start(",")
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, whole, digits.str.tail(3)])
