"""``replay_batch``: every account of a population decided at one instant, by one engine.

Engines:

- ``duckdb`` (the default): the compiled plan (:mod:`chronolex.batch.plan`) in embedded
  DuckDB, over Parquet files read as it goes, or over an event table built from JSON Lines,
  CSV or the store;
- ``spark``: the same plan on Apache Spark (:mod:`chronolex.batch.spark_engine`);
- ``python``: the per-account engine, one history at a time (the reference, and the only
  engine for a bundle the plan cannot translate);
- ``auto``: DuckDB when the bundle can be compiled, else Python — with a note saying why,
  never silently.

Every engine gives the same table (:data:`chronolex.batch.output.SCHEMA` plus the instant
asked), row for row, so the same input gives the same bytes whichever engine ran.

:func:`stream_replay` hands the rows over in record batches; on DuckDB they stream out of
the query, so writing a population's decisions to a file (``replay_batch(output=...)``,
``chronolex replay --output``) holds one batch at a time, not the answer. Spark's
collected rows and the per-account engine's are one table already.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias, overload

import pyarrow as pa

from chronolex.batch.duckdb_engine import stream_duckdb
from chronolex.batch.errors import BatchError, LayoutError, Untranslatable
from chronolex.batch.event_table import read_event_table
from chronolex.batch.histories import table_from_histories
from chronolex.batch.output import STAMPED, stamp, stamp_batches, write_decisions
from chronolex.batch.plan import BatchPlan, compile_plan
from chronolex.batch.progress import Progress
from chronolex.batch.python_engine import decision_rows
from chronolex.events.event import AccountHistory, EventSource
from chronolex.events.files import open_source
from chronolex.model import Bundle

#: The engines ``replay_batch`` knows.
BATCH_ENGINES = ("auto", "duckdb", "spark", "python")

Events: TypeAlias = "pa.Table | EventSource | Sequence[str | Path]"


@dataclass(frozen=True)
class BatchReplay:
    """A batch replay's decisions and how they were made: the engine that ran and, when
    ``auto`` fell back to the per-account engine, why (a note the caller must show)."""

    table: pa.Table
    engine: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchStream:
    """A batch replay's decisions as record batches of :data:`~chronolex.batch.output.STAMPED`,
    sorted by account then action, to be read once; the engine that runs and, when ``auto``
    fell back to the per-account engine, why (a note the caller must show)."""

    batches: Iterator[pa.RecordBatch]
    engine: str
    notes: tuple[str, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        return STAMPED

    def table(self) -> pa.Table:
        """The batches not read yet, as one table (held in memory)."""
        return pa.Table.from_batches(list(self.batches), STAMPED)


@overload
def replay_batch(bundle: Bundle, events: Events, at: datetime, known_at: datetime | None = None, *,
                 actions: Sequence[str] | None = None, engine: str = "duckdb", output: None = None,
                 memory_limit: str | None = None, spark_master: str | None = None,
                 progress: Progress | None = None) -> pa.Table: ...


@overload
def replay_batch(bundle: Bundle, events: Events, at: datetime, known_at: datetime | None = None, *,
                 actions: Sequence[str] | None = None, engine: str = "duckdb", output: str | Path,
                 memory_limit: str | None = None, spark_master: str | None = None,
                 progress: Progress | None = None) -> None: ...


def replay_batch(bundle: Bundle, events: Events, at: datetime, known_at: datetime | None = None, *,
                 actions: Sequence[str] | None = None, engine: str = "duckdb", output: str | Path | None = None,
                 memory_limit: str | None = None, spark_master: str | None = None,
                 progress: Progress | None = None) -> pa.Table | None:
    """Decide ``actions`` (default: the bundle's) for every account of ``events`` at
    (``at``, ``known_at``): an Arrow table, one row per account and action, sorted — the
    whole answer, held in memory. With ``output`` (``.parquet``, ``.jsonl`` or ``.csv``)
    the rows are written there instead, as they come (on DuckDB one batch at a time is
    held, whatever the population), and nothing is returned.

    ``events`` is an event table (chronolex.batch.layout), an event source (files read
    with :func:`chronolex.open_source`, the store) or paths of JSON Lines, CSV or Parquet
    files. ``progress`` is called with the fraction done, from 0 to 1 (see
    :mod:`chronolex.batch.progress`). Raises :class:`~chronolex.batch.errors.Untranslatable`
    when ``engine`` is a SQL engine and the bundle has a construct it cannot compute exactly."""
    stream = stream_replay(bundle, events, at, known_at, actions=actions, engine=engine, memory_limit=memory_limit,
                           spark_master=spark_master, progress=progress)
    if output is None:
        return stream.table()
    write_decisions(stream.batches, output, STAMPED)
    return None


def run_replay(bundle: Bundle, events: Events, at: datetime, known_at: datetime | None = None, *,
               actions: Sequence[str] | None = None, engine: str = "auto", memory_limit: str | None = None,
               spark_master: str | None = None, progress: Progress | None = None) -> BatchReplay:
    """:func:`replay_batch`, saying which engine ran and why (for the command line)."""
    stream = stream_replay(bundle, events, at, known_at, actions=actions, engine=engine, memory_limit=memory_limit,
                           spark_master=spark_master, progress=progress)
    return BatchReplay(stream.table(), stream.engine, stream.notes)


def stream_replay(bundle: Bundle, events: Events, at: datetime, known_at: datetime | None = None, *,
                  actions: Sequence[str] | None = None, engine: str = "auto", memory_limit: str | None = None,
                  spark_master: str | None = None, progress: Progress | None = None) -> BatchStream:
    """:func:`run_replay` with the rows handed over batch by batch as they come. The plan is
    compiled (and a bad input refused) before this returns; on DuckDB the query runs as
    the batches are read."""
    if engine not in BATCH_ENGINES:
        raise BatchError(f"unknown engine {engine!r} (engines: {', '.join(BATCH_ENGINES)})")
    notes: list[str] = []
    plan: BatchPlan | None = None
    if engine != "python":
        try:
            plan = compile_plan(bundle, at, known_at, actions)
        except (Untranslatable, LayoutError) as exc:
            if engine != "auto":
                raise
            notes.append(f"deciding with the per-account engine (slower): {exc}")
    if plan is None:
        table = decision_rows(bundle, _histories(bundle, events), at, known_at, actions, progress=progress)
        return BatchStream(iter(stamp(table, bundle, at, known_at).to_batches()), "python", tuple(notes))
    if engine == "spark":
        spark: Any = importlib.import_module("chronolex.batch.spark_engine")  # Spark loads only when asked for
        table = spark.run_spark(plan, _paths(events, "spark"), master=spark_master, progress=progress)
        return BatchStream(iter(stamp(table, bundle, at, known_at).to_batches()), "spark", tuple(notes))
    source: pa.Table | list[str]
    parquet = _parquet_paths(events)
    if isinstance(events, pa.Table):
        source = events
    elif parquet is not None:
        source = parquet
    elif isinstance(events, (str, Path)) or isinstance(events, Sequence):
        paths = [events] if isinstance(events, (str, Path)) else list(events)
        source = read_event_table(bundle, paths)
    else:
        source = table_from_histories(bundle, _histories(bundle, events))
    rows = stream_duckdb(plan, source, memory_limit=memory_limit, progress=progress)
    return BatchStream(stamp_batches(rows, bundle, at, known_at), "duckdb", tuple(notes))


def _parquet_paths(events: Events) -> list[str] | None:
    """The paths, when ``events`` is a list of Parquet files (DuckDB then reads them itself)."""
    if isinstance(events, (pa.Table, str, Path)) or not isinstance(events, Sequence):
        return None
    paths = [os.fspath(p) for p in events]
    return paths if paths and all(p.endswith(".parquet") for p in paths) else None


def _paths(events: Events, engine: str) -> list[str]:
    if isinstance(events, pa.Table) or not isinstance(events, Sequence) or isinstance(events, (str, Path)):
        raise BatchError(f"the {engine} engine reads event files (Parquet); convert the events first "
                         "('chronolex events convert')")
    return [os.fspath(p) for p in events]


def _histories(bundle: Bundle, events: Events) -> list[AccountHistory]:
    """Every account's history, as the per-account engine reads it."""
    if isinstance(events, pa.Table):
        raise BatchError("the per-account engine reads event files or a store, not an event table")
    source: EventSource
    if isinstance(events, (str, Path)) or isinstance(events, Sequence):
        paths = [events] if isinstance(events, (str, Path)) else list(events)
        if any(os.fspath(p).endswith(".parquet") for p in paths):
            raise BatchError("the per-account engine reads JSON Lines, CSV or a store, not Parquet; use "
                             "--engine duckdb or spark")
        source = open_source(paths, bundle.timezone, catalog=bundle.events)
    else:
        source = events
    return [source.history(account) for account in source.accounts()]
