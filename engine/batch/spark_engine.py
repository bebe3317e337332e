"""Apache Spark: run a compiled plan over an event table that may not fit on one machine.

The plan is the same one DuckDB runs (``plan.sql("spark")`` renders it in Spark SQL); this
module only gets the events in front of it and the answer back:

1. every path is read as Parquet in the layout of :mod:`chronolex.batch.layout` (any URI
   Spark reads: a local path, ``hdfs://``, ``s3a://``, a directory, a glob), and its
   columns are checked against the bundle's :func:`~chronolex.batch.layout.column_types`
   before anything runs, so a wrong file is an error naming the path and the column;
2. a table without ``seq`` gets one: the row number in the per-account engine's order
   (time, recorded_at, type, id); events that tie on all four cannot be ordered the way
   that engine does (it hashes their content), so they are refused, not ordered by chance;
3. the union is the temporary view ``events`` of a private session (its own settings and
   views, sharing the caller's Spark context), where the plan's one query runs;
4. the result comes back as Arrow through :func:`chronolex.batch.output.finish`, the same
   function DuckDB's result goes through, or, on a cluster, Spark writes it as Parquet to
   an output URI and nothing is collected on the driver.

JSON Lines and CSV are not read by Spark here: Spark's readers guess at instants, offsets
and decimals where chronolex's reader checks them, so such files are refused with the
command that converts them (``chronolex events convert``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

from chronolex.batch.errors import BatchEngineError
from chronolex.batch.layout import column_types
from chronolex.batch.output import finish
from chronolex.batch.progress import Poller, Progress
from chronolex.batch.spark_session import EXACT_SETTINGS, load_pyspark, spark_session
from chronolex.errors import ChronolexError, Diagnostic, Severity, clip
from chronolex.model import Bundle

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The Spark SQL type each Arrow type of the layout is read as (``DataType.simpleString()``).
SPARK_TYPES: Mapping[str, str] = {
    "string": "string",
    "int64": "bigint",
    "bool": "boolean",
    "date32": "date",
    "timestamp[us, tz=UTC]": "timestamp",
    "decimal128(38, 10)": "decimal(38,10)",
}

#: What a type Spark reports is, in words a reader of the error knows.
_TYPE_WORDS = {"timestamp_ntz": "an instant without a time zone (timestamp_ntz)"}

#: Files Spark could read but not exactly: converted first by chronolex's own checked reader.
CONVERT_FIRST = (".jsonl", ".ndjson", ".json", ".csv", ".db", ".sqlite")

#: The result columns every plan's query returns (see chronolex.batch.plan).
LIST_COLUMNS = ("blocked_by", "rules", "undetermined")


class SqlPlan(Protocol):
    """What the Spark engine needs of a compiled plan: its bundle and its Spark SQL text."""

    @property
    def bundle(self) -> Bundle: ...

    def sql(self, dialect: str) -> str: ...


class SparkInputError(BatchEngineError):
    """An event path Spark cannot read, or whose columns are not the bundle's event table."""

    code = "spark-input"

    def __init__(self, path: str, message: str, help: str | None = None) -> None:
        ChronolexError.__init__(self, [Diagnostic(self.code, Severity.ERROR, f"{path}: {message}", help=help)])


class SparkFailed(BatchEngineError):
    """Spark refused the plan's query or failed while running it (an overflow, a lost executor)."""

    code = "spark-failed"


