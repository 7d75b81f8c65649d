import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from guangxi_subsidy.engine.evaluation.compiler import encode_value, to_durable
from guangxi_subsidy.engine.evaluation.rete import Host, MessageNotHandledException  # (durable_rules, loadable)
from guangxi_subsidy.engine.language import (
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    InList,
    IsSet,
    Literal,
    Name,
    Node,
    Not,
    Symbol,
    Unary,
    ValueType,
    check,
    compile_amount,
    compile_condition,
    evaluate,
    names_read,
    normalize,
    parse,
    render,
)

MONEY, INTEGER, DECIMAL = ValueType.MONEY, ValueType.INTEGER, ValueType.DECIMAL
BOOL, TEXT, DATE = ValueType.BOOL, ValueType.TEXT, ValueType.DATE
LENDERS = ("bank", "loan_company", "guarantee_company")
SYMBOLS = {
    s.name: s
    for s in [
        Symbol("rent_and_broadband_paid", MONEY),
        Symbol("graduates_hired", INTEGER),
        Symbol("graduate_loan_quota_used", MONEY),
        Symbol("pboc_one_year_lending_rate", DECIMAL, is_parameter=True),
        Symbol("months_operating_in_base", INTEGER),
        Symbol("social_insurance_paid_in_full", BOOL),
        Symbol("monthly_sales", MONEY),
        Symbol("quarterly_sales", MONEY),
        Symbol("lender_type", TEXT, choices=LENDERS),
        Symbol("sme_loan_avg_balance_current", MONEY),
        Symbol("sme_loan_avg_balance_previous", MONEY),
        Symbol("first_set_product_awarded_before", BOOL),
        Symbol("reference_rent", MONEY),
        Symbol("interns_completed", INTEGER),
        Symbol("interns_retained", INTEGER),
        Symbol("registered_on", DATE),
        Symbol("loss_ratio", DECIMAL),
        Symbol("company_name", TEXT),
    ]
}

AMOUNTS = [
    "rent_and_broadband_paid * 70%",
    "min(graduates_hired * 100000, 2000000 - graduate_loan_quota_used) * pboc_one_year_lending_rate",
    "max(reference_rent, rent_and_broadband_paid) / 2",
    "-(monthly_sales - quarterly_sales) + 1_000",
]
CONDITIONS = [
    "months_operating_in_base >= 12 and social_insurance_paid_in_full",
    "monthly_sales <= 3万 or quarterly_sales <= 9万",
    'lender_type in ["bank", "loan_company"]',
    "sme_loan_avg_balance_current > sme_loan_avg_balance_previous",
    "not first_set_product_awarded_before",
    "reference_rent is set",
    "interns_completed <= interns_retained * 2",
    "registered_on >= 2016-06-13",
]


def error_of(action: Callable[[], object]) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        action()
    return caught.value


# ---------------------------------------------------------------- literals and parsing


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("550_000", 550000),
        ("70%", Decimal("0.7")),
        ("0.6%", Decimal("0.006")),
        ("100%", Decimal("1")),
        ("55万", 550000),
        ("1.5万", 15000),
        ("0.00001万", Decimal("0.1")),
        ("30000.01", Decimal("30000.01")),
        ("2017-12-31", date(2017, 12, 31)),
        ('"bank"', "bank"),
        ("'贷款公司'", "贷款公司"),
        ("true", True),
        ("false", False),
    ],
)
def test_literals(text: str, value: object) -> None:
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)


def test_examples_compile() -> None:
    for text in AMOUNTS:
        compile_amount(text, SYMBOLS)
    for text in CONDITIONS:
        compile_condition(text, SYMBOLS)


def test_tree_shape_and_positions() -> None:
    node = parse("a + b * 2 >= c and not d in [1, -2]")
    assert isinstance(node, BoolOp) and node.op == "and"
    compare, negation = node.operands
    assert isinstance(compare, Compare) and compare.op == ">=" and compare.position == 10
    assert render(compare.left) == "a + b * 2"
    assert isinstance(negation, Not) and negation.position == 19
    assert negation.operand == InList(Name("d"), (Literal(1), Literal(-2)))
    assert parse("-x") == Unary("-", Name("x"))
    assert parse("x is not set") == IsSet(Name("x"), negated=True)
    assert parse("min(a, b, 3)") == Call("min", (Name("a"), Name("b"), Literal(3)))


