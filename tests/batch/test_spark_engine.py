"""The Spark engine (chronolex.batch.spark_engine, chronolex.batch.spark_session).

What a user relies on: a session whose settings cannot change an answer (UTC, ANSI,
exact decimals) whatever the machine's zone; event files checked against the bundle's
layout before anything runs, with the path and column named when one is wrong; ``seq``
numbered as the per-account engine orders events when a file has none; a result
written by Spark equal to the one collected; and, where Spark cannot run, an error that
says what to install. The agreement of Spark with DuckDB and the per-account engine is in
the second half of this file. Every test shares one local session (spark_fixtures).
"""

from __future__ import annotations

import stat
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.batch import spark_engine, spark_session
from chronolex.batch.duckdb_engine import run_duckdb
from chronolex.batch.output import finish
from chronolex.batch.plan import compile_plan
from chronolex.batch.spark_engine import SparkFailed, SparkInputError, run_spark
from chronolex.batch.spark_session import SparkUnavailable, check_java
from tests.batch.spark_fixtures import spark, spark_or_skip  # noqa: F401  (spark: the shared session)
from tests.batch.spark_support import layout_table, python_rows, write_layout
from tests.conftest import HUABEI
from tests.examples import THOROUGH, examples
from tests.batch.strategies import batch_bundles, populations
from tests.batch.strategies import instants as batch_instants
from tests.replay_strategies import BundleSpec, knowledge_instants, load_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

UTC = timezone.utc


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def histories(huabei: chronolex.Bundle) -> list[chronolex.AccountHistory]:
    source = chronolex.open_source([HUABEI / "examples" / "events.jsonl"], huabei.timezone, catalog=huabei.events)
    return [source.history(account) for account in source.accounts()]


@dataclass(frozen=True)
class Query:
    """A stand-in plan: the bundle and one SQL text, whatever the dialect."""

    bundle: chronolex.Bundle
    text: str

    def sql(self, dialect: str) -> str:
        assert dialect == "spark"
        return self.text


#: Every event counted per account and action, in the plan's result columns.
COUNTS = """SELECT account, a.action, a.action_index,
  CASE WHEN count(*) > 4 THEN 'blocked' ELSE 'allowed' END AS decision,
  CASE WHEN count(*) > 4 THEN 'platform regulation' ELSE '' END AS blocked_by, '' AS rules,
  concat_ws(' ', sort_array(collect_set(type))) AS undetermined, CAST(max(seq) AS STRING) AS version
FROM events CROSS JOIN (SELECT 'open' AS action, 0 AS action_index UNION ALL SELECT 'borrow', 1) a
GROUP BY account, a.action, a.action_index"""


