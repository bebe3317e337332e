"""The result of a batch replay as users read it: one row per account and action.

Every engine's query returns the same columns with id lists as space-separated text (so
the query stays portable); :func:`finish` turns them into lists and puts the rows in one
order, account then the bundle's order of actions, so the same input gives the same
bytes whichever engine ran.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chronolex.batch.errors import BatchError
from chronolex.instants import format_instant
from chronolex.model import Bundle

#: The columns of a batch replay, in order, with their Arrow types.
SCHEMA = pa.schema([
    ("account", pa.string()),
    ("action", pa.string()),
    ("decision", pa.string()),
    ("blocked_by", pa.list_(pa.string())),
    ("rules", pa.list_(pa.string())),
    ("undetermined", pa.list_(pa.string())),
    ("version", pa.string()),
])


def _ids(column: Any) -> Any:
    """'' → [], 'A B' → ['A', 'B']. Few distinct strings recur over millions of rows, so
    each distinct one is split once and the lists are taken by index."""
    encoded = pc.dictionary_encode(pc.cast(column, pa.string())).combine_chunks()
    words = encoded.dictionary
    split = pc.if_else(pc.equal(words, ""), pa.scalar([], pa.list_(pa.string())), pc.split_pattern(words, " "))
    return pc.take(split, encoded.indices)


def finish(table: pa.Table) -> pa.Table:
    """The query's rows as the batch replay's table (see :data:`SCHEMA`), sorted."""
    ordered = table.sort_by([("account", "ascending"), ("action_index", "ascending")])
    columns = [
        pc.cast(ordered.column("account"), pa.string()),
        pc.cast(ordered.column("action"), pa.string()),
        pc.cast(ordered.column("decision"), pa.string()),
        _ids(ordered.column("blocked_by")),
        _ids(ordered.column("rules")),
        _ids(ordered.column("undetermined")),
        pc.cast(ordered.column("version"), pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def stamp(table: pa.Table, bundle: Bundle, at: datetime, known_at: datetime | None) -> pa.Table:
    """The decisions with the instant asked (``at``, ``known_at``, ISO 8601 in the bundle
    zone, as ``why`` writes them) after the account and action: each row is then a
    decision-log record (``diff --decision-log`` reads it)."""
    zone = bundle.timezone
    rows = table.num_rows
    at_column = pa.array([format_instant(at, zone)] * rows, pa.string())
    known = format_instant(known_at, zone) if known_at is not None else None
    known_column = pa.array([known] * rows, pa.string())
    stamped = table.add_column(2, "at", at_column).add_column(3, "known_at", known_column)
    return stamped.cast(STAMPED)


#: The columns of a batch replay's output: :data:`SCHEMA` with the instant asked.
STAMPED = pa.schema([*list(SCHEMA)[:2], ("at", pa.string()), ("known_at", pa.string()), *list(SCHEMA)[2:]])

#: Output formats by file extension.
FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def batch_output_format(path: str | Path) -> str:
    """The format a path's extension names: ``.parquet``, ``.csv``; anything else (``.jsonl``,
    no extension, a device such as /dev/stdout) is JSON Lines, as before formats existed."""
    return FORMATS.get(Path(path).suffix.lower(), "jsonl")


def json_lines(table: pa.Table, extra: list[dict[str, Any]] | None = None) -> Iterator[str]:
    """One JSON object per row (keys in column order), plus ``extra[i]``'s keys if given."""
    for index, row in enumerate(table.to_pylist()):
        if extra is not None and extra[index]:
            row.update(extra[index])
        yield json.dumps(row, ensure_ascii=False) + "\n"


def csv_lines(table: pa.Table) -> Iterator[str]:
    """A header, then one line per row; id lists are written space-separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([" ".join(v) if isinstance(v, list) else ("" if v is None else v) for v in row.values()])
        if buffer.tell() > 1 << 20:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_batch(table: pa.Table, handle: BinaryIO, fmt: str) -> None:
    """``table`` written to an open binary file in ``fmt`` (parquet, jsonl or csv)."""
    if fmt == "parquet":
        pq.write_table(table, handle, compression="zstd")
        return
    lines = json_lines(table) if fmt == "jsonl" else csv_lines(table)
    for text in lines:
        handle.write(text.encode("utf-8"))


def write_decisions(table: pa.Table, path: str | Path) -> None:
    """``table`` written to ``path`` in the format of its extension, under a temporary name
    in the same folder and renamed at the end: a reader never sees half a file."""
    fmt = batch_output_format(path)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            write_batch(table, handle, fmt)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BatchError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class BatchSummary:
    """How many accounts each outcome, category and rule has, per action (for the report)."""

    accounts: int
    outcomes: dict[tuple[str, str], int]
    categories: dict[tuple[str, str], int]
    rules: dict[tuple[str, str], int]


def summarize_batch(table: pa.Table) -> BatchSummary:
    """Counts of the decisions, computed columnwise (a million rows in well under a second)."""
    accounts = pc.count_distinct(table.column("account")).as_py() if table.num_rows else 0

    def counts(keys: pa.Table) -> dict[tuple[str, str], int]:
        if keys.num_rows == 0:
            return {}
        grouped = keys.group_by(["a", "b"]).aggregate([("a", "count")])
        return {(a, b): n for a, b, n in zip(grouped.column("a").to_pylist(), grouped.column("b").to_pylist(),
                                               grouped.column("a_count").to_pylist())}

    def flattened(name: str) -> pa.Table:
        column = table.column(name).combine_chunks() if table.num_rows else pa.array([], pa.list_(pa.string()))
        parents = pc.list_parent_indices(column)
        actions = pc.take(table.column("action"), parents) if table.num_rows else pa.array([], pa.string())
        return pa.table({"a": actions, "b": pc.list_flatten(column)})

    outcomes = counts(pa.table({"a": table.column("action"), "b": table.column("decision")}))
    return BatchSummary(accounts, outcomes, counts(flattened("blocked_by")), counts(flattened("rules")))


def batch_string_column(values: list[str | None]) -> pa.Array:
    """A column of text (or nulls) to add to a batch table, e.g. explanations as JSON."""
    return pa.array(values, pa.string())