def test_names_read() -> None:
    node = parse("min(a * 2, b) > c or d is set or e in [1]")
    assert names_read(node) == {"a", "b", "c", "d", "e"}


@pytest.mark.parametrize(
    "text",
    [
        *AMOUNTS,
        *CONDITIONS,
        "a - (b - c)",
        "(a - b) - c",
        "a / (b * c)",
        "-(a + b) * -c",
        "--a",
        "not (a and b)",
        "not not a",
        "(a or b) and c",
        "a or (b or c)",
        "a and b or c and d",
        "(a > b) == c",
        'x not in ["a", 3, 2017-01-01, true, -0.5]',
        "a == 'say \"hi\"'",
        "a == 0.10",
        "a < 2016-06-13",
    ],
)
def test_render_round_trips(text: str) -> None:
    node = parse(text)
    assert parse(render(node)) == node
    assert render(parse(render(node))) == render(node)


def test_render_is_canonical() -> None:
    assert render(parse("a*(b)+ -c")) == "a * b + -c"
    assert render(parse("not(x in ['a'])")) == 'not (x in ["a"])'
    assert render(parse("3万 * 70%")) == "30000 * 0.7"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "condition", "message", "column"),
    [
        # syntax
        ("__import__('os')", False, "unknown function '__import__'", 1),
        ('open("x")', True, "unknown function 'open'", 1),
        ("a.b", False, "unexpected character '.'", 2),
        ("monthly_sales > 1; x", True, "unexpected character ';'", 18),
        ("`monthly_sales`", True, "unexpected character '`'", 1),
        ("lambda: 1", False, "unexpected character ':'", 7),
        ("lambda x", False, "unexpected 'x'", 8),
        ("[1][0]", False, "expected a value, found '['", 1),
        ("monthly_sales ** 2", False, "'**' is not supported", 15),
        ("monthly_sales = 1", True, "unexpected '='", 15),
        ("monthly_sales > ", True, "expected a value, found end of text", 17),
        ("(monthly_sales > 1", True, "expected ')'", 19),
        ("monthly_sales > 1 AND x", True, "unexpected 'AND'", 19),
        ("1 < monthly_sales < 3", True, "comparisons cannot be chained", 19),
        ("lender_type in []", True, "an empty list matches nothing", 17),
        ("lender_type in [company_name]", True, "a list holds only literal values", 17),
        ("(monthly_sales + 1) is set", True, "only a field can be tested with 'is set'", 21),
        ("monthly_sales is seet", True, "expected 'set' after 'is'", 18),
        ("monthly_sales > 'x", True, "unterminated string", 17),
        ("registered_on > 2017-02-30", True, "'2017-02-30' is not a valid date", 17),
        ("monthly_sales > 5abc", True, "malformed number '5a'", 17),
        ("monthly_sales > 1__0", True, "malformed number", 17),
        ("monthly_sales > 1.", True, "malformed number '1.'", 17),
        ("min(monthly_sales)", False, "min needs at least two values", 1),
        ("monthly_sales > 3万元", True, "malformed number '3万元'", 17),
        # names and types
        ("rent_paid * 70%", False, "unknown field 'rent_paid'", 1),
        ("pboc_one_year_lending_rate > 0.03", True, "'pboc_one_year_lending_rate' is a dated parameter", 1),
        ("monthly_sales / 3 > quarterly_sales", True, "'/' is not allowed in a condition", 15),
        ("monthly_sales == lender_type", True, "cannot compare money with text", 15),
        ("monthly_sales > months_operating_in_base", True, "cannot compare money with integer", 15),
        ("registered_on > 3万", True, "cannot compare date with a number", 15),
        ("lender_type == 'banks'", True, "'banks' is not a choice of 'lender_type'", 16),
        ("lender_type in ['bank', 'lender']", True, "'lender' is not a choice of 'lender_type'", 25),
        ("lender_type < 'bank'", True, "'<' cannot order text values", 13),
        ("social_insurance_paid_in_full > false", True, "'>' cannot order bool values", 31),
        (
            "monthly_sales and social_insurance_paid_in_full",
            True,
            "expected a condition (true/false), not money",
            1,
        ),
        ("not months_operating_in_base", True, "expected a condition (true/false), not integer", 5),
        ("monthly_sales", True, "expected a condition (true/false), not money", 1),
        ("true", True, "a constant is not a condition", 1),
        ("monthly_sales > 1 or false", True, "a constant is not a condition", 22),
        ("monthly_sales > 1", False, "an amount must be a number, not bool", 15),
        ("lender_type", False, "an amount must be a number, not text", 1),
        ("monthly_sales * quarterly_sales", False, "cannot multiply money by money", 15),
        ("monthly_sales + graduates_hired", False, "cannot add money and integer", 15),
        ("graduates_hired / monthly_sales", False, "cannot divide integer by money", 17),
        ("-lender_type", False, "'-' needs numbers, not text", 2),
        ("lender_type * 2", False, "'*' needs numbers, not text", 1),
        ("min(monthly_sales, graduates_hired)", False, "min needs values of one kind, got money, integer", 1),
        ("min(monthly_sales, 1) > 0", True, "a condition compares a field", 23),
        ("monthly_sales > min(quarterly_sales, 1)", True, "min(...) is not allowed in a condition", 17),
        (
            "monthly_sales > quarterly_sales * 1.5",
            True,
            "cannot multiply money by a number in a condition",
            33,
        ),
        ("monthly_sales > quarterly_sales * loss_ratio", True, "cannot multiply money by decimal", 33),
        ("monthly_sales > 0.001", True, "0.001 cannot be compared exactly with money", 17),
        ("loss_ratio > 0.0000001", True, "0.0000001 cannot be compared exactly with decimal", 14),
        ("interns_completed > 2.5", True, "2.5 cannot be compared exactly with integer", 21),
        ("monthly_sales + 1 > quarterly_sales + 1", True, "a condition compares a field", 19),
        (
            "(monthly_sales > 1) == social_insurance_paid_in_full",
            True,
            "compare a value, not a condition",
            16,
        ),
        ("monthly_sales > 1 / 0", False, "division by zero", 19),
    ],
)
def test_errors(text: str, condition: bool, message: str, column: int) -> None:
    compile_ = compile_condition if condition else compile_amount
    error = error_of(lambda: compile_(text, SYMBOLS))
    assert message in error.message, str(error)
    assert error.position == column - 1, str(error)
    assert error.text == text
    assert f"at column {column}" in str(error)
    assert isinstance(error, ValueError)


