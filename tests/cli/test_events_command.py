"""``chronolex events convert`` through CliRunner: the Parquet it writes, and nothing written on bad input."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import chronolex
from chronolex.cli.app import cli
from tests.conftest import HUABEI

EXAMPLES = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHRONOLEX_DB", "CHRONOLEX_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def convert(*args: str) -> Result:
    return CliRunner().invoke(cli, ["events", "convert", *args, "--bundle", BUNDLE])


def assert_bad_input(result: Result, *said: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and all(s in result.stderr for s in said), result.stderr


def test_convert_writes_the_event_table_sorted_by_account_and_time(tmp_path: Path) -> None:
    out = tmp_path / "events.parquet"
    result = convert(EXAMPLES, str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out}: 54 events of 10 accounts\n"
    written = pq.read_table(out)
    bundle = chronolex.load_bundle(HUABEI)
    assert written.equals(chronolex.read_event_table(bundle, [EXAMPLES]))
    rows = written.select(["account", "at", "seq"]).to_pylist()
    assert rows == sorted(rows, key=lambda r: (r["account"], r["at"], r["seq"]))
    assert [p.name for p in tmp_path.iterdir()] == ["events.parquet"]


def test_convert_reads_globs_and_the_store_alike(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    ingested = CliRunner().invoke(cli, ["ingest", EXAMPLES, "--db", str(db), "--bundle", BUNDLE])
    assert ingested.exit_code == 0, ingested.output
    assert convert(str(HUABEI / "examples" / "*.jsonl"), str(tmp_path / "files.parquet")).exit_code == 0
    assert convert("--db", str(db), str(tmp_path / "store.parquet")).exit_code == 0
    assert pq.read_table(tmp_path / "files.parquet").equals(pq.read_table(tmp_path / "store.parquet"))


def test_a_bad_record_stops_the_command_and_writes_nothing(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(Path(EXAMPLES).read_text() + '{"account": "a", "at": "2026-03-01", "type": "kyc_verifed"}\n')
    out = tmp_path / "out.parquet"
    result = convert(str(events), str(out))
    assert_bad_input(result, f"{events}:55:", "event type 'kyc_verifed' is not declared", "did you mean")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl"]


def test_an_existing_output_is_left_as_it_was_on_a_bad_record(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.csv"
    bad.write_text("account,at,type\na,2026-03-01T10:00:00-00:00,kyc_verified\n")
    assert_bad_input(convert(str(bad), str(out)), f"{bad}:2:")
    assert out.read_bytes() == b"previous"


@pytest.mark.parametrize(("args", "said"), [
    (["in.jsonl", "out.csv"], "must end in .parquet"),
    (["out.parquet"], "no input"),
    (["missing-*.jsonl", "out.parquet"], "no file matches the pattern 'missing-*.jsonl'"),
    (["missing.jsonl", "out.parquet"], "cannot read missing.jsonl: it does not exist"),
])
def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                          said: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert_bad_input(convert(*args), said)


def test_files_and_a_store_together_are_refused(tmp_path: Path) -> None:
    assert_bad_input(convert(EXAMPLES, "--db", str(tmp_path / "x.db"), str(tmp_path / "o.parquet")),
                     "not both")
