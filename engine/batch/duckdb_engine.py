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
            files = [str(p) for p in events]
            con.execute(f"CREATE OR REPLACE TEMP VIEW {EVENTS} AS SELECT * FROM read_parquet(?)", [files])
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