def test_error_text_reads_well() -> None:
    error = error_of(lambda: compile_amount("rent_paid * 70%", SYMBOLS))
    assert str(error) == "unknown field 'rent_paid' at column 1: did you mean 'rent_and_broadband_paid'?"
    error = error_of(lambda: compile_condition("lender_type == 'banks'", SYMBOLS))
    assert str(error).endswith("did you mean 'bank'?")
    error = error_of(lambda: compile_condition("monthly_sales > quarterly_sales / 3", SYMBOLS))
    assert "conditions compare exactly: multiply instead of dividing" in str(error)


def test_depth_is_guarded() -> None:
    deep = "(" * 60 + "monthly_sales" + ")" * 60
    assert "nests more than 50 levels" in error_of(lambda: parse(deep)).message
    assert "nests more than 50" in error_of(lambda: parse("-" * 60 + "1")).message
    assert "nests more than 50" in error_of(lambda: parse("not " * 60 + "a")).message
    assert "nests more than 50" in error_of(lambda: parse(" + ".join(["a"] * 60))).message
    assert "nests more than 50" in error_of(lambda: parse("(" * 5000 + "a" + ")" * 5000)).message
    parse("(" * 20 + "a" + ")" * 20)
    parse(" and ".join(["a"] * 500))


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rent_and_broadband_paid * 70%", MONEY),
        ("70% * rent_and_broadband_paid", MONEY),
        (AMOUNTS[1], MONEY),
        ("monthly_sales / graduates_hired", MONEY),
        ("monthly_sales / quarterly_sales", DECIMAL),
        ("graduates_hired * 2", MONEY),
        ("graduates_hired * months_operating_in_base", INTEGER),
        ("loss_ratio * loss_ratio", DECIMAL),
        ("graduates_hired * loss_ratio", DECIMAL),
        ("100000", MONEY),
        ("min(graduates_hired, 3)", INTEGER),
    ],
)
def test_amount_types(text: str, expected: ValueType) -> None:
    assert check(parse(text), SYMBOLS, condition=False) == expected


