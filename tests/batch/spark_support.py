"""Shared by the Spark tests: event histories as the batch layout, and the per-account answer.

The layout table is built here from the per-account engine's own histories (the Python
reader), so the batch engines are compared with that engine on exactly the events it saw:
``seq`` is each event's position in ``history.events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import chronolex
from chronolex.batch.layout import column_types, field_columns
from chronolex.events.field_values import coerce

RESULT_COLUMNS = ("account", "action", "decision", "blocked_by", "rules", "undetermined", "version")


def arrow_type(name: str) -> pa.DataType:
    return {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "date32": pa.date32(),
            "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC"),
            "decimal128(38, 10)": pa.decimal128(38, 10)}[name]


def layout_table(bundle: chronolex.Bundle, histories: Iterable[chronolex.AccountHistory], *,
                 with_seq: bool = True) -> pa.Table:
    """The histories' events as the columnar event table of chronolex.batch.layout."""
    types = dict(column_types(bundle))
    if not with_seq:
        del types["seq"]
    fields = field_columns(bundle)
    rows: dict[str, list[Any]] = {name: [] for name in types}
    for history in histories:
        for seq, event in enumerate(history.events):
            record: dict[str, Any] = {"account": history.account, "at": _utc(event.at),
                                      "recorded_at": _utc(event.recorded_at), "type": event.type, "id": event.id,
                                      "seq": seq}
            for name, declared in fields.items():
                value = event.fields.get(name)
                record[name] = None if value is None else _cell(coerce(value, declared, bundle.timezone))
            for name in types:
                rows[name].append(record[name])
    schema = pa.schema([(name, arrow_type(kind)) for name, kind in types.items()])
    return pa.table({name: pa.array(rows[name], type=schema.field(name).type) for name in types}, schema=schema)


def write_layout(table: pa.Table, path: Path) -> str:
    pq.write_table(table, path)
    return str(path)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(timezone.utc)


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, Decimal):
        return value.quantize(Decimal("1e-10"))
    if isinstance(value, chronolex.Duration):
        return str(value)
    return value


def python_rows(bundle: chronolex.Bundle, histories: Sequence[chronolex.AccountHistory], actions: Sequence[str],
                at: datetime, known_at: datetime | None = None) -> list[dict[str, Any]]:
    """The per-account engine's answer as result rows, sorted by account then action order."""
    evaluator = chronolex.Evaluator(bundle)
    rows = []
    for history in sorted(histories, key=lambda h: h.account):
        for action in actions:
            decision = chronolex.decide(bundle, history, action, at, known_at, evaluator=evaluator)
            rows.append({"account": history.account, "action": action, "decision": decision.decision,
                         "blocked_by": list(decision.blocked_by),
                         "rules": [reason.rule.id for reason in decision.reasons],
                         "undetermined": [reason.rule.id for reason in decision.undetermined],
                         "version": decision.version.id if decision.version is not None else None})
    return rows
