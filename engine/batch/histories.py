"""Account histories, as the per-account engine holds them, laid out as an event table.

The exact path from any event source to the columnar layout: each history's events in the
per-account engine's order (so ``seq`` is that order by construction) and each field
converted by the same :func:`~chronolex.events.field_values.coerce` that fact derivation
uses. It costs a Python step per event; the columnar readers are faster, and tests check
them against this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from decimal import Decimal

import pyarrow as pa

from chronolex.batch.errors import LayoutError
from chronolex.batch.layout import DECIMAL_PRECISION, DECIMAL_SCALE, column_types, field_columns
from chronolex.events.event import AccountHistory
from chronolex.events.field_values import coerce
from chronolex.instants import format_instant
from chronolex.model import Bundle

_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)


def arrow_schema(bundle: Bundle) -> pa.Schema:
    """The Arrow schema of the bundle's event table (see chronolex.batch.layout)."""
    return pa.schema([(name, _arrow(type_name)) for name, type_name in column_types(bundle).items()])


def _arrow(type_name: str) -> pa.DataType:
    if type_name.startswith("decimal128"):
        return pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
    if type_name.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC")
    return {"int64": pa.int64(), "bool": pa.bool_(), "string": pa.string(), "date32": pa.date32()}[type_name]


def table_from_histories(bundle: Bundle, histories: Iterable[AccountHistory]) -> pa.Table:
    """Every event of ``histories`` as one event table, sorted by account and ``seq``."""
    fields = field_columns(bundle)
    zone = bundle.timezone
    columns: dict[str, list[object]] = {name: [] for name in ("account", "at", "recorded_at", "type", "id", "seq")}
    values: dict[str, list[object]] = {name: [] for name in fields}
    for history in sorted(histories, key=lambda h: h.account):
        for seq, event in enumerate(history.events):
            columns["account"].append(event.account)
            columns["at"].append(event.at.astimezone(UTC))
            columns["recorded_at"].append(event.recorded_at.astimezone(UTC))
            columns["type"].append(event.type)
            columns["id"].append(event.id)
            columns["seq"].append(seq)
            for name, declared in fields.items():
                raw = event.fields.get(name)
                if raw is None:
                    values[name].append(None)
                    continue
                value = coerce(raw, declared, zone)
                if declared.name == "decimal":
                    value = _exact(value, name, event.account, format_instant(event.at, zone))
                elif declared.name == "datetime":
                    value = value.astimezone(UTC)  # type: ignore[attr-defined]
                elif declared.name == "duration":
                    value = getattr(value, "text", str(value))
                values[name].append(value)
    schema = arrow_schema(bundle)
    data = {**columns, **values}
    return pa.Table.from_pydict({name: data[name] for name in schema.names}, schema=schema)


def _exact(value: object, name: str, account: str, at: str) -> Decimal:
    """A decimal held exactly at the layout's scale, or a LayoutError naming the event."""
    assert isinstance(value, (int, Decimal))
    number = Decimal(value)
    held = number.quantize(_QUANTUM)
    if held != number or len(held.as_tuple().digits) > DECIMAL_PRECISION:
        raise LayoutError(f"account {account!r}, event at {at}: field {name} = {number} has more than "
                          f"{DECIMAL_SCALE} digits after the point or {DECIMAL_PRECISION} in all, more than the "
                          "batch event table holds exactly")
    return held