def test_condition_type_is_bool() -> None:
    for text in CONDITIONS:
        assert check(parse(text), SYMBOLS, condition=True) == BOOL


def test_parameters_are_fine_in_amounts() -> None:
    node = compile_amount("monthly_sales * pboc_one_year_lending_rate", SYMBOLS)
    assert names_read(node) == {"monthly_sales", "pboc_one_year_lending_rate"}


# ---------------------------------------------------------------- normalization and evaluation


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("not (a < b)", "a >= b"),
        ("not (a == 'x')", 'a != "x"'),
        ("not (a in [1, 2])", "a not in [1, 2]"),
        ("not (a not in [1])", "a in [1]"),
        ("not (a is set)", "a is not set"),
        ("not (a is not set)", "a is set"),
        ("f", "f == true"),
        ("not f", "f == false"),
        ("not not f", "f == true"),
        ("not (f and a > 1)", "f == false or a <= 1"),
        ("not (f or not (g and h))", "f == false and g == true and h == true"),
        ("a > 1 and (b > 1 and c > 1)", "a > 1 and b > 1 and c > 1"),
    ],
)
def test_normalize(text: str, normal: str) -> None:
    assert render(normalize(parse(text))) == normal


def test_arithmetic_is_exact() -> None:
    assert evaluate(parse("0.1 + 0.2"), {}) == Decimal("0.3")
    assert evaluate(parse("1300000 * 0.6%"), {}) == Decimal("7800")
    assert evaluate(parse("a * 70%"), {"a": Decimal("100.01")}) == Decimal("70.007")
    assert evaluate(parse("1 / 8"), {}) == Decimal("0.125")
    assert evaluate(parse("2 / 3"), {}) == Decimal("0." + "6" * 49 + "7")  # 50 significant digits
    assert evaluate(parse("123456789012345678.91 * 1000"), {}) == Decimal("123456789012345678910")
    value = evaluate(
        compile_amount(AMOUNTS[1], SYMBOLS),
        {
            "graduates_hired": 3,
            "graduate_loan_quota_used": Decimal("1800000"),
            "pboc_one_year_lending_rate": Decimal("0.0435"),
        },
    )
    assert value == Decimal("8700")


def test_ints_stay_ints() -> None:
    assert evaluate(parse("a * 2 + 1"), {"a": 3}) == 7
    assert type(evaluate(parse("a * 2 + 1"), {"a": 3})) is int
    assert type(evaluate(parse("a / 2"), {"a": 4})) is Decimal
    assert type(evaluate(parse("a * 1.0"), {"a": 4})) is Decimal


