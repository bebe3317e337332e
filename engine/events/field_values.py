"""The typed value of an event field: one conversion shared by reading and derivation.

An event file holds JSON scalars (or CSV text typed like them); a fact or a declared field
has a type of the condition language. :func:`coerce` is the single rule that says whether
a written value is a value of a type, so the check made when events are read against the
bundle's event catalog and the conversion made when a fact folds them can never disagree:
a value that passed the first is never dropped by the second.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from chronolex.instants import Duration, parse_date, parse_instant
from chronolex.lang.types import Type


#: The largest size of a number: a double's, the bound schemas/event.schema.json gives every
#: number. Beyond it a value cannot be written back as JSON, and turning it into text or a
#: whole number would take Python's digit limit (4,300) or minutes.
MAX_MAGNITUDE = Decimal("1.7976931348623157e308")


def _bounded(value: int | Decimal) -> int | Decimal:
    """``value`` if it is a finite number no larger than :data:`MAX_MAGNITUDE`; else ValueError."""
    size = value.copy_abs() if isinstance(value, Decimal) else abs(value)  # abs() would round, and can overflow
    if isinstance(value, Decimal) and not value.is_finite() or size > MAX_MAGNITUDE:
        # never str() of a huge int: that is what hits Python's digit limit
        shown = (f"a whole number of about {int(value.bit_length() * 0.30103) + 1} digits" if isinstance(value, int)
                 else f"the number {str(value)[:20]}")
        raise ValueError(f"{shown} is out of range (numbers must be finite and at most about 1.8e308 in size)")
    return value


def coerce(value: object, declared: Type, zone: tzinfo) -> object:
    """An event field value as a value of the fact's type; raises ValueError if it is not one."""
    name = declared.name
    if value is None:
        raise ValueError("null")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        _bounded(value)
    if name == "bool":
        if isinstance(value, bool):
            return value
    elif name == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
    elif name == "decimal":
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str):
            try:
                return _bounded(Decimal(value))
            except InvalidOperation:
                pass
    elif name in ("string", "enum"):
        if isinstance(value, str) and (name == "string" or value in declared.values):
            return value
    elif name == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            return parse_date(value)
    elif name == "datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            return parse_instant(value, zone)
    elif name == "duration":
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            return Duration.parse(value)
    shown = repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:57]) + "…"
    raise ValueError(f"{shown} is not a {declared}")


def typed_fields(fields: Mapping[str, object], declared: Mapping[str, Type], zone: tzinfo) -> dict[str, object]:
    """An event's fields as values of their declared types, for a ``where`` condition typed
    against the event catalog (a decimal written as text compares as a number, a date as a
    date). A field without a declaration, or whose value is not of its type, is left out and
    so reads as unknown; events read from files were checked already, so that happens only
    to events stored before the bundle declared its catalog."""
    typed: dict[str, object] = {}
    for name, value in fields.items():
        field_type = declared.get(name)
        if field_type is None:
            continue
        try:
            typed[name] = coerce(value, field_type, zone)
        except ValueError:
            continue
    return typed