def collected(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


# -- the session ---------------------------------------------------------------------------------

def test_the_session_decides_in_utc_with_ansi_and_exact_decimals(spark: Any) -> None:
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.sparkContext._jvm.java.util.TimeZone.getDefault().getID() == "UTC"
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    assert spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "false"
    # a timestamp literal means the same instant whatever zone the machine is in
    row = spark.sql("SELECT CAST(TIMESTAMP '2026-03-08 02:30:00' AS BIGINT) AS s").collect()[0]
    assert row["s"] == int(datetime(2026, 3, 8, 2, 30, tzinfo=UTC).timestamp())


def test_an_overflow_in_the_query_is_an_error_not_a_wrapped_number(spark: Any, huabei: chronolex.Bundle,
                                                                    histories: list[chronolex.AccountHistory],
                                                                    tmp_path: Path) -> None:
    path = write_layout(layout_table(huabei, histories), tmp_path / "events.parquet")
    overflow = COUNTS.replace("CAST(max(seq) AS STRING)", "CAST(max(seq) + 9223372036854775807 AS STRING)")
    with pytest.raises(SparkFailed, match="Spark could not run the plan: .*ARITHMETIC_OVERFLOW"):
        run_spark(Query(huabei, overflow), [path], session=spark)


def test_settings_that_decide_answers_cannot_be_changed() -> None:
    with pytest.raises(chronolex.ChronolexError, match="spark.sql.ansi.enabled decides answers"):
        spark_session.spark_session("local[1]", config={"spark.sql.ansi.enabled": "false"})


# -- reading events --------------------------------------------------------------------------------

def test_seq_is_numbered_in_the_per_account_engines_order_when_a_file_has_none(
        spark: Any, huabei: chronolex.Bundle, histories: list[chronolex.AccountHistory], tmp_path: Path) -> None:
    given = layout_table(huabei, histories)
    path = write_layout(layout_table(huabei, histories, with_seq=False), tmp_path / "noseq.parquet")
    failures = spark_session.load_pyspark().failures
    frame = spark_engine.read_events(spark, [path], huabei, failures)
    numbered = {(r["account"], r["at"], r["type"]): r["seq"] for r in frame.toArrow().to_pylist()}
    expected = {(r["account"], r["at"], r["type"]): r["seq"] for r in given.to_pylist()}
    assert numbered == expected
    assert frame.columns == given.column_names


def test_the_same_rows_with_or_without_seq_and_split_over_files(spark: Any, huabei: chronolex.Bundle,
                                                                 histories: list[chronolex.AccountHistory],
                                                                 tmp_path: Path) -> None:
    plan = Query(huabei, COUNTS)
    whole = run_spark(plan, [write_layout(layout_table(huabei, histories), tmp_path / "all.parquet")], session=spark)
    halves = [write_layout(layout_table(huabei, part, with_seq=False), tmp_path / f"half{i}.parquet")
              for i, part in enumerate((histories[:5], histories[5:]))]
    assert whole is not None and whole.num_rows == 2 * len(histories)
    assert collected(run_spark(plan, halves, session=spark)) == collected(whole)


def test_events_that_tie_without_seq_are_refused_not_ordered_by_chance(spark: Any, huabei: chronolex.Bundle,
                                                                       tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, 2, tzinfo=UTC)
    twins = [chronolex.Event("acct-9", at, "credit_score_updated", at, {"score": score}) for score in (580, 720)]
    table = layout_table(huabei, [chronolex.AccountHistory("acct-9", twins)], with_seq=False)
    refused = "twins.parquet: account 'acct-9' has 2 events of type 'credit_score_updated'.*seq"
    with pytest.raises(SparkInputError, match=refused):
        run_spark(Query(huabei, COUNTS), [write_layout(table, tmp_path / "twins.parquet")], session=spark)
    # with the seq the per-account engine gave them, the same events are read
    with_seq = layout_table(huabei, [chronolex.AccountHistory("acct-9", twins)])
    rows = run_spark(Query(huabei, COUNTS), [write_layout(with_seq, tmp_path / "seq.parquet")], session=spark)
    assert rows is not None and rows.column("version").to_pylist() == ["1", "1"]


def replace_column(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, array)


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: replace_column(t, "amount", pa.array([1.5] * t.num_rows)),
     r"column 'amount' is double, the layout has decimal\(38,10\)"),
    (lambda t: replace_column(t, "at", pa.array([None] * t.num_rows, pa.timestamp("us"))),
     r"column 'at' is an instant without a time zone \(timestamp_ntz\), the layout has timestamp"),
    (lambda t: replace_column(t, "score", pa.array([None] * t.num_rows, pa.int32())),
     r"column 'score' is int, the layout has bigint \(int64\)"),
    (lambda t: t.append_column("colour", pa.array(["red"] * t.num_rows)),
     r"column 'colour' is not a column of the bundle's event table"),
    (lambda t: t.drop_columns(["recorded_at"]), r"column 'recorded_at' is missing"),
])
def test_a_file_that_is_not_the_bundles_event_table_is_refused_naming_path_and_column(
        spark: Any, huabei: chronolex.Bundle, histories: list[chronolex.AccountHistory], tmp_path: Path,
        change: Any, message: str) -> None:
    good = write_layout(layout_table(huabei, histories), tmp_path / "good.parquet")
    bad = write_layout(change(layout_table(huabei, histories)), tmp_path / "bad.parquet")
    with pytest.raises(SparkInputError, match=f"{bad}: {message}") as raised:
        run_spark(Query(huabei, COUNTS), [good, bad], session=spark)
    assert raised.value.diagnostics[0].code == "spark-input"