def test_missing_values() -> None:
    env: dict[str, object] = {"b": 1}
    assert evaluate(parse("a + 1"), env) is None
    assert evaluate(parse("-a"), env) is None
    assert evaluate(parse("min(a, b)"), env) is None
    for text in ["a > 5", "a != 5", "not (a > 5)", "not (a == 5)", "a in [1]", "a not in [1]", "not f"]:
        assert evaluate(parse(text), env) is False, text
    assert evaluate(normalize(parse("f")), env) is False
    assert evaluate(parse("b > a * 2"), env) is False
    assert evaluate(parse("not (b > a * 2)"), env) is False
    assert evaluate(parse("a is not set and b is set"), env) is True
    assert evaluate(parse("not (a is set)"), env) is True
    assert evaluate(parse("a > 5 or b == 1"), env) is True
    assert evaluate(parse("not (a > 5 and b == 1)"), env) is False
    assert evaluate(parse("not (a > 5 and b == 2)"), env) is True


def test_evaluate_values() -> None:
    env = {"d": date(2016, 6, 13), "t": "bank", "f": False, "m": Decimal("30000.01")}
    assert evaluate(parse("d >= 2016-06-13 and d < 2016-06-14"), env) is True
    assert evaluate(parse("t in ['bank', 'loan_company'] and t != 'x'"), env) is True
    assert evaluate(parse("not f and f == false"), env) is True
    assert evaluate(parse("m > 3万 and m <= 30000.01 and m < 30000.02"), env) is True
    assert evaluate(parse("max(m, 4万)"), env) == 40000
    with pytest.raises(ZeroDivisionError, match="column 3"):
        evaluate(parse("m / (m - m)"), env)


# ---------------------------------------------------------------- encoding and durable compilation


@pytest.mark.parametrize(
    ("vtype", "value", "encoded"),
    [
        (MONEY, Decimal("30000.01"), 3000001),
        (MONEY, 30000, 3000000),
        (MONEY, Decimal("-0.5"), -50),
        (DECIMAL, Decimal("0.0435"), 43500),
        (DECIMAL, Decimal("0.000001"), 1),
        (INTEGER, 12, 12),
        (BOOL, False, False),
        (TEXT, "bank", "bank"),
        (DATE, date(2016, 6, 13), 736128),
        (MONEY, None, None),
    ],
)
def test_encode_value(vtype: ValueType, value: object, encoded: object) -> None:
    assert encode_value(vtype, value) == encoded
    assert type(encode_value(vtype, value)) is type(encoded)


@pytest.mark.parametrize(
    ("vtype", "value"),
    [
        (MONEY, Decimal("0.001")),
        (MONEY, 0.1),
        (MONEY, True),
        (MONEY, Decimal("NaN")),
        (DECIMAL, Decimal("1E-7")),
        (INTEGER, True),
        (INTEGER, "3"),
        (BOOL, 1),
        (TEXT, 3),
        (DATE, "2016-06-13"),
    ],
)
def test_encode_value_refuses(vtype: ValueType, value: object) -> None:
    with pytest.raises(ValueError):
        encode_value(vtype, value)