def run_spark(plan: SqlPlan, paths: Sequence[str], *, master: str | None = None, session: SparkSession | None = None,
              output: str | None = None, config: Mapping[str, str] | None = None,
              progress: Progress | None = None) -> pa.Table | None:
    """The plan's rows over the events at ``paths``, decided by Spark.

    Without ``output`` the rows are collected and returned as the Arrow table
    :func:`chronolex.batch.output.finish` makes (the same bytes DuckDB gives). With an
    ``output`` URI (``s3a://bucket/decisions.parquet``, ``hdfs://…``) Spark writes the
    same rows there as a Parquet directory, sorted by account and action, and nothing is
    returned: the driver never holds a population's answers. An existing output is
    refused, never overwritten.

    ``session`` is an existing Spark session to run in (the query runs in a private child
    session with the exact settings of :mod:`chronolex.batch.spark_session`); without one,
    a session is started on ``master`` with ``config`` and stopped at the end, unless one
    was running in this process already, which is used and left running (None: the
    master ``spark-submit`` was given, else ``local[*]``; see
    :func:`~chronolex.batch.spark_session.spark_session`).

    ``progress`` is called with the fraction of the query's tasks done (Spark's status
    tracker, polled from a thread; Spark Connect has none, so only 0 and 1 are reported)
    and with 1 when the rows are collected or written.

    >>> table = run_spark(plan, ["events.parquet"], master="local[2]")  # doctest: +SKIP
    """
    if not paths:
        raise ChronolexError.single("spark-input", "no event paths to read")
    pyspark = load_pyspark()
    failures = pyspark.failures
    # a session this call starts is stopped at the end; one that was running already (the
    # caller's, a notebook's) is reused by spark_session and left running
    owned = session is None and pyspark.sql.SparkSession.getActiveSession() is None
    started = session if session is not None else spark_session(master, config=config)
    try:
        private = _private(started)
        events = read_events(private, paths, plan.bundle, failures)
        events.createOrReplaceTempView("events")
        try:
            with _tracked(started, progress):
                rows = private.sql(plan.sql("spark"))
                if output is not None:
                    _write(finish_in_spark(rows), output, failures)
                    return None
                return _finish(rows)
        except failures as error:
            raise SparkFailed(f"Spark could not run the plan: {_reason(error)}") from None
    finally:
        if owned:
            started.stop()


@contextmanager
def _tracked(session: SparkSession, progress: Progress | None) -> Iterator[None]:
    """The block's Spark jobs in a job group of their own, whose tasks done of all tasks of
    their stages ``progress`` is told while the block runs."""
    if progress is None:
        yield
        return
    try:
        context = session.sparkContext
    except Exception:  # Spark Connect: no SparkContext, no status tracker
        context = None
    if context is None:
        with Poller(lambda: None, progress):
            yield
        return
    group = f"chronolex-replay-{id(session)}-{next(_GROUPS)}"
    tracker = context.statusTracker()

    def fraction() -> float | None:
        done = total = 0
        for job in tracker.getJobIdsForGroup(group):
            info = tracker.getJobInfo(job)
            for stage in info.stageIds if info is not None else ():
                found = tracker.getStageInfo(stage)
                if found is not None:
                    done, total = done + found.numCompletedTasks, total + found.numTasks
        return done / total if total else None

    previous = context.getLocalProperty("spark.jobGroup.id")
    context.setLocalProperty("spark.jobGroup.id", group)
    try:
        with Poller(fraction, progress):
            yield
    finally:
        context.setLocalProperty("spark.jobGroup.id", previous)  # type: ignore[arg-type]


#: Numbers the job groups of this process's replays.
_GROUPS = itertools.count(1)


def _private(session: SparkSession) -> SparkSession:
    """A child session with its own settings and views (Spark Connect has none: the same one)."""
    try:
        private = session.newSession()
    except Exception:  # Spark Connect: one session per client, already set up by spark_session
        private = session
    for key, value in EXACT_SETTINGS.items():
        private.conf.set(key, value)
    return private


def read_events(session: SparkSession, paths: Sequence[str], bundle: Bundle,
                failures: tuple[type[BaseException], ...]) -> DataFrame:
    """The events at ``paths`` as one frame in the layout's column order, ``seq`` computed where missing."""
    expected = column_types(bundle)
    frames: list[tuple[str, DataFrame]] = []
    for path in paths:
        if path.lower().endswith(CONVERT_FIRST):
            raise SparkInputError(path, "the Spark engine reads Parquet event tables only",
                                  help=f"convert it first: chronolex events convert {path} EVENTS.parquet")
        try:
            frame = session.read.parquet(path)
        except failures as error:
            raise SparkInputError(path, f"Spark cannot read it: {_reason(error)}") from None
        check_columns(path, {f.name: f.dataType.simpleString() for f in frame.schema.fields}, expected)
        frames.append((path, frame))
    with_seq = [frame.select(*expected) for path, frame in frames if "seq" in frame.columns]
    if len(with_seq) == len(frames):
        return _union(with_seq)
    without = [name for name in expected if name != "seq"]
    events = _union([frame.select(*without) for _, frame in frames])
    unnumbered = ", ".join(path for path, frame in frames if "seq" not in frame.columns)
    try:
        return number_events(events, expected, unnumbered)
    except failures as error:
        raise SparkFailed(f"Spark could not number the events: {_reason(error)}") from None


