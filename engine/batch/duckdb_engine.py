"""DuckDB, the embedded batch engine: a plan run over an event table on this machine.

DuckDB streams Parquet files and spills to a temporary folder rather than failing when an
aggregate outgrows ``memory_limit``, so a population larger than the memory is decided
all the same, more slowly. Its session time zone is set to UTC, although a plan compares
instants as microseconds and never reads a wall clock.

The rows stream out (:func:`stream_duckdb`): DuckDB writes the decisions to a temporary
table, sorts them by account and action and splits the id lists, and hands them over in
record batches, so a caller
writing them to a file never holds the population's answer. While the query runs, a
thread asks DuckDB how far it has got (``query_progress``) for a caller's progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from chronolex.batch.output import SCHEMA
from chronolex.batch.plan import EVENTS, BatchPlan
from chronolex.batch.progress import Poller, Progress
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


#: Rows per record batch handed over (a few MiB each; JSON Lines and CSV turn a batch into
#: Python objects, so it stays small).
BATCH_ROWS = 65_536


def run_duckdb(plan: BatchPlan, events: pa.Table | Sequence[str | Path], *, memory_limit: str | None = None,
               temp_directory: str | None = None, connection: duckdb.DuckDBPyConnection | None = None,
               progress: Progress | None = None) -> pa.Table:
    """The plan's decisions over ``events`` as one Arrow table (:data:`~chronolex.batch.output.SCHEMA`,
    sorted): the whole answer held in memory; :func:`stream_duckdb` gives it batch by batch."""
    return pa.Table.from_batches(list(stream_duckdb(plan, events, memory_limit=memory_limit,
                                                    temp_directory=temp_directory, connection=connection,
                                                    progress=progress)), SCHEMA)


def stream_duckdb(plan: BatchPlan, events: pa.Table | Sequence[str | Path], *, memory_limit: str | None = None,
                  temp_directory: str | None = None, connection: duckdb.DuckDBPyConnection | None = None,
                  progress: Progress | None = None, batch_rows: int | None = None) -> Iterator[pa.RecordBatch]:
    """The plan's decisions over ``events`` (an Arrow table in the event layout, or Parquet
    files in that layout, read by DuckDB as it goes) as record batches of
    :data:`~chronolex.batch.output.SCHEMA`, sorted by account then action: the rows
    :func:`chronolex.batch.output.finish` makes, never all in memory at once.

    ``progress`` is called with the fraction done while the query runs (from a thread),
    and with 1 once the last batch is handed over. The connection is closed when the
    batches are exhausted (or the generator is closed), unless it was given."""
    con = connection or connect(memory_limit, temp_directory)
    try:  # the events are checked now, before a batch is asked for
        if isinstance(events, pa.Table):
            con.register(EVENTS, events)
        else:
            _parquet_view(con, [str(p) for p in events], plan)
    except BaseException:
        if connection is None:
            con.close()
        raise
    return _stream(con, plan, batch_rows or BATCH_ROWS, progress, owned=connection is None)


def _stream(con: duckdb.DuckDBPyConnection, plan: BatchPlan, batch_rows: int, progress: Progress | None, *,
            owned: bool) -> Iterator[pa.RecordBatch]:
    try:
        if progress is None:
            yield from _batches(con, plan, batch_rows, lambda share: None)
            return
        con.execute("SET enable_progress_bar = true")  # DuckDB measures progress only when asked to
        con.execute("SET enable_progress_bar_print = false")  # and never draws: the caller does
        con.execute("SET progress_bar_time = 0")
        # the decisions, then their sort: each query's own progress fills its share of the bar
        phase = [0.0, DECIDING_SHARE]

        def share(start: float) -> None:
            phase[:] = [start, 1.0 - start]

        def fraction() -> float | None:
            done = _query_fraction(con)
            return None if done is None else phase[0] + phase[1] * done

        with Poller(fraction, progress):
            yield from _batches(con, plan, batch_rows, share)
    finally:
        if owned:
            con.close()


#: The table the decisions are written to before they are sorted (see :func:`_batches`).
DECIDED = "chronolex_decided"
#: The share of the progress bar the deciding query fills (the sort fills the rest).
DECIDING_SHARE = 0.8


def ordered_sql(plan: BatchPlan) -> str:
    """The sort of the decided rows (the plan's query, written to the table ``DECIDED``),
    doing what :func:`~chronolex.batch.output.finish` does: rows sorted by account
    (bytewise, as Arrow sorts: DuckDB's default collation) then the bundle's order of
    actions, id lists split into lists."""
    lists = ", ".join(f"CASE WHEN {name} = '' THEN CAST([] AS VARCHAR[]) ELSE string_split({name}, ' ') END "
                      f"AS {name}" for name in ("blocked_by", "rules", "undetermined"))
    return f"SELECT account, action, decision, {lists}, version FROM {DECIDED} ORDER BY account, action_index"


def _batches(con: duckdb.DuckDBPyConnection, plan: BatchPlan, batch_rows: int,
             share: Callable[[float], None]) -> Iterator[pa.RecordBatch]:
    """The plan's rows, sorted, in batches. They are written to a temporary table first and
    sorted from there: DuckDB keeps a table's blocks within ``memory_limit`` by spilling
    them, where a sort over the plan's union of actions read straight from its query
    runs out of memory instead (10,000,000 accounts under 4 GB)."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {DECIDED} AS {plan.sql('duckdb')}")
        share(DECIDING_SHARE)
        reader = con.sql(ordered_sql(plan)).to_arrow_reader(batch_rows)
        for batch in reader:
            if batch.num_rows:
                yield batch.cast(SCHEMA)
        con.execute(f"DROP TABLE IF EXISTS {DECIDED}")
    except duckdb.OutOfMemoryException as exc:
        raise BatchEngineError(f"DuckDB ran out of memory ({exc}); raise --memory-limit or free disk space "
                               "for spilling") from None
    except duckdb.Error as exc:
        raise BatchEngineError(f"DuckDB could not run the plan: {exc}") from None


def _query_fraction(con: duckdb.DuckDBPyConnection) -> float | None:
    """How far the running query is, 0 to 1; None when DuckDB does not know (-1)."""
    percent = con.query_progress()
    return percent / 100 if percent >= 0 else None


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
