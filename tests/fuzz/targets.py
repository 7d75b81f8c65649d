"""Coverage-guided fuzzing targets (atheris, libFuzzer's engine for Python) for the three readers of text a
user controls: the cell reader, the profile loader and the expression parser.

Each target takes bytes and raises only when a promise breaks: anything but the reader's own clear error
(`ProfileError`, `BadValue`, `ExpressionError`) is a finding, and so is a cell the fast column reader reads
to another value than the profile model, or a rendered expression that does not parse back to itself.

    make fuzz                                             # each target for FUZZ_SECONDS (default 60)
    .venv/bin/python tests/fuzz/targets.py cells tests/fuzz/corpus/cells -max_total_time=600

The committed corpus (tests/fuzz/corpus/<target>/) is replayed by tests/fuzz/test_fuzz_corpus.py in every
test run, with or without atheris; atheris adds the inputs it finds to the folder given, so a long run can
grow the corpus (commit only the few that reach new code: keep it small).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

FIELDS = ("rent_and_broadband_paid", "guangxi_new_product_share", "utilities_months", "recognised_incubation_base",
          "as_of", "city", "kind", "lender_type", "id")


def cells(data: bytes) -> None:
    """One cell of each kind of field, read by the fast column reader and by the profile model: both must
    agree whenever the fast reader reads it, and the model may only refuse it by name."""
    import polars as pl

    from guangxi_subsidy.engine.applicant.reading import ProfileError
    from guangxi_subsidy.engine.evaluation.evaluate import profile_values
    from guangxi_subsidy.engine.intake.cells import read_profile
    from guangxi_subsidy.engine.intake.frames import ROW, field_specs, read_cells, typed_value

    if not data:
        return
    field = FIELDS[data[0] % len(FIELDS)]
    text = data[1:].decode("utf-8", errors="replace")
    row = {"id": "A1", "kind": "enterprise", "city": "nanning"} | {field: text}
    try:
        profile = read_profile(row)
    except ProfileError:
        profile = None
    frame = pl.DataFrame({**{k: [v] for k, v in row.items()}, ROW: [2]}, schema_overrides={ROW: pl.Int64})
    reading = read_cells(frame)
    if reading.unread[0]:
        return  # left to the model: slower, never different
    assert profile is not None, f"the fast reader read {text!r} into {field}, the model refuses it"
    fast = reading.typed[field][0]
    model = typed_value(field_specs()[field], getattr(profile, field))
    assert fast == model, (field, text, fast, model)
    profile_values(profile)


def profile(data: bytes) -> None:
    """A profile file's bytes, as YAML (first byte even) or JSON: a profile, or a ProfileError."""
    from guangxi_subsidy.engine.applicant.reading import ProfileError, profile_from_bytes

    if not data:
        return
    name = Path("fuzzed.json" if data[0] % 2 else "fuzzed.yaml")
    try:
        profile_from_bytes(data[1:], name)
    except ProfileError:
        pass


def expression(data: bytes) -> None:
    """A rule text, as a condition and as an amount: checked, or an ExpressionError; what is accepted renders
    to text that parses back to the same tree, and evaluates on a profile without an unexpected error."""
    from guangxi_subsidy.engine import language as ex
    from guangxi_subsidy.engine.applicant.fields import field_symbols

    text = data.decode("utf-8", errors="replace")
    for condition in (True, False):
        try:
            node = ex.compile_condition(text, field_symbols()) if condition else ex.compile_amount(
                text, field_symbols())
        except ex.ExpressionError:
            continue
        rendered = ex.render(node)
        again = ex.parse(rendered)
        assert (ex.normalize(again) if condition else again) == node, (text, rendered)
        env = {"rent_and_broadband_paid": Decimal("900000"), "utilities_months": 0, "kind": "enterprise",
               "city": "nanning", "guangxi_new_product_share": Decimal("0.5"), "recognised_incubation_base": True}
        try:
            ex.evaluate(node, env)
        except ArithmeticError:
            pass  # a division meeting zero, a result past 50 digits: refused by `rules check` or per applicant


TARGETS: dict[str, Callable[[bytes], None]] = {"cells": cells, "profile": profile, "expression": expression}


def main() -> None:
    import atheris

    target = TARGETS[sys.argv[1]]
    with atheris.instrument_imports(include=["guangxi_subsidy"]):
        import guangxi_subsidy.engine.applicant.profile  # noqa: F401
        import guangxi_subsidy.engine.intake.cells  # noqa: F401
        import guangxi_subsidy.engine.intake.frames  # noqa: F401
        import guangxi_subsidy.engine.language  # noqa: F401
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
