"""The whitelist of functions a condition may call, with their types and meaning.

Nothing outside this table can be called. ``date``, ``datetime`` and ``duration`` take
a string *literal* only, so their argument is checked when the policy is loaded, not
when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from chronolex.errors import EvaluationError
from chronolex.lang import types as t
from chronolex.lang.values import UNKNOWN, elapsed_days
from chronolex.instants import Duration, parse_date, parse_instant

Checker = Callable[[Sequence[t.Type]], "t.Type | str"]
Impl = Callable[[tzinfo, Sequence[object]], object]


@dataclass(frozen=True, slots=True)
class Function:
    """A whitelisted function: how many arguments, their types, and what it computes."""

    name: str
    signature: str
    doc: str
    check: Checker
    impl: Impl
    min_args: int
    max_args: int | None
    handles_unknown: bool = False
    literal_arg: Callable[[str], object] | None = None


def _temporal_pair(args: Sequence[t.Type]) -> t.Type | str:
    if all(a.is_temporal or a.is_open for a in args):
        return t.INT
    return "expects two dates or date-times"


def _local(value: object, zone: tzinfo) -> date | datetime:
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    raise EvaluationError(f"expected a date or date-time, got {value!r}")


def _calendar_pair(a: object, b: object, zone: tzinfo) -> tuple[date | datetime, date | datetime]:
    x, y = _local(a, zone), _local(b, zone)
    if isinstance(x, datetime) != isinstance(y, datetime):
        x = x.date() if isinstance(x, datetime) else x
        y = y.date() if isinstance(y, datetime) else y
    return x, y


@lru_cache(maxsize=4096)  # a replay asks for the same birth dates at the same instant again and again
def _whole_units(x: date | datetime, y: date | datetime, unit: str) -> int:
    """The greatest n with ``y - n units >= x`` (calendar arithmetic, day clamped to the month's end).

    This is the same rule as a fact window (docs/reference/time.md): someone born on 29 February
    turns one year older on 1 March in a common year, when ``now - 1 year`` first
    reaches the birth date.
    """
    sign = 1 if y >= x else -1
    # a first guess from the fields, at most one off; the loops settle it by calendar arithmetic
    count = (y.year - x.year) * 12 + (y.month - x.month) if unit == "months" else y.year - x.year

    def reached(k: int) -> bool:
        shifted = y - (relativedelta(years=k) if unit == "years" else relativedelta(months=k))
        return shifted >= x if sign > 0 else shifted <= x

    while count * sign > 0 and not reached(count):
        count -= sign
    while reached(count + sign):
        count += sign
    return count


def _years_between(zone: tzinfo, args: Sequence[object]) -> object:
    x, y = _calendar_pair(args[0], args[1], zone)
    return _whole_units(x, y, "years")


def _months_between(zone: tzinfo, args: Sequence[object]) -> object:
    x, y = _calendar_pair(args[0], args[1], zone)
    return _whole_units(x, y, "months")


def _days_between(zone: tzinfo, args: Sequence[object]) -> object:
    a, b = args
    if isinstance(a, datetime) and isinstance(b, datetime):
        return elapsed_days(a, b)
    x, y = _calendar_pair(a, b, zone)
    x = x.date() if isinstance(x, datetime) else x
    y = y.date() if isinstance(y, datetime) else y
    return (y - x).days


def _numeric_result(args: Sequence[t.Type]) -> t.Type | str:
    if not all(a.is_numeric or a.is_open for a in args):
        return "expects numbers"
    if any(a.name == "decimal" for a in args):
        return t.DECIMAL
    if all(a.name == "int" for a in args):
        return t.INT
    return t.ANY


def _min_max_impl(pick: Callable[..., object]) -> Impl:
    def impl(zone: tzinfo, args: Sequence[object]) -> object:
        for a in args:
            if isinstance(a, bool) or not isinstance(a, (int, Decimal)):
                raise EvaluationError(f"expected a number, got {a!r}")
        chosen = pick(args)
        # typed decimal when any argument is: the value is one too (max(3, 1.5) is 3, a decimal)
        if isinstance(chosen, int) and any(isinstance(a, Decimal) for a in args):
            return Decimal(chosen)
        return chosen

    return impl


def _abs(zone: tzinfo, args: Sequence[object]) -> object:
    value = args[0]
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise EvaluationError(f"expected a number, got {value!r}")
    return abs(value)


def _coalesce_check(args: Sequence[t.Type]) -> t.Type | str:
    first, second = args
    if not t.comparable(first, second):
        return "needs two arguments of the same type"
    if first.is_open:
        return second
    if first.name == "enum" and first != second:
        return t.STRING  # the default may lie outside the enum
    if first.is_numeric and "decimal" in (first.name, second.name):
        return t.DECIMAL
    return first


def _coalesce(zone: tzinfo, args: Sequence[object]) -> object:
    return args[1] if args[0] is UNKNOWN else args[0]


def _literal(kind: t.Type) -> Checker:
    def check(args: Sequence[t.Type]) -> t.Type | str:
        return kind

    return check


def _parse_datetime_literal(text: str) -> object:
    if "T" not in text and " " not in text:
        raise ValueError(f"{text!r} has no time; use date({text!r}) for a day")
    parse_instant(text, timezone.utc)  # raises ValueError for an impossible date or time
    return text


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "years_between", "years_between(a, b) -> int",
            "Whole calendar years from a to b (an age: years_between(birth_date, now)).",
            _temporal_pair, _years_between, 2, 2,
        ),
        Function(
            "months_between", "months_between(a, b) -> int",
            "Whole calendar months from a to b.",
            _temporal_pair, _months_between, 2, 2,
        ),
        Function(
            "days_between", "days_between(a, b) -> int",
            "Days from a to b: calendar days between local dates, or whole elapsed 24-hour days between two instants.",
            _temporal_pair, _days_between, 2, 2,
        ),
        Function(
            "is_unknown", "is_unknown(x) -> bool",
            "True when x has no value. Never unknown itself.",
            lambda args: t.BOOL, lambda zone, args: args[0] is UNKNOWN, 1, 1, handles_unknown=True,
        ),
        Function(
            "is_known", "is_known(x) -> bool",
            "True when x has a value. Never unknown itself.",
            lambda args: t.BOOL, lambda zone, args: args[0] is not UNKNOWN, 1, 1, handles_unknown=True,
        ),
        Function(
            "coalesce", "coalesce(x, default) -> type of x",
            "x when it is known, otherwise default.",
            _coalesce_check, _coalesce, 2, 2, handles_unknown=True,
        ),
        Function(
            "abs", "abs(x) -> number", "Absolute value.",
            lambda args: _numeric_result(args), _abs, 1, 1,
        ),
        Function(
            "min", "min(x, y, ...) -> number", "Least of its arguments.",
            _numeric_result, _min_max_impl(min), 2, None,
        ),
        Function(
            "max", "max(x, y, ...) -> number", "Greatest of its arguments.",
            _numeric_result, _min_max_impl(max), 2, None,
        ),
        Function(
            "date", 'date("YYYY-MM-DD") -> date', "A calendar date (string literal only).",
            _literal(t.DATE), lambda zone, args: args[0], 1, 1, literal_arg=parse_date,
        ),
        Function(
            "datetime", 'datetime("YYYY-MM-DDTHH:MM[:SS][+HH:MM]") -> datetime',
            "An instant; without an offset, wall time in the bundle timezone (string literal only).",
            _literal(t.DATETIME), lambda zone, args: parse_instant(str(args[0]), zone), 1, 1,
            literal_arg=_parse_datetime_literal,
        ),
        Function(
            "duration", 'duration("P30D") -> duration', "An ISO 8601 duration (string literal only).",
            _literal(t.DURATION), lambda zone, args: args[0], 1, 1, literal_arg=Duration.parse,
        ),
    )
}