def check_columns(path: str, found: Mapping[str, str], expected: Mapping[str, str]) -> None:
    """A :class:`SparkInputError` naming the first column of ``found`` that the layout does not have,
    lacks, or types otherwise (``seq`` alone may be missing)."""
    unknown = sorted(set(found) - set(expected))
    if unknown:
        raise SparkInputError(path, f"column {unknown[0]!r} is not a column of the bundle's event table",
                              help="the columns are account, at, recorded_at, type, id, seq and the event "
                                   "catalog's fields")
    for name, arrow in expected.items():
        if name not in found:
            if name == "seq":
                continue
            raise SparkInputError(path, f"column {name!r} is missing",
                                  help="write event tables with: chronolex events convert")
        want = SPARK_TYPES[arrow]
        if found[name] != want:
            got = _TYPE_WORDS.get(found[name], found[name])
            raise SparkInputError(path, f"column {name!r} is {got}, the layout has {want} ({arrow})",
                                  help="write event tables with: chronolex events convert")


def number_events(events: DataFrame, columns: Iterable[str], where: str) -> DataFrame:
    """``events`` with ``seq``: each event's 0-based position in its account's history.

    The order is the per-account engine's: at, recorded_at, type, id (an event without
    an id first). Two events of an account that tie on all four are refused: that engine
    orders them by a hash of their content, which a file with ``seq`` records and SQL
    cannot recompute. ``where`` names the input in that error."""
    ties = events.groupBy("account", "at", "recorded_at", "type", "id").count().where("count > 1").limit(1).collect()
    if ties:
        tie = ties[0]
        raise SparkInputError(
            where, f"account {clip(str(tie['account']))!r} has {tie['count']} events of type "
            f"{tie['type']!r} at the same instant, recorded at the same instant, with the same id "
            f"({tie['id'] if tie['id'] is not None else 'none'}): their order is not known without a seq column",
            help="convert the events with chronolex events convert, which writes seq")
    numbered = events.selectExpr(
        "*", "CAST(row_number() OVER (PARTITION BY account ORDER BY at, recorded_at, type, "
             "coalesce(id, '')) - 1 AS BIGINT) AS seq")
    return numbered.select(*columns)


def finish_in_spark(rows: DataFrame) -> DataFrame:
    """The plan's rows as :func:`chronolex.batch.output.finish` makes them, computed by Spark:
    the lists split, sorted by account then action, ``action_index`` dropped."""
    lists = [f"CASE WHEN {name} = '' THEN CAST(array() AS ARRAY<STRING>) ELSE split({name}, ' ') END AS {name}"
             for name in LIST_COLUMNS]
    ordered = rows.orderBy("account", "action_index")
    return ordered.selectExpr("account", "action", "decision", *lists, "version")


def _finish(rows: DataFrame) -> pa.Table:
    """The collected rows through the step DuckDB's result takes, so both give the same bytes."""
    return finish(rows.toArrow())


def _write(rows: DataFrame, output: str, failures: tuple[type[BaseException], ...]) -> None:
    if not output.lower().rstrip("/").endswith(".parquet"):
        raise ChronolexError.single("spark-output", f"{output}: Spark writes the result as Parquet; name the "
                                    "output …/NAME.parquet")
    try:
        rows.write.mode("errorifexists").parquet(output)
    except failures as error:
        raise SparkFailed(f"{output}: Spark could not write the result: {_reason(error)}") from None


def _union(frames: list[DataFrame]) -> DataFrame:
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def _reason(error: BaseException) -> str:
    """The first line of what Spark says, without its stack trace or SQL excerpt."""
    text = str(error).strip().splitlines()
    return clip(text[0] if text else type(error).__name__, 300)