@pytest.mark.parametrize(
    ("text", "durable"),
    [
        ("monthly_sales > 5", {"$gt": {"monthly_sales": 500}}),
        ("5 < monthly_sales", {"$gt": {"monthly_sales": 500}}),
        ("monthly_sales <= 3万", {"$lte": {"monthly_sales": 3000000}}),
        ("lender_type == 'bank'", {"lender_type": "bank"}),
        ("lender_type != 'bank'", {"$neq": {"lender_type": "bank"}}),
        ("loss_ratio >= 0.8", {"$gte": {"loss_ratio": 800000}}),
        ("registered_on >= 2016-06-13", {"$gte": {"registered_on": 736128}}),
        ("social_insurance_paid_in_full", {"social_insurance_paid_in_full": True}),
        ("not social_insurance_paid_in_full", {"social_insurance_paid_in_full": False}),
        (
            "interns_completed > interns_retained * 2",
            {
                "$and": [
                    {"$ex": {"interns_completed": 1}},
                    {"$ex": {"interns_retained": 1}},
                    {"$gt": {"interns_completed": {"$mul": {"$l": {"$m": "interns_retained"}, "$r": 2}}}},
                ]
            },
        ),
        (
            "monthly_sales >= quarterly_sales + 7",
            {
                "$and": [
                    {"$ex": {"monthly_sales": 1}},
                    {"$ex": {"quarterly_sales": 1}},
                    {"$gte": {"monthly_sales": {"$add": {"$l": {"$m": "quarterly_sales"}, "$r": 700}}}},
                ]
            },
        ),
        (
            "monthly_sales > 2 * quarterly_sales",
            {
                "$and": [
                    {"$ex": {"monthly_sales": 1}},
                    {"$ex": {"quarterly_sales": 1}},
                    {"$gt": {"monthly_sales": {"$mul": {"$l": 2, "$r": {"$m": "quarterly_sales"}}}}},
                ]
            },
        ),
        (
            "monthly_sales > graduates_hired * 1000",
            {
                "$and": [
                    {"$ex": {"graduates_hired": 1}},
                    {"$ex": {"monthly_sales": 1}},
                    {"$gt": {"monthly_sales": {"$mul": {"$l": {"$m": "graduates_hired"}, "$r": 100000}}}},
                ]
            },
        ),
        (
            "monthly_sales < -quarterly_sales",
            {
                "$and": [
                    {"$ex": {"monthly_sales": 1}},
                    {"$ex": {"quarterly_sales": 1}},
                    {"$lt": {"monthly_sales": {"$sub": {"$l": 0, "$r": {"$m": "quarterly_sales"}}}}},
                ]
            },
        ),
        ("reference_rent is set", {"$ex": {"reference_rent": 1}}),
        ("not (reference_rent is set)", {"$nex": {"reference_rent": 1}}),
        (
            "lender_type in ['bank', 'loan_company']",
            {"$or": [{"lender_type": "bank"}, {"lender_type": "loan_company"}]},
        ),
        (
            "not lender_type in ['bank', 'loan_company']",
            {"$and": [{"$neq": {"lender_type": "bank"}}, {"$neq": {"lender_type": "loan_company"}}]},
        ),
        (
            "not (lender_type in ['bank'] or monthly_sales < quarterly_sales)",
            {
                "$and": [
                    {"$neq": {"lender_type": "bank"}},
                    {"$ex": {"monthly_sales": 1}},
                    {"$ex": {"quarterly_sales": 1}},
                    {"$gte": {"monthly_sales": {"$m": "quarterly_sales"}}},
                ]
            },
        ),
        (
            "not (monthly_sales <= 3万 or quarterly_sales <= 9万)",
            {"$and": [{"$gt": {"monthly_sales": 3000000}}, {"$gt": {"quarterly_sales": 9000000}}]},
        ),
    ],
)
def test_to_durable(text: str, durable: dict[str, object]) -> None:
    assert to_durable(compile_condition(text, SYMBOLS), SYMBOLS) == durable


# The engine's own behaviour, which `evaluate` mirrors. Facts carry a marker that every rule also tests:
# a condition made only of absence tests (`$nex`) otherwise matches durable's per-session state object and
# fires without end. Each fact gets its own session id, because delete_state crashes the process on a ruleset
# whose rules have never fired.
GUARD = {"kind": "profile"}
_host = Host()
_ruleset_ids = itertools.count()


def durable_matches(
    conditions: list[dict[str, object]], facts: list[dict[str, object]], marker: bool = True
) -> list[set[int]]:
    """For each fact, the indexes of the conditions durable_rules matches it with."""
    name = f"expression_{next(_ruleset_ids)}"
    fired: set[int] = set()

    def action(index: int) -> Callable[[object], None]:
        return lambda _context: fired.add(index)

    rules = {
        f"r{i}": {"all": [{"m": {"$and": [GUARD, c]} if marker else c}], "run": action(i)}
        for i, c in enumerate(conditions)
    }
    _host.register_rulesets({name: rules})
    results = []
    for number, fact in enumerate(facts):
        fired.clear()
        try:
            _host.assert_fact(name, {"sid": f"s{number}", "id": "p", **(GUARD if marker else {}), **fact})
        except MessageNotHandledException:
            pass
        results.append(set(fired))
    return results


B_TIMES_2 = {"$mul": {"$l": {"$m": "b"}, "$r": 2}}


