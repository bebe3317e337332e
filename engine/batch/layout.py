"""The columnar event table: the one layout every batch engine reads.

Events written by ``chronolex events convert`` (Parquet), read from JSON Lines, CSV or the
store for a batch replay, or produced by another system, are one Arrow table with:

- ``account`` (string), ``type`` (string), ``id`` (string, null when the event has none);
- ``at`` and ``recorded_at`` (timestamp in microseconds, UTC; ``recorded_at`` is filled
  with ``at`` when the record has none), so every engine compares instants, never wall
  clocks, whatever its session time zone;
- ``seq`` (int64): the event's position in its account's history in the order the
  per-account engine uses (time, then recorded_at, type, id, identity), so ``latest`` and
  ``first`` pick the same event among events at the same instant;
- one column per field declared in the bundle's event catalog, named after the field and
  typed by :func:`field_type` (null when the event does not carry the field).

A field name is one column, so every event type that declares it must give it the same
type; :func:`field_columns` refuses a catalog where two types disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

from chronolex.batch.errors import LayoutError
from chronolex.lang.types import Type
from chronolex.model import Bundle

#: Columns every event table has, besides the fields.
RESERVED_COLUMNS = ("account", "at", "recorded_at", "type", "id", "seq")

#: Decimal values are held exactly with this many digits, this many after the point:
#: a value with more digits after the point cannot be held and is refused when read.
DECIMAL_PRECISION = 38
DECIMAL_SCALE = 10

#: The Arrow type of a field column, by the condition language's type name.
ARROW_TYPES = {
    "int": "int64",
    "decimal": f"decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE})",
    "bool": "bool",
    "string": "string",
    "enum": "string",
    "date": "date32",
    "datetime": "timestamp[us, tz=UTC]",
    "duration": "string",
}


def field_type(declared: Type) -> str:
    """The Arrow type name of a field of ``declared`` type."""
    return ARROW_TYPES[declared.name]


def field_columns(bundle: Bundle) -> dict[str, Type]:
    """Every field of the event catalog with its one type, sorted by name.

    Raises :class:`LayoutError` when the bundle has no event catalog (a batch engine must
    know each field's type before it reads a value), when two event types give one field
    different types, or when a field is named like a reserved column."""
    catalog = bundle.events
    if catalog is None:
        raise LayoutError(f"bundle {bundle.name!r} has no event catalog ('events:' in bundle.yaml): a batch "
                          "engine needs the type of every field it reads")
    columns: dict[str, Type] = {}
    origin: dict[str, str] = {}
    for type_name in sorted(catalog):
        for name, declared in sorted(catalog[type_name].fields.items()):
            if name in RESERVED_COLUMNS:
                raise LayoutError(f"event type {type_name!r} declares a field {name!r}, the name of a column "
                                  "every event table has; rename the field")
            known = columns.get(name)
            if known is not None and _kind(known) != _kind(declared):
                raise LayoutError(f"field {name!r} is {known} in {origin[name]!r} and {declared} in "
                                  f"{type_name!r}: a batch event table holds one type per field name")
            if known is None or (known.name == "enum" and declared.name == "string"):
                columns[name], origin[name] = declared, type_name
    return dict(sorted(columns.items()))


def _kind(declared: Type) -> str:
    """Types that share a column: an enum is a string with a closed set of values."""
    return "string" if declared.name in ("string", "enum") else declared.name


def column_types(bundle: Bundle) -> Mapping[str, str]:
    """The Arrow type name of every column of the bundle's event table, in column order."""
    types = {"account": "string", "at": "timestamp[us, tz=UTC]", "recorded_at": "timestamp[us, tz=UTC]",
             "type": "string", "id": "string", "seq": "int64"}
    types.update({name: field_type(declared) for name, declared in field_columns(bundle).items()})
    return types


__all__ = ["ARROW_TYPES", "DECIMAL_PRECISION", "DECIMAL_SCALE", "RESERVED_COLUMNS", "LayoutError", "column_types",
           "field_columns", "field_type"]
