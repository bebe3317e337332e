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


def coerce(value: object, declared: Type, zone: tzinfo) -> object:
    """An event field value as a value of the fact's type; raises ValueError if it is not one."""
    name = declared.name
    if value is None:
        raise ValueError("null")
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
                return Decimal(value)
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
    raise ValueError(f"{value!r} is not a {declared}")


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
