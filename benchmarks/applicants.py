"""Generate a large applicant list shaped like a real one, for the throughput benchmark.

Every applicant fills, with some probability, the profile fields that rules for its kind read, written the way
spreadsheets in the offices write them: cities as 南宁 / 南宁市 / nanning, kinds as codes or Chinese labels,
booleans as 是/否, true/false or 1/0, money plain, with thousands separators or in 万. Values are drawn from
polars' hash of the row number, so a million rows take about a second and the same seed gives the same file.

    python benchmarks/applicants.py --rows 1000000   # writes benchmarks/data/applicants_1000000.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from guangxi_subsidy.engine.applicant.profile import CITY_LABELS, KIND_LABELS, Profile
from guangxi_subsidy.engine.applicant.spellings import SYNONYMS
from guangxi_subsidy.engine.language import ValueType
from guangxi_subsidy.engine.rules.pack import RulePack, load_pack

DATA = Path(__file__).resolve().parent / "data"
KIND_WEIGHTS = {
    "enterprise": 60, "individual": 18, "incubation_base": 6, "public_institution": 6,
    "financial_institution": 4, "guarantee_institution": 3, "entrepreneurship_park": 3,
}
CITY_WEIGHTS = {"nanning": 40, "wuzhou": 12, "liuzhou": 10, "guilin": 8, "outside_guangxi": 2}
FILL = 0.45  # chance that an applicant fills a field that rules for its kind read


def _random(index: int, seed: int, modulo: int) -> pl.Expr:
    """A pseudo-random integer in [0, modulo) per row, independent between indexes."""
    return (pl.col("row") * 1_000_003 + index).hash(seed) % modulo


def _weighted(choices: dict[str, int], index: int, seed: int) -> pl.Expr:
    draw = _random(index, seed, sum(choices.values()))
    expr, start = None, 0
    for value, weight in choices.items():
        start += weight
        expr = (pl.when(draw < start).then(pl.lit(value)) if expr is None
                else expr.when(draw < start).then(pl.lit(value)))
    assert expr is not None
    return expr.otherwise(pl.lit("nanning"))


def _pick(texts: list[str], index: int, seed: int) -> pl.Expr:
    return pl.lit(pl.Series(texts)).gather(_random(index, seed, len(texts)))


def _money(index: int, seed: int, formatted: bool) -> pl.Expr:
    digits = _random(index, seed, 7) + 2  # 10^2 .. 10^8 fen
    fen = _random(index + 500, seed, 10**9) % (pl.lit(10, pl.UInt64).pow(digits) * 10)
    yuan, cents = (fen // 100).cast(pl.String), (fen % 100).cast(pl.String).str.zfill(2)
    plain = pl.concat_str([yuan, pl.lit("."), cents])
    grouped = yuan.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse().str.strip_chars_start(",")
    whole, rest = (fen // 1_000_000).cast(pl.String), (fen % 1_000_000).cast(pl.String).str.zfill(6)
    wan_text = pl.concat_str([whole, pl.lit("."), rest]).str.strip_chars_end("0").str.strip_chars_end(".")
    form = _random(index + 900, seed, 20)
    if not formatted:
        return pl.when(form < 15).then(plain).otherwise(yuan)
    return (pl.when(form < 12).then(plain)
            .when(form < 15).then(yuan)
            .when(form < 18).then(pl.concat_str([grouped, pl.lit("."), cents]))
            .otherwise(pl.concat_str([wan_text, pl.lit("万")])))


def _value(name: str, vtype: ValueType, choices: tuple[str, ...] | None, index: int, seed: int,
           formatted: bool) -> pl.Expr:
    if vtype == ValueType.BOOL:
        truth = _random(index, seed, 10) < 6
        style = _random(index + 300, seed, 10)
        true_text = pl.when(style < 4).then(pl.lit("是")).when(style < 7).then(pl.lit("true")).otherwise(pl.lit("1"))
        false_text = pl.when(style < 4).then(pl.lit("否")).when(style < 7).then(pl.lit("false")).otherwise(pl.lit("0"))
        return pl.when(truth).then(true_text).otherwise(false_text)
    if vtype == ValueType.MONEY:
        return _money(index, seed, formatted)
    if vtype == ValueType.DECIMAL:
        share = _random(index, seed, 101)
        return pl.when(_random(index + 300, seed, 2) == 0).then(pl.concat_str([share.cast(pl.String), pl.lit("%")])) \
            .otherwise((share.cast(pl.Float64) / 100).round(2).cast(pl.String))
    if vtype == ValueType.INTEGER:
        top = 5 if "years" in name else 40
        return _random(index, seed, top).cast(pl.String)
    assert choices is not None, name
    return _pick(list(choices), index, seed)


def relevant_fields(pack: RulePack) -> dict[str, set[str]]:
    """For each applicant kind, the profile fields that some rule for that kind reads."""
    out: dict[str, set[str]] = {kind: set() for kind in KIND_LABELS}
    for rule in [*pack.rules.values(), *pack.derived.values()]:
        for kind in rule.kinds:
            out[kind] |= {n for n in rule.fields_read() if n in pack.symbols and not pack.symbols[n].is_parameter}
    return out


def applicants(rows: int, seed: int = 7, pack: RulePack | None = None, formatted: bool = False) -> pl.DataFrame:
    """`rows` applicants as the text cells of a CSV file, one column per profile field; with `formatted`, a
    quarter of the money cells carry thousands separators or 万, as in a hand-kept spreadsheet."""
    pack = pack or load_pack()
    relevant = relevant_fields(pack)
    frame = pl.DataFrame({"row": pl.int_range(0, rows, dtype=pl.UInt64, eager=True)})
    kind = _weighted(KIND_WEIGHTS, 1, seed)
    city = _weighted(CITY_WEIGHTS | {c: 2 for c in CITY_LABELS if c not in CITY_WEIGHTS}, 2, seed)
    frame = frame.with_columns(kind.alias("kind_code"), city.alias("city_code"))
    columns: list[pl.Expr] = [
        pl.concat_str([pl.lit("GX"), pl.col("row").cast(pl.String).str.zfill(8)]).alias("id"),
        pl.concat_str([
            _pick(["南宁", "梧州", "广西", "柳州"], 3, seed), _pick(["启航", "北部湾", "绿城", "壮乡"], 4, seed),
            _pick(["科技有限公司", "创业园", "孵化器", "工作室"], 5, seed), pl.col("row").cast(pl.String),
        ]).alias("name"),
        pl.when(_random(6, seed, 2) == 0).then(pl.col("kind_code"))
        .otherwise(pl.col("kind_code").replace_strict(KIND_LABELS)).alias("kind"),
        pl.when(_random(7, seed, 3) == 0).then(pl.col("city_code"))
        .when(_random(7, seed, 3) == 1).then(pl.col("city_code").replace_strict(CITY_LABELS))
        .otherwise(pl.col("city_code").replace_strict({c: names[1] for c, names in SYNONYMS["city"].items()}))
        .alias("city"),  # (南宁市 …, and 区外 for outside Guangxi)
        pl.date(2016, 1, 1).dt.offset_by(pl.concat_str([_random(8, seed, 8 * 365).cast(pl.String), pl.lit("d")]))
        .dt.to_string("%Y-%m-%d").alias("as_of"),
    ]
    for index, name in enumerate(Profile.model_fields, start=10):
        if name in ("id", "name", "kind", "city", "as_of", "district"):  # (the district: no rule reads it)
            continue
        symbol = pack.symbols[name]
        kinds = [k for k, fields in relevant.items() if name in fields]
        filled = pl.col("kind_code").is_in(kinds) & (_random(index + 5000, seed, 1000) < int(FILL * 1000))
        value = _value(name, symbol.type, symbol.choices, index, seed, formatted)
        columns.append(pl.when(filled).then(value).alias(name))
    return frame.select(columns)


def write(rows: int, seed: int = 7, path: Path | None = None, formatted: bool = False) -> Path:
    """Write (once) the CSV for `rows` applicants under benchmarks/data/ and return its path."""
    path = path or DATA / f"applicants_{rows}_{seed}{'_formatted' if formatted else ''}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            step = 500_000
            for start in range(0, rows, step):
                part = applicants(min(step, rows - start), seed + start, formatted=formatted).with_columns(
                    id=pl.concat_str([pl.lit("GX"), (pl.int_range(start, start + min(step, rows - start)))
                                      .cast(pl.String).str.zfill(8)]))
                part.write_csv(out, include_header=start == 0)
        partial.rename(path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formatted", action="store_true", help="money with thousands separators and 万")
    args = parser.parse_args()
    print(write(args.rows, args.seed, formatted=args.formatted))
