"""Compiled evaluators: Kleene logic, run-time faults, and agreement with the reference interpreter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronolex import EvaluationError
from chronolex.lang import (
    UNKNOWN,
    Context,
    check,
    compile_condition,
    compile_expr,
    interpret,
)
from chronolex.lang import nodes as n
from chronolex.lang import types as t
from tests.strategies import (
    CATALOG,
    KLEENE_AND_OR,
    bool_exprs,
    fact_values,
    instants,
    zones,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 8, 2, 30, tzinfo=SHANGHAI)


def run(text: str, **facts: object) -> object:
    return compile_condition(text, CATALOG).evaluate(Context(facts, NOW, SHANGHAI))


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    KLEENE_AND_OR,
)
def test_kleene_truth_tables(a: object, b: object, and_: object, or_: object) -> None:
    assert run("verified and frozen", verified=a, frozen=b) is and_
    assert run("verified or frozen", verified=a, frozen=b) is or_


def test_not_unknown_is_unknown() -> None:
    assert run("not verified") is UNKNOWN
    assert run("not verified", verified=False) is True


def test_comparison_with_an_unknown_operand_is_unknown_never_false() -> None:
    assert run("score < 600") is UNKNOWN
    assert run("score < 600 and frozen", frozen=False) is False
    assert run('status in ["frozen"]') is UNKNOWN


def test_is_unknown_and_coalesce_settle_unknowns() -> None:
    assert run("is_unknown(score)") is True
    assert run("is_known(score)", score=3) is True
    assert run("coalesce(score, 700) >= 600") is True


def test_dates_compare_with_instants_at_local_midnight() -> None:
    # 2026-03-08 starts at 00:00 in Shanghai, before NOW (02:30).
    assert run('now >= date("2026-03-08")') is True
    assert run('now < date("2026-03-09")') is True


def test_age_from_birth_date_handles_29_february() -> None:
    born = date(2008, 2, 29)
    ctx = lambda at: Context({"birth_date": born}, at, SHANGHAI)  # noqa: E731
    adult = compile_condition("years_between(birth_date, now) >= 18", CATALOG)
    assert adult.evaluate(ctx(datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI))) is False
    assert adult.evaluate(ctx(datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI))) is True


def test_now_minus_months_clamps_to_month_end() -> None:
    at = datetime(2026, 3, 31, 12, 0, tzinfo=SHANGHAI)
    expr = compile_condition('seen_at >= now - duration("P1M")', CATALOG)
    assert expr.evaluate(Context({"seen_at": datetime(2026, 2, 28, 12, 0, tzinfo=SHANGHAI)}, at, SHANGHAI)) is True
    assert expr.evaluate(Context({"seen_at": datetime(2026, 2, 28, 11, 59, tzinfo=SHANGHAI)}, at, SHANGHAI)) is False


def test_decimal_arithmetic_is_exact() -> None:
    assert run("amount * 3 == 0.3", amount=Decimal("0.1")) is True
    assert run("score / 3 > 0.33", score=1) is True


def test_division_by_zero_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError):
        run("score / days > 1", score=1, days=0)


def _outcome(fn: object, tree: n.Expr, ctx: Context) -> tuple[str, object]:
    try:
        if fn is interpret:
            return ("value", interpret(tree, ctx))
        return ("value", compile_expr(tree)(ctx))
    except EvaluationError:
        return ("error", None)


@given(bool_exprs(), fact_values(), instants(), zones())
def test_compiled_evaluator_agrees_with_the_reference_interpreter(
    tree: n.Expr, facts: dict[str, object], now: datetime, zone: ZoneInfo
) -> None:
    typed, problems = check(tree, CATALOG)
    assert problems == ()
    ctx = Context(facts, now.astimezone(zone), zone)
    expected = _outcome(interpret, typed, ctx)
    actual = _outcome(compile_expr, typed, ctx)
    assert actual == expected
    assert expected[0] == "error" or expected[1] in (True, False, UNKNOWN)


@given(bool_exprs(), fact_values(), instants())
def test_evaluation_is_deterministic(tree: n.Expr, facts: dict[str, object], now: datetime) -> None:
    typed, _ = check(tree, CATALOG)
    evaluate = compile_expr(typed)
    ctx = Context(facts, now.astimezone(SHANGHAI), SHANGHAI)
    assert _outcome(compile_expr, typed, ctx) == _outcome(compile_expr, typed, ctx)
    del evaluate


@given(st.sampled_from(["score", "amount", "verified", "status", "birth_date"]))
def test_unknown_never_becomes_false(fact: str) -> None:
    # Whatever comparison is made on a missing fact, the answer is unknown, not false.
    text = {
        "score": "score != 1",
        "amount": "amount < 0",
        "verified": "verified == true",
        "status": 'status != "active"',
        "birth_date": 'birth_date < date("2000-01-01")',
    }[fact]
    assert run(text) is UNKNOWN


@given(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.dates(date(1900, 1, 1), date(2100, 12, 31)),
       st.sampled_from(["years", "months"]))
def test_whole_years_and_months_are_the_greatest_count_calendar_arithmetic_reaches(
    x: date, y: date, unit: str
) -> None:
    """``years_between(x, y)`` is the greatest n with ``y - n years >= x`` (day clamped to
    the month's end), and symmetrically when y is before x."""
    from dateutil.relativedelta import relativedelta

    function = "years_between" if unit == "years" else "months_between"
    from chronolex.lang import parse

    typed, problems = check(parse(f"{function}(a, b)"), {"a": t.DATE, "b": t.DATE}, expect=t.INT)
    assert not problems
    count = compile_expr(typed)(Context({"a": x, "b": y}, datetime(2026, 1, 1, tzinfo=SHANGHAI), SHANGHAI))
    assert isinstance(count, int)

    def back(k: int) -> date:
        shifted: date = y - (relativedelta(years=k) if unit == "years" else relativedelta(months=k))
        return shifted

    if y >= x:
        assert count >= 0 and back(count) >= x and back(count + 1) < x
    else:
        assert count <= 0 and back(count) <= x and back(count - 1) > x
