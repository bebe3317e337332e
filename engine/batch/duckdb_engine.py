"""DuckDB, the embedded batch engine: a plan run over an event table on this machine.

DuckDB streams Parquet files and spills to a temporary folder rather than failing when an
aggregate outgrows ``memory_limit``, so a population larger than the memory is decided
all the same, more slowly. Its session time zone is set to UTC, although a plan compares
instants as microseconds and never reads a wall clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from chronolex.batch.output import finish
from chronolex.batch.plan import EVENTS, BatchPlan
from chronolex.batch.errors import BatchEngineError
from chronolex.batch.layout import column_types


def connect(memory_limit: str | None = None, temp_directory: str | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection with chronolex's settings."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    if memory_limit is not None:
        try:
            connection.execute("SET memory_limit = ?", [memory_limit])
        except duckdb.Error as exc:
            raise BatchEngineError(f"--memory-limit {memory_limit!r}: {exc}") from None
    if temp_directory is not None:
        connection.execute("SET temp_directory = ?", [temp_directory])
    if threads is not None:
        connection.execute(f"SET threads = {int(threads)}")
    return connection


def run_duckdb(plan: BatchPlan, events: pa.Table | Sequence[str | Path], *, memory_limit: str | None = None,
               temp_directory: str | None = None, connection: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The plan's decisions over ``events``: an Arrow table in the event layout, or Parquet
    files in that layout (read by DuckDB as it goes, never loaded whole)."""
    con = connection or connect(memory_limit, temp_directory)
    try:
        if isinstance(events, pa.Table):
            con.register(EVENTS, events)
        else:
            _parquet_view(con, [str(p) for p in events], plan)
        try:
            result = _arrow(con.sql(plan.sql("duckdb")))
        except duckdb.OutOfMemoryException as exc:
            raise BatchEngineError(f"DuckDB ran out of memory ({exc}); raise --memory-limit or free disk space "
                                   "for spilling") from None
        except duckdb.Error as exc:
            raise BatchEngineError(f"DuckDB could not run the plan: {exc}") from None
        return finish(result)
    finally:
        if connection is None:
            con.close()


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """The whole result as an Arrow table (the method's name changed in DuckDB 1.4)."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


#: The DuckDB type of each column type of the layout (chronolex.batch.layout.column_types).
_DUCKDB_TYPES = {
    "string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "date32": "DATE",
    "timestamp[us, tz=UTC]": "TIMESTAMP WITH TIME ZONE", "decimal128(38, 10)": "DECIMAL(38,10)",
}


def _parquet_view(con: duckdb.DuckDBPyConnection, files: list[str], plan: BatchPlan) -> None:
    """The Parquet files as the view ``events``, once their columns are checked against the
    layout: a missing, unknown or differently typed column is an error naming the column,
    never a query that reads the wrong thing."""
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    source = f"read_parquet({listed}, union_by_name = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise BatchEngineError(f"cannot read {', '.join(files)}: {exc}") from None
    found = {row[0]: str(row[1]) for row in described}
    expected = {name: _DUCKDB_TYPES[kind] for name, kind in column_types(plan.bundle).items()}
    for name, kind in expected.items():
        if name not in found:
            raise BatchEngineError(f"{', '.join(files)}: no column {name!r}; write the files with "
                                   "'chronolex events convert', which gives every column of the event layout")
        if found[name].replace(" ", "") != kind.replace(" ", ""):
            raise BatchEngineError(f"{', '.join(files)}: column {name!r} is {found[name]}, the event layout "
                                   f"needs {kind}")
    unknown = sorted(set(found) - set(expected))
    if unknown:
        raise BatchEngineError(f"{', '.join(files)}: unknown column {unknown[0]!r} (not in the bundle's event "
                               "catalog); convert the files with 'chronolex events convert'")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {EVENTS} AS SELECT * FROM {source}")