@pytest.mark.parametrize(
    ("condition", "fact", "alone", "in_and"),
    [
        ({"$neq": {"a": 5}}, {}, False, False),
        ({"$neq": {"a": "x"}}, {}, False, False),
        ({"$lt": {"a": 5}}, {}, False, False),
        ({"$gte": {"a": 5}}, {}, False, False),
        ({"a": 5}, {}, False, False),
        ({"$neq": {"a": True}}, {}, False, False),
        ({"$neq": {"a": True}}, {"a": False}, True, True),
        ({"$or": [{"$neq": {"a": 5}}, {"b": 1}]}, {}, False, False),
        ({"$ex": {"a": 1}}, {"a": 0}, True, True),
        ({"$nex": {"a": 1}}, {}, None, True),  # alone, it also matches the session state, forever
        ({"$nex": {"a": 1}}, {"a": 0}, None, False),
        ({"a": 9007199254740993}, {"a": 9007199254740992}, False, False),
        # A right side reading a missing field: false alone, but true for any operator inside an $and.
        ({"$neq": {"a": {"$m": "b"}}}, {"a": 1}, False, True),
        ({"a": {"$m": "b"}}, {"a": 1}, False, True),
        ({"$gt": {"a": B_TIMES_2}}, {"a": 5}, False, True),
        ({"$lt": {"a": B_TIMES_2}}, {"a": 5}, False, True),
        ({"$and": [{"$ex": {"b": 1}}, {"$lt": {"a": B_TIMES_2}}]}, {"a": 5}, False, False),
        ({"$lt": {"a": B_TIMES_2}}, {"b": 5}, False, False),
    ],
)
def test_durable_missing_field_semantics(
    condition: dict[str, object], fact: dict[str, object], alone: bool | None, in_and: bool
) -> None:
    if alone is not None:
        assert durable_matches([condition], [fact], marker=False) == [{0} if alone else set()]
    assert durable_matches([condition], [fact]) == [{0} if in_and else set()]


AGREEMENT = [
    *CONDITIONS,
    "monthly_sales > 30000.00",
    "monthly_sales >= 30000.01",
    "monthly_sales != 30000",
    "monthly_sales == 3万",
    "not (monthly_sales > 30000)",
    "not (monthly_sales <= 3万 or quarterly_sales <= 9万)",
    "not (months_operating_in_base >= 12 and social_insurance_paid_in_full)",
    "social_insurance_paid_in_full != true",
    "social_insurance_paid_in_full == first_set_product_awarded_before",
    "not (not social_insurance_paid_in_full or lender_type == 'bank')",
    "lender_type not in ['bank', 'loan_company']",
    "not lender_type in ['guarantee_company']",
    "lender_type == 'guarantee_company' or lender_type is not set",
    "not (sme_loan_avg_balance_current > sme_loan_avg_balance_previous)",
    "sme_loan_avg_balance_current >= sme_loan_avg_balance_previous * 2",
    "sme_loan_avg_balance_current < sme_loan_avg_balance_previous + 0.01",
    "not (sme_loan_avg_balance_current <= sme_loan_avg_balance_previous - 50)",
    "sme_loan_avg_balance_current != sme_loan_avg_balance_previous",
    "monthly_sales > -quarterly_sales",
    "reference_rent is not set and monthly_sales > 0",
    "not (reference_rent is set) or reference_rent < rent_and_broadband_paid",
    "not (reference_rent is not set or reference_rent >= rent_and_broadband_paid)",
    "interns_completed > interns_retained * 2 + 1",
    "3 * interns_retained - interns_completed >= months_operating_in_base",
    "interns_completed == interns_retained",
    "not (interns_completed != interns_retained)",
    "not (registered_on < 2016-06-13) and registered_on <= 2017-12-31",
    "2016-06-13 < registered_on",
    "registered_on != 2016-06-13",
    "loss_ratio >= 0.8",
    "loss_ratio < 80% and loss_ratio > 0.000001",
    "rent_and_broadband_paid > graduates_hired * 100",
    "rent_and_broadband_paid >= graduates_hired * 100 + 0.5",
    "(monthly_sales > 1万 or months_operating_in_base < 6)"
    " and not (lender_type in ['bank'] and reference_rent is not set)",
    "not (monthly_sales is set and quarterly_sales is set)",
    "not (interns_completed > interns_retained or monthly_sales <= quarterly_sales)",
    "lender_type == 'bank' or not (sme_loan_avg_balance_current == sme_loan_avg_balance_previous * 2)",
    "sme_loan_avg_balance_current >= sme_loan_avg_balance_previous - reference_rent",
]
COMPILED = [compile_condition(text, SYMBOLS) for text in AGREEMENT]
PARSED = [parse(text) for text in AGREEMENT]  # (parsed once: a text parses to the same tree for every example)
DURABLE = [to_durable(node, SYMBOLS) for node in COMPILED]


