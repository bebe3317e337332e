"""Batch replay at scale: the rows stream to the output file, the summary is counted on the
way, and the engines report their progress to a caller that draws it.

What a user relies on: a file written as the rows stream is the same bytes as the table
written at once (Parquet row groups included), whatever the batches; the summary is the
same as the one counted over the whole table; a progress callback sees fractions that
never go down and end at 1; the command line draws a bar only on a terminal.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click._termui_impl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import chronolex
from chronolex.batch import duckdb_engine, output
from chronolex.batch.progress import Poller
from chronolex.cli.app import cli
from chronolex.cli.commands import replay as replay_command
from tests.conftest import HUABEI

EVENTS = HUABEI / "examples" / "events.jsonl"
AT = "2026-03-16T10:00"


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def events(huabei: chronolex.Bundle, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example accounts' events as a Parquet event table (DuckDB reads it as it goes)."""
    path = tmp_path_factory.mktemp("streaming") / "events.parquet"
    pq.write_table(chronolex.read_event_table(huabei, [str(EVENTS)]), path)
    return str(path)


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 rows and Parquet row groups of 7, so 30 rows cross every boundary."""
    monkeypatch.setattr(duckdb_engine, "BATCH_ROWS", 4)
    monkeypatch.setattr(output, "ROW_GROUP_ROWS", 7)


@pytest.mark.parametrize("name", ["decisions.parquet", "decisions.jsonl", "decisions.csv"])
def test_a_streamed_file_is_the_same_bytes_as_the_table_written_at_once(
        huabei: chronolex.Bundle, events: str, tmp_path: Path, small_pieces: None, name: str) -> None:
    at = chronolex.parse_instant(AT, huabei.timezone)
    table = chronolex.replay_batch(huabei, [events], at)
    assert table.num_rows == 30
    assert chronolex.replay_batch(huabei, [events], at, output=tmp_path / name) is None
    expected = tmp_path / f"expected-{name}"
    if name.endswith(".parquet"):
        pq.write_table(table, expected, compression="zstd", row_group_size=output.ROW_GROUP_ROWS)
        assert pq.ParquetFile(tmp_path / name).metadata.num_row_groups == 5
    else:
        with open(expected, "wb") as handle:
            chronolex.write_batch(table, handle, output.batch_output_format(name))
    assert (tmp_path / name).read_bytes() == expected.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_no_rows_stream_to_the_same_file_as_an_empty_table(tmp_path: Path, fmt: str) -> None:
    empty = output.STAMPED.empty_table()
    with open(tmp_path / "streamed", "wb") as handle:
        writer = chronolex.DecisionWriter(handle, fmt, output.STAMPED)
        writer.close()
    with open(tmp_path / "whole", "wb") as handle:
        chronolex.write_batch(empty, handle, fmt)
    assert (tmp_path / "streamed").read_bytes() == (tmp_path / "whole").read_bytes()


def test_a_failed_stream_leaves_no_file(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    def broken() -> Any:
        yield from output.STAMPED.empty_table().to_batches()
        raise chronolex.BatchError("the engine failed half way")

    with pytest.raises(chronolex.BatchError, match="half way"):
        output.write_decisions(broken(), tmp_path / "decisions.parquet", output.STAMPED)
    assert list(tmp_path.iterdir()) == []


def test_the_summary_counted_batch_by_batch_is_the_summary_of_the_table(
        huabei: chronolex.Bundle, events: str) -> None:
    at = chronolex.parse_instant(AT, huabei.timezone)
    table = chronolex.replay_batch(huabei, [events], at)
    counter = chronolex.SummaryCounter()
    for batch in table.to_batches(max_chunksize=4):  # an account's rows cross batches
        counter.add(batch)
    assert counter.summary() == chronolex.summarize_batch(table)
    assert counter.summary().accounts == 10


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_progress_never_goes_down_and_ends_at_one(huabei: chronolex.Bundle, engine: str) -> None:
    at = chronolex.parse_instant(AT, huabei.timezone)
    seen: list[float] = []
    table = chronolex.replay_batch(huabei, [str(EVENTS)], at, engine=engine, progress=seen.append)
    assert table.num_rows == 30
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_a_poller_reports_an_engine_estimate_that_goes_back_as_never_decreasing() -> None:
    estimates = iter([None, 0.2, 0.5, 0.3, 1.0, 0.7])
    used = threading.Event()

    def estimate() -> float | None:
        try:
            return next(estimates)
        except StopIteration:
            used.set()
            return None

    seen: list[float] = []
    with Poller(estimate, seen.append):
        assert used.wait(10)
    assert seen == [0.0, 0.2, 0.5, 0.99, 1.0]  # below 1 until the work is done


def _replay(args: list[str]) -> Any:
    return CliRunner().invoke(cli, ["replay", "--bundle", str(HUABEI), "--at", AT, "--events", str(EVENTS), *args])


def test_replay_draws_no_progress_bar_when_not_on_a_terminal(tmp_path: Path) -> None:
    result = _replay(["--output", str(tmp_path / "decisions.jsonl")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # the summary is on standard output, and nothing else is drawn
    assert result.stdout.startswith("10 accounts\n") and "replaying" not in result.stdout
    assert "replaying" not in (tmp_path / "decisions.jsonl").read_text()


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_replay_draws_a_progress_bar_on_a_terminal_and_never_in_the_output(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: str) -> None:
    monkeypatch.setattr(replay_command, "_on_terminal", lambda: True)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)  # CliRunner's stderr is no terminal
    result = _replay(["--engine", engine])
    assert result.exit_code == 0, result.output
    assert "replaying" in result.stderr and "100%" in result.stderr
    assert "replaying" not in result.stdout and len(result.stdout.splitlines()) == 30
