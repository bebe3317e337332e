"""The event table of histories the per-account reader already read: the exact path.

Every source can be read this way (files through :func:`chronolex.events.files.open_source`,
the store through :class:`~chronolex.events.catalog.CheckedSource`), so this is the path
that defines what the table must hold; the columnar readers of ``_text_columns`` are a
faster way to the same table, and hand over to this one whenever they are in doubt.

What the per-account reader accepts and the layout cannot hold is refused here, naming the
event's file and line: a decimal with more digits than the layout keeps (38, 10 after the
point), a whole number beyond 64 bits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from chronolex.batch.errors import LayoutError
from chronolex.batch.layout import DECIMAL_PRECISION, DECIMAL_SCALE, column_types, field_columns
from chronolex.errors import Span
from chronolex.events.event import AccountHistory, Event
from chronolex.events.field_values import coerce
from chronolex.instants import Duration
from chronolex.model import Bundle

_INT64 = (-(2**63), 2**63 - 1)
_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)
_LARGEST = Decimal(10) ** (DECIMAL_PRECISION - DECIMAL_SCALE)


def arrow_schema(bundle: Bundle) -> pa.Schema:
    """The Arrow schema of the bundle's event table (engine/batch/layout.py)."""
    return pa.schema([(name, _ARROW[text]()) for name, text in column_types(bundle).items()])


_ARROW = {
    "string": pa.string,
    "int64": pa.int64,
    "bool": pa.bool_,
    "date32": pa.date32,
    "timestamp[us, tz=UTC]": lambda: pa.timestamp("us", tz="UTC"),
    f"decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE})": lambda: pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
}


def table_of_histories(bundle: Bundle, histories: Iterable[AccountHistory], label: str) -> pa.Table:
    """One row per event of ``histories`` (accounts in the order given, events in history order).

    ``label`` names the source in an error about an event that has no origin (the store)."""
    schema = arrow_schema(bundle)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    fields = list(field_columns(bundle))
    catalog = bundle.events or {}
    zone = bundle.timezone
    for history in histories:
        for seq, event in enumerate(history.events):
            columns["account"].append(event.account)
            columns["at"].append(event.at)
            columns["recorded_at"].append(event.recorded_at)
            columns["type"].append(event.type)
            columns["id"].append(event.id)
            columns["seq"].append(seq)
            declared = catalog[event.type].fields if event.type in catalog else {}
            for name in fields:
                value = event.fields.get(name) if name in declared else None
                columns[name].append(None if value is None else _held(event, name, value, declared[name].name,
                                                                      coerce(value, declared[name], zone), label))
    return pa.table({name: pa.array(values, type=schema.field(name).type) for name, values in columns.items()},
                    schema=schema)


def _held(event: Event, name: str, written: object, kind: str, value: object, label: str) -> object:
    """``value`` as the layout holds it; an error naming the event when it cannot be held exactly."""
    if kind == "decimal":
        assert isinstance(value, Decimal)
        if value.copy_abs() >= _LARGEST or value.quantize(_QUANTUM) != value:
            raise _unheld(event, name, f"{value} cannot be held exactly: the batch layout holds decimals with "
                          f"{DECIMAL_SCALE} digits after the point and {DECIMAL_PRECISION - DECIMAL_SCALE} before it",
                          label)
        return value
    if kind == "int":
        assert isinstance(value, int)
        if not _INT64[0] <= value <= _INT64[1]:
            raise _unheld(event, name, "a whole number beyond 64 bits cannot be held: the batch layout holds int64",
                          label)
        return value
    if kind == "duration":
        assert isinstance(value, Duration)
        return value.text  # one spelling per value (P0D is PT0S), as every engine reads it
    assert value is None or isinstance(value, (str, bool, date, datetime))
    return value


def _unheld(event: Event, name: str, why: str, label: str) -> LayoutError:
    return LayoutError(
        f"field {name!r} of {event.type} (account {event.account!r}): {why}",
        event.origin or Span(label, 1, 1),
        "round the value where it is produced, or keep this bundle on the per-account engine (--engine python)",
    )