def cents(*values: str) -> st.SearchStrategy[Decimal]:
    near = st.sampled_from([Decimal(v) for v in values])
    return st.one_of(near, st.decimals(min_value=-100, max_value=200000, places=2))


VALUES: dict[ValueType, st.SearchStrategy[object]] = {
    MONEY: cents(
        "0",
        "0.01",
        "-0.01",
        "29999.99",
        "30000",
        "30000.01",
        "89999.99",
        "90000",
        "90000.01",
        "100",
        "100.01",
        "200",
        "200.02",
        "50",
        "10000",
        "10000.01",
        "250",
        "250.49",
        "250.5",
        "250.51",
    ),
    INTEGER: st.integers(min_value=-2, max_value=14),
    DECIMAL: st.one_of(
        st.sampled_from([Decimal(v) for v in ("0", "0.000001", "0.000002", "0.799999", "0.8", "0.800001")]),
        st.decimals(min_value=0, max_value=2, places=6),
    ),
    BOOL: st.booleans(),
    TEXT: st.sampled_from(LENDERS),
    DATE: st.one_of(
        st.sampled_from(
            [date(2016, 6, 12), date(2016, 6, 13), date(2016, 6, 14), date(2017, 12, 31), date(2018, 1, 1)]
        ),
        st.dates(date(2015, 1, 1), date(2019, 1, 1)),
    ),
}
# A few fields draw from a shared pool, so that field-to-field comparisons often meet equal values.
SHARED = st.sampled_from([Decimal(v) for v in ("50", "99.99", "100", "100.01", "200", "200.01", "200.02")])
ENVIRONMENTS = st.fixed_dictionaries(
    {
        name: st.one_of(st.none(), SHARED if name.startswith(("sme_", "reference_rent")) else VALUES[symbol.type])
        for name, symbol in SYMBOLS.items()
        if not symbol.is_parameter
    }
)


@settings(max_examples=examples(300), derandomize=True, deadline=None, database=None)
@given(st.lists(ENVIRONMENTS, min_size=1, max_size=8))
def test_evaluate_agrees_with_durable(environments: list[dict[str, object]]) -> None:
    facts = [
        {name: encode_value(SYMBOLS[name].type, value) for name, value in env.items() if value is not None}
        for env in environments
    ]
    for env, matched in zip(environments, durable_matches(DURABLE, facts), strict=True):
        for index, (text, node, parsed) in enumerate(zip(AGREEMENT, COMPILED, PARSED, strict=True)):
            assert evaluate(node, env) is (index in matched), (text, env)
            assert evaluate(parsed, env) is (index in matched), (text, env)


def test_compiled_rendering_is_a_valid_condition() -> None:
    for node in COMPILED:
        again = compile_condition(render(node), SYMBOLS)
        assert again == node
        assert to_durable(again, SYMBOLS) == to_durable(node, SYMBOLS)


def test_trees_are_hashable_values() -> None:
    node: Node = compile_condition(CONDITIONS[0], SYMBOLS)
    assert hash(node) == hash(compile_condition(CONDITIONS[0], SYMBOLS))
