"""Run-time values and the primitive operations both evaluators share.

A fact with no value is :data:`UNKNOWN`, never ``None`` or ``False``. Logic is Kleene's
three-valued logic: ``false and unknown`` is false, ``true or unknown`` is true,
``not unknown`` is unknown; any other operation with an unknown operand is unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any, Final

from chronolex.errors import EvaluationError
from chronolex.instants import Duration, localize


class _Unknown:
    """The single unknown value. It is not a bool: using it as one is a bug."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "unknown"

    def __bool__(self) -> bool:
        raise TypeError("unknown has no truth value; use Kleene operations")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


@dataclass(frozen=True, slots=True)
class Context:
    """What an evaluation may read: the fact values, the instant ``now`` and the bundle timezone."""

    facts: Mapping[str, object]
    now: datetime
    zone: tzinfo
    extra: Mapping[str, object] = field(default_factory=dict)


def kleene_not(value: object) -> object:
    if value is UNKNOWN:
        return UNKNOWN
    return not _truth(value)


def _truth(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise EvaluationError(f"expected true or false, got {value!r}")


def truth(value: object) -> object:
    """``value`` as a Kleene truth value (True, False or UNKNOWN), or an evaluation error."""
    if value is UNKNOWN:
        return UNKNOWN
    return _truth(value)


def as_instant(value: object, zone: tzinfo) -> object:
    """A date read as the start of that day in ``zone``; other values unchanged."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return localize(datetime(value.year, value.month, value.day), zone)
    return value


def _align(a: object, b: object, zone: tzinfo) -> tuple[object, object]:
    if isinstance(a, datetime) != isinstance(b, datetime) and isinstance(a, date) and isinstance(b, date):
        return as_instant(a, zone), as_instant(b, zone)
    return a, b


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(op: str, a: object, b: object, zone: tzinfo) -> object:
    """``a op b`` for one of == != < <= > >= in, not in; unknown if an operand is unknown."""
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if op in ("in", "not in"):
        if not isinstance(b, (tuple, list)):
            raise EvaluationError(f"'{op}' needs a list on its right, got {b!r}")
        found = False
        unknown = False
        for item in b:
            if item is UNKNOWN:
                unknown = True
            elif _equal(*_align(a, item, zone)):
                found = True
                break
        result: object = True if found else (UNKNOWN if unknown else False)
        return kleene_not(result) if op == "not in" else result
    a, b = _align(a, b, zone)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if isinstance(a, bool) or isinstance(b, bool):
        raise EvaluationError(f"cannot order {a!r} and {b!r}")
    try:
        return _ORDER[op](a, b)
    except TypeError:
        raise EvaluationError(f"cannot compare {a!r} {op} {b!r}") from None


def _equal(a: object, b: object) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _number(value: object) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        if isinstance(value, float):
            return Decimal(repr(value))
        raise EvaluationError(f"expected a number, got {value!r}")
    return value


def arithmetic(op: str, a: object, b: object, zone: tzinfo) -> object:
    """``a op b`` for + - * /; numbers, or a date/instant shifted by a duration."""
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(b, Duration) and op in ("+", "-") and isinstance(a, date):
        sign = 1 if op == "+" else -1
        if isinstance(a, datetime):
            return b.shift(a, zone, sign)
        if b.has_time_part:
            raise EvaluationError(f"cannot shift a date by {b.text}, which has a time part")
        return b.shift_date(a, sign)
    x, y = _number(a), _number(b)
    try:
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise EvaluationError("division by zero")
            return Decimal(x) / Decimal(y)
    except (InvalidOperation, DivisionByZero, OverflowError) as exc:
        raise EvaluationError(f"arithmetic failed: {exc}") from None
    raise EvaluationError(f"unknown operator {op!r}")


def minus(value: object) -> object:
    if value is UNKNOWN:
        return UNKNOWN
    return -_number(value)


def elapsed_days(a: datetime, b: datetime) -> int:
    """Whole elapsed days from ``a`` to ``b``: floor((b - a) / 24 h)."""
    return (b - a) // timedelta(days=1)
