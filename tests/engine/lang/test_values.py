"""Run-time values and the primitive operations both evaluators share (``chronolex.lang.values``).

What is checked:

- ``UNKNOWN`` is one value, survives pickling and copying, is not ``None`` or ``False``,
  and has no truth value (``bool(UNKNOWN)`` raises ``TypeError``);
- Kleene's truth tables for ``not`` (``kleene_not``) and for ``and``/``or`` (as both the
  compiled closures and the reference interpreter evaluate them, with any number of
  operands and in either order);
- ``compare``: every comparison with an unknown operand is unknown; ``in`` is true when an
  item matches, else unknown if an item is unknown; a bool never equals a number; a date
  meets an instant as the start of its day in the zone; ordering bools is an error;
- ``arithmetic``: decimals are exact (``0.1 + 0.2 == 0.3``), ``/`` always gives a decimal,
  division by zero is an ``EvaluationError``, unknown propagates, and a date or instant is
  shifted by a duration in calendar time.
"""

from __future__ import annotations

import copy
import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex import UNKNOWN, Context, Duration, EvaluationError, compile_condition, interpret
from chronolex.lang import types as t
from chronolex.lang.values import arithmetic, compare, elapsed_days, kleene_not, minus, truth
from tests.strategies import KLEENE_AND_OR

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 8, 2, 30, tzinfo=timezone.utc)
BOOLS = {"p": t.BOOL, "q": t.BOOL, "r": t.BOOL}
OPS = ("==", "!=", "<", "<=", ">", ">=")


def both(text: str, **facts: object) -> object:
    """``text`` over bool facts ``p``, ``q``, ``r`` (a missing one is unknown), by both evaluators."""
    compiled = compile_condition(text, BOOLS)
    ctx = Context(facts, NOW, SH)
    value = compiled.evaluate(ctx)
    assert interpret(compiled.ast, ctx) is value
    return value


# -- UNKNOWN ------------------------------------------------------------------------------------


def test_unknown_is_a_single_value_that_survives_pickling_and_copying() -> None:
    assert type(UNKNOWN)() is UNKNOWN
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    assert copy.deepcopy(UNKNOWN) is UNKNOWN and copy.copy(UNKNOWN) is UNKNOWN
    assert repr(UNKNOWN) == "unknown"


def test_unknown_is_neither_none_nor_false_and_has_no_truth_value() -> None:
    unknown: object = UNKNOWN
    assert unknown is not None and unknown is not False
    assert unknown not in (None, False, 0, "")  # not equal to any of them either
    with pytest.raises(TypeError, match="unknown has no truth value; use Kleene operations"):
        bool(UNKNOWN)
    with pytest.raises(TypeError):
        if UNKNOWN:  # a condition must never be used as a Python truth value
            pass


# -- Kleene logic -------------------------------------------------------------------------------


def test_not_is_kleene_negation() -> None:
    assert kleene_not(True) is False
    assert kleene_not(False) is True
    assert kleene_not(UNKNOWN) is UNKNOWN
    assert both("not p", p=True) is False
    assert both("not p", p=False) is True
    assert both("not p") is UNKNOWN


def test_truth_accepts_only_true_false_and_unknown() -> None:
    assert truth(True) is True and truth(False) is False and truth(UNKNOWN) is UNKNOWN
    with pytest.raises(EvaluationError, match="expected true or false, got 1"):
        truth(1)
    with pytest.raises(EvaluationError):
        kleene_not("yes")


def _facts(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not UNKNOWN}  # a missing fact is unknown


@pytest.mark.parametrize(("a", "b", "and_", "or_"), KLEENE_AND_OR)
def test_the_kleene_truth_tables_of_and_and_or(a: object, b: object, and_: object, or_: object) -> None:
    assert both("p and q", **_facts(p=a, q=b)) is and_
    assert both("p or q", **_facts(p=a, q=b)) is or_
    # both operators are commutative under Kleene logic
    assert both("q and p", **_facts(p=a, q=b)) is and_
    assert both("q or p", **_facts(p=a, q=b)) is or_


def test_a_false_or_true_operand_decides_whatever_comes_before_or_after_it() -> None:
    assert both("p and q and r", p=True, r=False) is False  # q unknown
    assert both("p or q or r", p=False, r=True) is True
    assert both("p and q and r", p=True, r=True) is UNKNOWN
    assert both("p or q or r", p=False, r=False) is UNKNOWN
    assert both("not (p and q)", p=False) is True


# -- comparisons ----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_a_comparison_with_an_unknown_operand_is_unknown(op: str) -> None:
    assert compare(op, UNKNOWN, 5, SH) is UNKNOWN
    assert compare(op, 5, UNKNOWN, SH) is UNKNOWN
    assert compare(op, UNKNOWN, UNKNOWN, SH) is UNKNOWN


def test_membership_with_unknown_items() -> None:
    assert compare("in", UNKNOWN, (1, 2), SH) is UNKNOWN
    assert compare("in", 1, (1, UNKNOWN), SH) is True       # found: true whatever the unknown item is
    assert compare("in", 3, (1, UNKNOWN), SH) is UNKNOWN    # not found, but the unknown item might be 3
    assert compare("in", 3, (1, 2), SH) is False
    assert compare("not in", 1, (1, UNKNOWN), SH) is False
    assert compare("not in", 3, (1, UNKNOWN), SH) is UNKNOWN
    assert compare("not in", 3, (1, 2), SH) is True
    assert compare("in", 3, (), SH) is False


