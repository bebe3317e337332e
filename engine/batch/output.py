"""The result of a batch replay as users read it: one row per account and action.

Every engine's query returns the same columns with id lists as space-separated text (so
the query stays portable); :func:`finish` turns them into lists and puts the rows in one
order, account then the bundle's order of actions, so the same input gives the same
bytes whichever engine ran. (DuckDB does the same sort and split in its own query, see
:func:`chronolex.batch.duckdb_engine.stream_duckdb`, so its rows can stream.)

A population's rows need not be held at once: :class:`DecisionWriter` writes record
batches as they come (Parquet in row groups of :data:`ROW_GROUP_ROWS`, the size
``pyarrow.parquet.write_table`` cuts, so a file is the same bytes however the rows
arrived), and :class:`SummaryCounter` counts them on the way.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
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


def stamp_batches(batches: Iterable[pa.RecordBatch], bundle: Bundle, at: datetime,
                  known_at: datetime | None) -> Iterator[pa.RecordBatch]:
    """:func:`stamp` for rows that arrive as record batches (of :data:`SCHEMA`)."""
    for batch in batches:
        yield from stamp(pa.Table.from_batches([batch], SCHEMA), bundle, at, known_at).to_batches()


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


#: Rows per Parquet row group: ``pyarrow.parquet.write_table``'s default, so a file written
#: batch by batch is the same bytes as the table written at once.
ROW_GROUP_ROWS = 1024 * 1024


class DecisionWriter:
    """Rows written to an open binary file as record batches arrive, the same bytes as
    :func:`write_batch` of their table: Parquet is cut into row groups of exactly
    :data:`ROW_GROUP_ROWS` (each made one chunk per column first, as a whole table is),
    JSON Lines and CSV are written batch by batch. ``extra`` is added to every JSON Lines
    row (what the command line records about skipped input). At most one row group is
    held in memory."""

    def __init__(self, handle: BinaryIO, fmt: str, schema: pa.Schema, extra: dict[str, Any] | None = None) -> None:
        self._handle = handle
        self._fmt = fmt
        self._schema = schema
        self._extra = extra or None
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._written = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self._fmt == "parquet":
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            while self._pending_rows >= ROW_GROUP_ROWS:
                self._row_group(ROW_GROUP_ROWS)
            return
        table = pa.Table.from_batches([batch], self._schema)
        if self._fmt == "jsonl":
            for text in json_lines(table, [self._extra] * table.num_rows if self._extra else None):
                self._handle.write(text.encode("utf-8"))
        else:
            for index, text in enumerate(csv_lines(table)):
                if index == 0 and self._written:  # the header, once
                    text = text.split("\n", 1)[1]
                self._handle.write(text.encode("utf-8"))
        self._written += batch.num_rows

    def _row_group(self, rows: int) -> None:
        held = pa.Table.from_batches(self._pending, self._schema)
        group, rest = held.slice(0, rows).combine_chunks(), held.slice(rows)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._handle, self._schema, compression="zstd")
        self._parquet.write_table(group, row_group_size=ROW_GROUP_ROWS)
        self._written += group.num_rows
        self._pending = rest.to_batches()
        self._pending_rows = rest.num_rows

    def close(self) -> None:
        """Writes what is held (an empty file still gets its header, or Parquet's empty row group)."""
        if self._fmt == "parquet":
            if self._pending_rows or self._parquet is None:
                self._row_group(self._pending_rows)
            assert self._parquet is not None
            self._parquet.close()
        elif self._fmt == "csv" and not self._written:
            self._handle.write(next(csv_lines(self._schema.empty_table())).encode("utf-8"))


def write_decisions(rows: pa.Table | Iterable[pa.RecordBatch], path: str | Path,
                    schema: pa.Schema | None = None) -> None:
    """Rows (a table, or record batches of ``schema`` written as they come) written to
    ``path`` in the format of its extension, under a temporary name in the same folder and
    renamed at the end: a reader never sees half a file, and a failure leaves none."""
    fmt = batch_output_format(path)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            if isinstance(rows, pa.Table):
                write_batch(rows, handle, fmt)
            else:
                writer = DecisionWriter(handle, fmt, schema or STAMPED)
                for batch in rows:
                    writer.write(batch)
                writer.close()
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BatchError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class BatchSummary:
    """How many accounts each outcome, category and rule has, per action (for the report)."""

    accounts: int
    outcomes: dict[tuple[str, str], int]
    categories: dict[tuple[str, str], int]
    rules: dict[tuple[str, str], int]


def summarize_batch(table: pa.Table) -> BatchSummary:
    """Counts of the decisions, computed columnwise (a million rows in well under a second)."""
    counter = SummaryCounter()
    counter.add(table)
    return counter.summary()


class SummaryCounter:
    """A :class:`BatchSummary` counted as the rows stream past, batch by batch, so the
    summary of a population never needs its rows held at once. Rows arrive sorted by
    account (every engine's order), so an account is counted where it first appears."""

    def __init__(self) -> None:
        self._accounts = 0
        self._last: str | None = None
        self._outcomes: Counter[tuple[str, str]] = Counter()
        self._categories: Counter[tuple[str, str]] = Counter()
        self._rules: Counter[tuple[str, str]] = Counter()

    def add(self, rows: pa.Table | pa.RecordBatch) -> None:
        if rows.num_rows == 0:
            return
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_batches([rows])
        accounts = table.column("account")
        self._accounts += pc.count_distinct(accounts).as_py()
        if accounts[0].as_py() == self._last:
            self._accounts -= 1
        self._last = accounts[-1].as_py()
        self._outcomes.update(_counts(table.column("action"), table.column("decision")))
        self._categories.update(_flattened_counts(table, "blocked_by"))
        self._rules.update(_flattened_counts(table, "rules"))

    def summary(self) -> BatchSummary:
        return BatchSummary(self._accounts, dict(self._outcomes), dict(self._categories), dict(self._rules))


def _counts(first: Any, second: Any) -> dict[tuple[str, str], int]:
    keys = pa.table({"a": first, "b": second})
    if keys.num_rows == 0:
        return {}
    grouped = keys.group_by(["a", "b"]).aggregate([("a", "count")])
    return {(a, b): n for a, b, n in zip(grouped.column("a").to_pylist(), grouped.column("b").to_pylist(),
                                           grouped.column("a_count").to_pylist())}


def _flattened_counts(table: pa.Table, name: str) -> dict[tuple[str, str], int]:
    """(action, element) counts over the list column ``name``."""
    column = table.column(name).combine_chunks()
    actions = pc.take(table.column("action"), pc.list_parent_indices(column))
    return _counts(actions, pc.list_flatten(column))



def batch_string_column(values: list[str | None]) -> pa.Array:
    """A column of text (or nulls) to add to a batch table, e.g. explanations as JSON."""
    return pa.array(values, pa.string())