def test_an_unreadable_path_or_a_text_file_is_a_clear_error(spark: Any, huabei: chronolex.Bundle,
                                                            tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.parquet")
    with pytest.raises(SparkInputError, match=f"{missing}: Spark cannot read it: .*PATH_NOT_FOUND"):
        run_spark(Query(huabei, COUNTS), [missing], session=spark)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_text("not parquet")
    with pytest.raises(SparkInputError, match=f"{garbage}: Spark cannot read it"):
        run_spark(Query(huabei, COUNTS), [str(garbage)], session=spark)
    events = str(HUABEI / "examples" / "events.jsonl")
    with pytest.raises(SparkInputError, match="reads Parquet event tables only") as raised:
        run_spark(Query(huabei, COUNTS), [events], session=spark)
    assert raised.value.diagnostics[0].help == f"convert it first: chronolex events convert {events} EVENTS.parquet"


# -- the result --------------------------------------------------------------------------------------

def test_a_result_written_by_spark_is_the_result_collected(spark: Any, huabei: chronolex.Bundle,
                                                           histories: list[chronolex.AccountHistory],
                                                           tmp_path: Path) -> None:
    path = write_layout(layout_table(huabei, histories), tmp_path / "events.parquet")
    plan = Query(huabei, COUNTS)
    output = tmp_path / "decisions.parquet"
    assert run_spark(plan, [path], session=spark, output=str(output)) is None
    written = pq.read_table(output)
    assert written.to_pylist() == collected(run_spark(plan, [path], session=spark))
    assert written.column_names == ["account", "action", "decision", "blocked_by", "rules", "undetermined", "version"]
    with pytest.raises(SparkFailed, match="decisions.parquet: Spark could not write the result: .*already exists"):
        run_spark(plan, [path], session=spark, output=str(output))
    with pytest.raises(chronolex.ChronolexError, match="writes the result as Parquet"):
        run_spark(plan, [path], session=spark, output=str(tmp_path / "decisions.csv"))


# -- where Spark cannot run ---------------------------------------------------------------------------

def fake_java(tmp_path: Path, version: str) -> str:
    java = tmp_path / "java"
    java.write_text(f"#!/bin/sh\necho '{version}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return str(java)


def test_an_old_java_or_none_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(SparkUnavailable, match="needs Java 17 or later, and .* is Java 11") as raised:
        check_java(fake_java(tmp_path, 'openjdk version "11.0.21" 2023-10-17'))
    assert "apt-get install openjdk-17-jre-headless" in str(raised.value.diagnostics[0].help)
    with pytest.raises(SparkUnavailable, match="does not run"):
        check_java(str(tmp_path / "no-java-here"))
    assert check_java(fake_java(tmp_path, 'openjdk version "21.0.1" 2023-10-17')) == 21


def test_java_home_without_java_is_no_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    expected = f"there is none here \\(JAVA_HOME is {tmp_path}, which has no bin/java\\)"
    with pytest.raises(SparkUnavailable, match=expected):
        check_java()


def test_without_pyspark_the_error_says_to_install_the_spark_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(SparkUnavailable, match="needs pyspark") as raised:
        spark_session.load_pyspark()
    assert "pip install 'chronolex[spark]'" in str(raised.value.diagnostics[0].help)


def test_decimals_and_dates_reach_the_query_exactly(spark: Any, huabei: chronolex.Bundle, tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, 2, tzinfo=UTC)
    amount = Decimal("123456789012345678.0123456789")
    events = [chronolex.Event("acct-x", at, "loan_disbursed", at, {"amount": str(amount), "loan_id": "L1"}),
              chronolex.Event("acct-x", at + timedelta(seconds=1), "profile_updated", at, {"birth_date": "2008-02-29"})]
    table = layout_table(huabei, [chronolex.AccountHistory("acct-x", events)])
    sums = COUNTS.replace("concat_ws(' ', sort_array(collect_set(type)))",
                          "concat_ws(' ', CAST(sum(amount) AS STRING), CAST(max(birth_date) AS STRING))")
    rows = run_spark(Query(huabei, sums), [write_layout(table, tmp_path / "x.parquet")], session=spark)
    assert rows is not None and rows.column("undetermined").to_pylist()[0] == [f"{amount}", "2008-02-29"]


# -- Spark == DuckDB == the per-account engine ---------------------------------------------------------

def duckdb_rows(plan: Any, table: pa.Table) -> list[dict[str, Any]]:
    return run_duckdb(plan, table).to_pylist()


def spark_rows_at(spark: Any, plans: list[Any], path: str) -> list[list[dict[str, Any]]]:
    """The rows of several plans over one event table, read and checked once."""
    failures = spark_session.load_pyspark().failures
    private = spark_engine._private(spark)
    spark_engine.read_events(private, [path], plans[0].bundle, failures).cache().createOrReplaceTempView("events")
    return [finish(private.sql(plan.sql("spark")).toArrow()).to_pylist() for plan in plans]


def first_disagreement(what: str, expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> str:
    for want, have in zip(expected, got):
        if want != have:
            return f"{what}: the per-account engine gives\n  {want}\n{what} gives\n  {have}"
    return f"{what}: {len(expected)} rows expected, {len(got)} given"


def timeline_instants(bundle: chronolex.Bundle, histories: list[chronolex.AccountHistory]) -> list[datetime]:
    """Every instant at which some example account's decision or reasons change, and the
    microsecond before it (the last instant of the interval before)."""
    starts: set[datetime] = set()
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    for history in histories:
        for action in bundle.actions:
            starts.update(interval.start for interval in chronolex.timeline(bundle, history, action, start, end))
    return sorted({t for s in starts for t in (s, s - timedelta(microseconds=1))} - {start - timedelta(microseconds=1)})


#: Spark takes one to five seconds a query of the huabei plan on a two-core machine (most of
#: it generating and compiling code), so it decides the examples at one instant in
#: SPARK_STEP of their timelines (interval starts and the microsecond before one, in turn),
#: and DuckDB and the per-account engine at the same instants: one in 54 on every run, one
#: in 9 at night (tests/examples.py); every instant (271) would add five minutes or more. DuckDB meets the per-account engine at every instant
#: where these timelines change from February to May 2026 in tests/batch/test_duckdb_agrees.py.
SPARK_STEP = 9 if THOROUGH else 54


def test_spark_duckdb_and_the_per_account_engine_agree_on_the_examples_over_their_timelines(
        spark: Any, huabei: chronolex.Bundle, histories: list[chronolex.AccountHistory], tmp_path: Path) -> None:
    table = layout_table(huabei, histories)
    path = write_layout(table, tmp_path / "examples.parquet")
    instants = timeline_instants(huabei, histories)
    assert len(instants) > 200
    chosen = instants[::SPARK_STEP]
    cases: list[tuple[datetime, datetime | None]] = [(at, None) for at in chosen]
    # the auditor's question: what could be known then (acct-1006's retroactive rule, a late score)
    known = [datetime(2025, 7, 9, 16, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)]
    cases += [(at, k) for at in chosen[::5] for k in known]
    plans = [compile_plan(huabei, at, k) for at, k in cases]
    for start in range(0, len(plans), 8):
        batch = plans[start:start + 8]
        for (at, k), plan, on_spark in zip(cases[start:], batch, spark_rows_at(spark, batch, path)):
            expected = python_rows(huabei, histories, plan.actions, at, k)
            on_duckdb = duckdb_rows(plan, table)
            where = f"at {at.isoformat()} known at {k}"
            assert on_duckdb == expected, first_disagreement(f"DuckDB {where}", expected, on_duckdb)
            assert on_spark == expected, first_disagreement(f"Spark {where}", expected, on_spark)


@st.composite
def populations_at(draw: st.DrawFn) -> tuple[BundleSpec, list[chronolex.AccountHistory], datetime, datetime | None]:
    spec = draw(batch_bundles())
    at = draw(batch_instants())
    histories = draw(populations(at, max_accounts=4))
    known_at = draw(st.none() | knowledge_instants(at, [e for h in histories for e in h.events]))
    return spec, histories, at, known_at


@settings(max_examples=examples(8, 60), deadline=None)
@given(populations_at())
def test_spark_duckdb_and_the_per_account_engine_agree_on_random_bundles_and_histories(
        spark: Any, population: tuple[BundleSpec, list[chronolex.AccountHistory], datetime, datetime | None]) -> None:
    spec, histories, at, known_at = population
    bundle = load_spec(spec)
    plan = compile_plan(bundle, at, known_at)
    table = layout_table(bundle, histories)
    expected = python_rows(bundle, histories, plan.actions, at, known_at)
    with tempfile.TemporaryDirectory(prefix="chronolex-spark-") as directory:
        on_spark = run_spark(plan, [write_layout(table, Path(directory) / "events.parquet")], session=spark)
    assert on_spark is not None
    on_duckdb = duckdb_rows(plan, table)
    where = f"at {at.isoformat()} known at {known_at}\n{spec.text()}"
    assert on_duckdb == expected, first_disagreement(f"DuckDB {where}", expected, on_duckdb)
    assert on_spark.to_pylist() == expected, first_disagreement(f"Spark {where}", expected, on_spark.to_pylist())


def test_spark_connect_without_its_client_libraries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    spark_or_skip()
    monkeypatch.setitem(sys.modules, "grpc", None)  # as where pyspark[connect] was not installed
    with pytest.raises(SparkUnavailable, match="Spark Connect client cannot be imported") as raised:
        spark_session.spark_session("sc://localhost:15002")
    assert raised.value.diagnostics[0].help == "install it with: pip install 'pyspark[connect]'"


def test_a_run_without_a_session_leaves_a_running_session_running(spark: Any, huabei: chronolex.Bundle,
                                                                   histories: list[chronolex.AccountHistory],
                                                                   tmp_path: Path) -> None:
    path = write_layout(layout_table(huabei, histories), tmp_path / "events.parquet")
    assert run_spark(Query(huabei, COUNTS), [path], master="local[2]") is not None
    assert spark.range(3).count() == 3  # the shared session was not stopped


def test_spark_reports_progress_that_never_goes_down_and_ends_at_one(spark: Any, huabei: chronolex.Bundle,
                                                                       histories: list[chronolex.AccountHistory],
                                                                       tmp_path: Path) -> None:
    path = write_layout(layout_table(huabei, histories), tmp_path / "events.parquet")
    plan = compile_plan(huabei, datetime(2026, 3, 16, 2, tzinfo=UTC), actions=["open"])
    seen: list[float] = []
    rows = run_spark(plan, [path], session=spark, progress=seen.append)
    assert rows is not None and rows.num_rows == 10
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") is None  # the caller's thread is as it was
