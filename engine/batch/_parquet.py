"""Parquet event files: the layout itself, or a table another system wrote.

A Parquet file is already typed, so it is checked against the layout column by column
rather than record by record: every column must be one of the layout's (an unknown
column is refused: it would be a field the bundle does not declare, or a misspelling of
one), of the layout's type or one that converts to it exactly (narrower integers, other
timestamp units, other decimal sizes), and every row must name an account, an instant
and a declared event type, with values only in the fields its type declares and enum
values from the declared set. ``recorded_at``, ``id`` and ``seq`` may be missing: a file
from another system gets ``recorded_at`` from ``at``, and its order is computed.

Every problem names the file, the row (1-based, in file order) and the column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chronolex.batch._from_events import arrow_schema
from chronolex.batch._text_columns import canonical_durations
from chronolex.batch.layout import field_columns
from chronolex.errors import MAX_REPORTED, ChronolexError, Diagnostic, Severity, Span, clip
from chronolex.instants import MAX_YEAR, MIN_YEAR, Duration
from chronolex.model import Bundle

PARQUET_SUFFIXES = (".parquet", ".pq")
_REQUIRED = ("account", "at", "type")
_TYPE = r"^[a-z][a-z0-9_]*$"


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def read_parquet_columns(bundle: Bundle, paths: list[Path]) -> pa.Table:
    """The rows of every file in the layout's columns (``seq`` as given, null when absent),
    with ``file`` and ``row``; raise :class:`ChronolexError` naming file, row and column."""
    layout = arrow_schema(bundle)
    parts = []
    for index, path in enumerate(paths):
        table = _read(path, layout)
        problems = list(_row_problems(bundle, table, path))
        if problems:
            raise ChronolexError(problems[:MAX_REPORTED], omitted=max(0, len(problems) - MAX_REPORTED))
        columns = {}
        for field in layout:
            if field.name in table.column_names:
                columns[field.name] = table[field.name]
            elif field.name == "recorded_at":
                columns[field.name] = table["at"]
            else:
                columns[field.name] = pa.nulls(table.num_rows, field.type)
        for name, declared in field_columns(bundle).items():
            if declared.name == "duration" and name in table.column_names:
                columns[name] = canonical_durations(table[name])
        columns["file"] = pa.array([index] * table.num_rows, pa.int32())
        columns["row"] = pa.array(range(table.num_rows), pa.int64())
        parts.append(pa.table(columns))
    schema = layout.append(pa.field("file", pa.int32())).append(pa.field("row", pa.int64()))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _read(path: Path, layout: pa.Schema) -> pa.Table:
    """The file's table with every column converted to the layout's type; refuse what cannot be."""
    file = str(path)
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise ChronolexError.single("io-error", f"cannot read {path} as Parquet: {clip(str(exc), 200)}",
                                    Span(file, 1, 1)) from None
    problems = []
    for position, field in enumerate(schema, start=1):
        expected = layout.field(field.name).type if field.name in layout.names else None
        if expected is None:
            problems.append(_problem(
                "unknown-column", f"column {clip(field.name)!r} is not a column of the event layout", file, 1,
                position, "the columns are account, at, recorded_at, type, id, seq and the fields the bundle's "
                "event catalog declares; drop the column or declare the field"))
        elif not _convertible(field.type, expected):
            problems.append(_problem(
                "column-type", f"column {field.name!r} is {field.type}, the layout holds {expected}", file, 1,
                position, "write the column with the layout's type (see the event layout in the reference)"))
    missing = [name for name in _REQUIRED if name not in schema.names]
    if missing:
        problems.append(_problem("event-schema", "no column " + ", ".join(repr(m) for m in missing), file, 1, 1,
                                 "account, at and type are required"))
    if problems:
        raise ChronolexError(problems)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ChronolexError.single("io-error", f"cannot read {path} as Parquet: {clip(str(exc), 200)}",
                                    Span(file, 1, 1)) from None
    converted = {}
    for position, name in enumerate(table.column_names, start=1):
        expected = layout.field(name).type
        column = table[name]
        if column.type != expected:
            try:
                column = column.cast(expected, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ChronolexError([_problem(
                    "column-type", f"column {name!r} ({table.schema.field(name).type}) does not convert exactly "
                    f"to {expected}: {clip(str(exc), 120)}", file, 1, position)]) from None
        converted[name] = column
    return pa.table(converted)


def _convertible(given: pa.DataType, expected: pa.DataType) -> bool:
    if given == expected:
        return True
    if pa.types.is_timestamp(expected):
        return bool(pa.types.is_timestamp(given) and given.tz is not None)  # a naive timestamp has no offset
    if pa.types.is_string(expected):
        return bool(pa.types.is_large_string(given) or pa.types.is_string(given))
    if pa.types.is_int64(expected):
        return bool(pa.types.is_integer(given))
    if pa.types.is_decimal(expected):
        return bool(pa.types.is_decimal(given) or pa.types.is_integer(given))
    if pa.types.is_date32(expected):
        return bool(pa.types.is_date(given))
    return False


def _row_problems(bundle: Bundle, table: pa.Table, path: Path) -> list[Diagnostic]:
    """Every row the layout refuses, with its row and column (the first few of each kind)."""
    file = str(path)
    catalog = bundle.events or {}
    position = {name: index for index, name in enumerate(table.column_names, start=1)}
    problems: list[Diagnostic] = []

    def each(bad: pa.ChunkedArray | pa.Array, column: str, say: Callable[[int], str], help: str | None = None) -> None:
        rows = pc.indices_nonzero(pc.fill_null(bad, False)).to_pylist()[:MAX_REPORTED]
        for row in rows:
            problems.append(_problem("event-schema", f"row {row + 1}, column {column!r}: {say(row)}", file,
                                     row + 1, position.get(column, 1), help))

    for name in _REQUIRED:
        each(pc.is_null(table[name]), name, lambda row: "no value (the column is required)")
    each(pc.equal(pc.utf8_length(table["account"]), 0), "account", lambda row: "empty account")
    types = table["type"]
    each(pc.invert(pc.match_substring_regex(types, _TYPE)), "type",
         lambda row: f"{clip(repr(types[row].as_py()))} is not an event type (lowercase letters, digits and '_')")
    declared_types = pa.array(sorted(catalog), pa.string())
    each(pc.invert(pc.is_in(types, declared_types)), "type",
         lambda row: f"event type {clip(repr(types[row].as_py()))} is not declared by the bundle",
         "declare it under events: in bundle.yaml, or check that these events belong to this bundle")
    if "id" in table.column_names:
        each(pc.fill_null(pc.equal(pc.utf8_length(table["id"]), 0), False), "id", lambda row: "empty id")
    if "seq" in table.column_names:
        each(pc.is_null(table["seq"]), "seq", lambda row: "no value")
    if "recorded_at" in table.column_names:
        each(pc.is_null(table["recorded_at"]), "recorded_at", lambda row: "no value (write at when unknown)")
    fields = field_columns(bundle)
    for name in ("at", "recorded_at", *fields):
        if name in table.column_names and (name in ("at", "recorded_at") or fields[name].name in ("date", "datetime")):
            each(_outside_years(table[name]), name,
                 lambda row: f"{table[name][row].as_py()} is outside the supported years {MIN_YEAR}-{MAX_YEAR}")
    for name, column_type in fields.items():
        if name not in table.column_names:
            continue
        values = table[name]
        declaring = [t for t in catalog if name in catalog[t].fields]
        undeclared = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(types, pa.array(declaring, pa.string()))))
        each(pc.fill_null(undeclared, False), name,
             lambda row: f"a value for an event of type {clip(repr(types[row].as_py()))}, which declares no "
                         f"field {name!r}")
        for type_name in declaring:
            declared = catalog[type_name].fields[name]
            if declared.name != "enum":
                continue
            wrong = pc.and_(pc.and_(pc.equal(types, type_name), pc.is_valid(values)),
                            pc.invert(pc.is_in(values, pa.array(sorted(declared.values), pa.string()))))
            each(pc.fill_null(wrong, False), name,
                 lambda row: f"{clip(repr(values[row].as_py()))} is not one of {declared}")
        if column_type.name == "duration":
            for text in pc.unique(values.drop_null()).to_pylist():
                try:
                    Duration.parse(text)
                except ValueError as exc:
                    why = str(exc)
                    each(pc.equal(values, text), name, lambda row: why)
    return problems


def _outside_years(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Where a date or instant lies outside the years every other reader accepts (UTC year)."""
    years = pc.year(values)
    return pc.or_(pc.less(years, MIN_YEAR), pc.greater(years, MAX_YEAR))


def _problem(code: str, message: str, file: str, line: int, column: int, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Span(file, line, column), help)