def test_in_needs_a_list_on_its_right() -> None:
    with pytest.raises(EvaluationError, match="'in' needs a list on its right"):
        compare("in", 1, 1, SH)


def test_a_bool_never_equals_a_number_but_ints_equal_decimals() -> None:
    assert compare("==", True, 1, SH) is False
    assert compare("!=", False, 0, SH) is True
    assert compare("in", 1, (True,), SH) is False
    assert compare("==", 1, Decimal("1.00"), SH) is True
    assert compare("<", 599, Decimal("599.5"), SH) is True


def test_a_date_meets_an_instant_as_the_start_of_its_day_in_the_zone() -> None:
    midnight = chronolex.parse_instant("2026-03-01", SH)  # 2026-02-28T16:00Z
    assert compare("==", date(2026, 3, 1), midnight, SH) is True
    assert compare("<", date(2026, 3, 1), midnight + timedelta(seconds=1), SH) is True
    assert compare(">=", midnight - timedelta(seconds=1), date(2026, 3, 1), SH) is False
    assert compare("==", date(2026, 3, 1), midnight, BERLIN) is False  # another zone, another midnight


def test_ordering_bools_or_unrelated_values_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="cannot order True and False"):
        compare("<", True, False, SH)
    with pytest.raises(EvaluationError, match="cannot compare"):
        compare("<", "a", 1, SH)


# -- arithmetic -----------------------------------------------------------------------------------


def test_decimal_arithmetic_is_exact() -> None:
    assert arithmetic("+", Decimal("0.1"), Decimal("0.2"), SH) == Decimal("0.3")
    assert str(arithmetic("+", Decimal("0.1"), Decimal("0.2"), SH)) == "0.3"
    assert arithmetic("*", Decimal("19.99"), 3, SH) == Decimal("59.97")
    assert arithmetic("-", Decimal("100.10"), Decimal("0.1"), SH) == Decimal("100.00")
    assert arithmetic("+", 0.1, 0.2, SH) == Decimal("0.3")  # a stray float is read through its decimal text


def test_int_arithmetic_stays_int_and_division_is_always_decimal() -> None:
    assert arithmetic("+", 2, 3, SH) == 5 and isinstance(arithmetic("*", 2, 3, SH), int)
    six_thirds = arithmetic("/", 6, 3, SH)
    assert isinstance(six_thirds, Decimal) and six_thirds == 2
    assert arithmetic("/", 1, 4, SH) == Decimal("0.25")
    assert arithmetic("/", 1, 3, SH) == Decimal(1) / Decimal(3)


def test_division_by_zero_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="division by zero"):
        arithmetic("/", 1, 0, SH)
    with pytest.raises(EvaluationError, match="division by zero"):
        arithmetic("/", Decimal("1.5"), Decimal("0.00"), SH)


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_arithmetic_with_an_unknown_operand_is_unknown(op: str) -> None:
    assert arithmetic(op, UNKNOWN, 1, SH) is UNKNOWN
    assert arithmetic(op, 1, UNKNOWN, SH) is UNKNOWN
    assert arithmetic(op, UNKNOWN, 0, SH) is UNKNOWN  # not a division by zero: the dividend is missing


def test_a_bool_is_not_a_number() -> None:
    with pytest.raises(EvaluationError, match="expected a number, got True"):
        arithmetic("+", True, 1, SH)
    with pytest.raises(EvaluationError):
        minus(False)


def test_unary_minus() -> None:
    assert minus(Decimal("1.50")) == Decimal("-1.50")
    assert minus(3) == -3
    assert minus(UNKNOWN) is UNKNOWN


def test_dates_and_instants_shift_by_durations_in_calendar_time() -> None:
    assert arithmetic("+", date(2024, 2, 29), Duration(years=1), SH) == date(2025, 2, 28)  # clamped
    assert arithmetic("-", date(2024, 3, 31), Duration(months=1), SH) == date(2024, 2, 29)
    noon = chronolex.parse_instant("2026-03-29T12:00", BERLIN)
    day_before = arithmetic("-", noon, Duration(days=1), BERLIN)  # the same wall time the day before
    hours_before = arithmetic("-", noon, Duration(hours=24), BERLIN)  # elapsed time
    assert isinstance(day_before, datetime) and isinstance(hours_before, datetime)
    assert noon - day_before == timedelta(hours=23)  # across the spring-forward night
    assert noon - hours_before == timedelta(hours=24)
    with pytest.raises(EvaluationError, match="cannot shift a date by PT1H, which has a time part"):
        arithmetic("+", date(2024, 2, 29), Duration(hours=1), SH)


def test_elapsed_days_floors_whole_24_hour_days() -> None:
    start = datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
    assert elapsed_days(start, start + timedelta(days=2, seconds=-1)) == 1
    assert elapsed_days(start, start + timedelta(days=2)) == 2
    assert elapsed_days(start, start - timedelta(seconds=1)) == -1


cents = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200)
@given(cents, cents)
def test_sums_and_differences_of_money_amounts_are_exact(a: Decimal, b: Decimal) -> None:
    total = arithmetic("+", a, b, SH)
    assert total == a + b
    assert arithmetic("-", total, b, SH) == a  # no drift, as there would be with binary floats
    assert arithmetic("*", a, 100, SH) == a.scaleb(2)
