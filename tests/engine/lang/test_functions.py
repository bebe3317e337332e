"""The whitelisted functions of the condition language (``chronolex.lang.functions``).

Each function is called through ``chronolex.compile_condition`` and evaluated both by
the compiled closure and by the reference interpreter (they must agree). What is
checked, per docs/conditions.md#functions:

- the whitelist is exactly the documented twelve names;
- ``years_between``/``months_between``: whole calendar units with the day clamped to the
  month's end (born 29 February 2008: 17 on 28 February 2026, 18 from 1 March 2026),
  an instant read as its local date in the bundle timezone, negative when b is before a;
- ``days_between``: calendar days between dates, whole elapsed 24-hour days between
  instants (a 23-hour spring-forward day is 0 days), an instant against a date by its
  local date;
- ``is_unknown``/``is_known`` are never unknown, ``coalesce`` replaces unknown only;
- ``abs``/``min``/``max`` on ints and decimals, with their static types;
- ``date``/``datetime``/``duration`` take string literals only, checked when compiled;
- every other function is unknown when an argument is unknown; wrong arity, keyword
  arguments, wrong argument types and unknown names are refused with their codes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import chronolex
from chronolex import UNKNOWN, ConditionError, Context, Duration, EvaluationError, compile_condition, interpret
from chronolex.lang import types as t
from chronolex.lang.functions import FUNCTIONS

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

CATALOG: dict[str, t.Type] = {
    "a": t.DATE, "b": t.DATE, "x": t.DATETIME, "y": t.DATETIME,
    "n": t.INT, "k": t.INT, "m": t.DECIMAL, "flag": t.BOOL, "text": t.STRING,
    "status": t.enum_of(["active", "frozen"]),
}


def run(text: str, now: str = "2026-03-16T10:00", zone: ZoneInfo = SH, **facts: object) -> object:
    """``text`` evaluated by both evaluators (which must agree), at ``now`` read in ``zone``."""
    compiled = compile_condition(text, CATALOG, expect=None)
    ctx = Context(facts, chronolex.parse_instant(now, zone), zone)
    value = compiled.evaluate(ctx)
    reference = interpret(compiled.ast, ctx)
    assert value == reference or value is reference
    return value


def static_type(text: str) -> str:
    compiled = compile_condition(text, CATALOG, expect=None)
    assert compiled.type is not None
    return compiled.type.name


def refused(text: str) -> tuple[str, str, str | None]:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text, CATALOG, expect=None)
    problem = caught.value.problems[0]
    return problem.code, problem.message, problem.help


def test_the_whitelist_is_exactly_the_documented_functions() -> None:
    assert sorted(FUNCTIONS) == ["abs", "coalesce", "date", "datetime", "days_between", "duration", "is_known",
                                 "is_unknown", "max", "min", "months_between", "years_between"]
    code, message, hint = refused("len(n) > 1")
    assert (code, message) == ("unknown-function", "unknown function 'len'")
    assert hint == "available functions: " + ", ".join(sorted(FUNCTIONS))


# -- years_between / months_between -----------------------------------------------------------


@pytest.mark.parametrize(("now", "age"), [
    ("2026-02-28T23:59", 17),
    ("2026-03-01T00:00", 18),   # a common year: 1 March, when now - 18 years first reaches 29 February
    ("2027-02-28T12:00", 18),
    ("2027-03-01T00:00", 19),
    ("2028-02-28T23:59", 19),
    ("2028-02-29T00:00", 20),   # a leap year: the birthday itself
])
def test_someone_born_on_29_february_turns_older_on_1_march_in_common_years(now: str, age: int) -> None:
    assert run("years_between(a, now)", now, a=date(2008, 2, 29)) == age


def test_an_instant_is_read_as_its_local_date_in_the_bundle_timezone() -> None:
    # 2026-02-28T16:00Z is already 1 March in Shanghai, still 28 February in New York
    instant = datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)
    born = date(2008, 2, 29)
    assert run("years_between(a, x)", zone=SH, a=born, x=instant) == 18
    assert run("years_between(a, x)", zone=NY, a=born, x=instant) == 17


def test_months_between_counts_whole_months_with_the_day_clamped() -> None:
    assert run("months_between(a, b)", a=date(2026, 1, 31), b=date(2026, 2, 28)) == 0
    assert run("months_between(a, b)", a=date(2026, 1, 31), b=date(2026, 3, 1)) == 1
    assert run("months_between(a, b)", a=date(2024, 2, 29), b=date(2024, 3, 29)) == 1
    assert run("months_between(a, b)", a=date(2024, 2, 29), b=date(2024, 3, 28)) == 0
    assert run("months_between(a, b)", a=date(2025, 1, 15), b=date(2026, 3, 15)) == 14


def test_years_and_months_between_are_negative_when_b_is_before_a() -> None:
    assert run("years_between(a, b)", a=date(2026, 3, 1), b=date(2008, 2, 29)) == -18
    assert run("months_between(a, b)", a=date(2026, 3, 31), b=date(2026, 1, 31)) == -2
    assert run("years_between(a, b)", a=date(2026, 3, 1), b=date(2026, 3, 1)) == 0


def test_years_between_two_instants_uses_their_local_dates() -> None:
    # 23:30 on 28 February and 00:30 on 1 March, Shanghai time: one hour apart, one birthday apart
    born = chronolex.parse_instant("2008-02-29T23:30", SH)
    assert run("years_between(x, y)", x=born, y=chronolex.parse_instant("2026-02-28T23:59", SH)) == 17
    assert run("years_between(x, y)", x=born, y=chronolex.parse_instant("2026-03-01T00:30", SH)) == 18


# -- days_between ------------------------------------------------------------------------------


def test_days_between_dates_counts_calendar_days_either_way() -> None:
    assert run("days_between(a, b)", a=date(2026, 2, 1), b=date(2026, 3, 1)) == 28
    assert run("days_between(a, b)", a=date(2026, 3, 1), b=date(2026, 2, 1)) == -28
    assert run("days_between(a, b)", a=date(2024, 2, 28), b=date(2024, 3, 1)) == 2


def test_days_between_instants_counts_whole_elapsed_24_hour_days() -> None:
    start = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    assert run("days_between(x, y)", x=start, y=datetime(2026, 3, 3, 9, 59, tzinfo=timezone.utc)) == 1
    assert run("days_between(x, y)", x=start, y=datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc)) == 2
    assert run("days_between(x, y)", x=start, y=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)) == -1  # floor


def test_a_spring_forward_day_is_one_calendar_day_but_zero_elapsed_days() -> None:
    noon_before = chronolex.parse_instant("2026-03-28T12:00", BERLIN)
    noon_after = chronolex.parse_instant("2026-03-29T12:00", BERLIN)  # 23 hours later
    assert run("days_between(x, y)", zone=BERLIN, x=noon_before, y=noon_after) == 0
    assert run('days_between(date("2026-03-28"), date("2026-03-29"))', zone=BERLIN) == 1


def test_days_between_an_instant_and_a_date_uses_the_local_date_of_the_instant() -> None:
    late = datetime(2026, 2, 28, 17, 0, tzinfo=timezone.utc)  # 2026-03-01 01:00 in Shanghai
    assert run("days_between(x, b)", zone=SH, x=late, b=date(2026, 3, 2)) == 1
    assert run("days_between(x, b)", zone=NY, x=late, b=date(2026, 3, 2)) == 2


# -- unknown as a value ------------------------------------------------------------------------


def test_is_unknown_and_is_known_are_never_unknown() -> None:
    assert run("is_unknown(n)") is True
    assert run("is_unknown(n)", n=0) is False
    assert run("is_known(n)") is False
    assert run("is_known(n)", n=0) is True
    assert run("is_unknown(a)", a=UNKNOWN) is True


def test_coalesce_replaces_only_an_unknown_value() -> None:
    assert run("coalesce(n, 0)") == 0
    assert run("coalesce(n, 0)", n=5) == 5
    assert run("coalesce(n, 0)", n=0) == 0
    assert run("coalesce(flag, true)", flag=False) is False
    assert run("coalesce(n, k)") is UNKNOWN  # both unknown


def test_coalesce_types_follow_the_wider_argument() -> None:
    assert static_type("coalesce(n, 0)") == "int"
    assert static_type("coalesce(n, 1.5)") == "decimal"
    assert run("coalesce(n, 1.5)") == Decimal("1.5")
    assert static_type('coalesce(status, "unknown")') == "string"  # the default may lie outside the enum
    assert run('coalesce(status, "unknown")') == "unknown"
    code, message, _ = refused("coalesce(n, text)")
    assert (code, message) == ("type-mismatch", "coalesce() needs two arguments of the same type, found int, string")


# -- numbers -------------------------------------------------------------------------------------


def test_abs_min_and_max_compute_on_ints_and_exact_decimals() -> None:
    assert run("abs(n)", n=-3) == 3
    assert run("abs(m)", m=Decimal("-2.50")) == Decimal("2.50")
    assert run("min(n, 3)", n=5) == 3
    assert run("max(n, k, 7)", n=5, k=9) == 9
    assert run("min(m, 0.1)", m=Decimal("0.10")) == Decimal("0.1")
    assert run("max(n, m)", n=1, m=Decimal("1.25")) == Decimal("1.25")


def test_abs_min_and_max_are_decimal_when_an_argument_is_decimal() -> None:
    assert static_type("abs(n)") == "int"
    assert static_type("min(n, k)") == "int"
    assert static_type("max(n, m)") == "decimal"
    assert static_type("min(n, 0.5, k)") == "decimal"


def test_the_value_of_min_or_max_with_a_decimal_argument_is_a_decimal() -> None:
    value = run("max(n, m)", n=3, m=Decimal("1.5"))
    assert static_type("max(n, m)") == "decimal"
    assert isinstance(value, Decimal)


def test_a_where_field_that_is_not_a_number_is_an_evaluation_error() -> None:
    where = compile_condition("abs(amount) > 1", {}, fields_are_any=True)
    with pytest.raises(EvaluationError, match="expected a number, got 'x'"):
        where.evaluate(Context({"amount": "x"}, chronolex.parse_instant("2026-03-01", SH), SH))


# -- literals ------------------------------------------------------------------------------------


def test_date_datetime_and_duration_literals() -> None:
    assert run('date("2024-02-29")') == date(2024, 2, 29)
    assert run('duration("P1Y2M")') == Duration(years=1, months=2)
    # without an offset, wall time in the evaluation's timezone; with one, as written
    assert run('datetime("2026-03-01T02:00")', zone=SH) == datetime(2026, 2, 28, 18, 0, tzinfo=timezone.utc)
    assert run('datetime("2026-03-01T02:00")', zone=NY) == datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc)
    assert run('datetime("2026-03-01T02:00Z")', zone=NY) == datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "code", "message"), [
    ('date("2026-02-30")', "invalid-date", "'2026-02-30' is not a valid date (day is out of range for month)"),
    ('date("2026-3-1")', "invalid-date", "'2026-3-1' is not a valid date (expected YYYY-MM-DD)"),
    ('datetime("2026-01-01")', "invalid-date", "'2026-01-01' has no time; use date('2026-01-01') for a day"),
    ('datetime("2026-03-01T25:00")', "invalid-date",
     "'2026-03-01T25:00' is not a valid date or date-time (hour must be in 0..23)"),
    ('duration("P1.5D")', "invalid-duration", "'P1.5D' is not an ISO 8601 duration (e.g. P12M, P30D, PT24H)"),
    ("date(text)", "type-mismatch", "date() takes a string literal"),
    ("duration(n)", "type-mismatch", "duration() takes a string literal"),
])
def test_a_bad_literal_is_refused_when_the_condition_is_compiled(text: str, code: str, message: str) -> None:
    assert refused(text)[:2] == (code, message)


# -- unknown arguments and refusals --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "years_between(a, now)", "months_between(a, now)", "days_between(a, now)", "days_between(x, now)",
    "abs(n)", "min(n, 1)", "max(1, n)", "min(1, 2, m)",
])
def test_a_function_is_unknown_when_an_argument_is_unknown(text: str) -> None:
    assert run(text) is UNKNOWN
    assert run(f"{text} == 0 or true") is True  # still Kleene above it


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("min(n) > 1", "wrong number of arguments to min", "min(x, y, ...) -> number"),
    ("abs(n, 1) > 1", "wrong number of arguments to abs", "abs(x) -> number"),
    ("coalesce(n) > 1", "wrong number of arguments to coalesce", "coalesce(x, default) -> type of x"),
    ("is_unknown()", "wrong number of arguments to is_unknown", "is_unknown(x) -> bool"),
    ("years_between(now, 1) > 1", "years_between() expects two dates or date-times, found datetime, int",
     "years_between(a, b) -> int"),
    ("days_between(n, x) > 1", "days_between() expects two dates or date-times, found int, datetime",
     "days_between(a, b) -> int"),
    ("abs(flag) > 1", "abs() expects numbers, found bool", "abs(x) -> number"),
])
def test_wrong_arguments_are_type_mismatches_with_the_signature_as_hint(text: str, message: str, hint: str) -> None:
    assert refused(text) == ("type-mismatch", message, hint)


def test_keyword_arguments_are_refused() -> None:
    assert refused("min(n=1, k=2) > 0")[:2] == ("forbidden-construct", "keyword arguments are not allowed")


def test_a_condition_calling_a_function_of_now_uses_now() -> None:
    compiled = compile_condition("days_between(x, now) >= 1", CATALOG)
    assert compiled.uses_now and compiled.facts == {"x"}
    assert not compile_condition("days_between(x, y) >= 1", CATALOG).uses_now
