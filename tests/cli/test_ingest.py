"""``chronolex ingest`` through CliRunner, and the reading commands over the store it writes.

A store must answer exactly as the files it was filled from: ``why`` and ``timeline``
with ``--db`` (or ``CHRONOLEX_DB``) give the same JSON as with ``--events``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chronolex.cli._common import error_line
from chronolex.cli.app import cli
from chronolex.cli.render.findings import display_path
from chronolex.errors import ChronolexError, Diagnostic, Severity, Span
from chronolex.events.files import MAX_REPORTED
from chronolex.events.store import EventStore
from tests.conftest import FIXTURES, HUABEI

EXAMPLES = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)
EVENTS = FIXTURES / "events"
GOOD = '{"account": "a", "at": "2026-03-01", "type": "kyc_verified"}\n'


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHRONOLEX_DB", "CHRONOLEX_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def ingest(*args: str, env: dict[str, str] | None = None) -> Result:
    return run("ingest", *args, "--bundle", BUNDLE, env=env)


def assert_bad_input(result: Result) -> str:
    """Exit 2, one error line on stderr (further problems on indented lines after it),
    nothing on stdout, no traceback; the error line is returned."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("chronolex: error: "), result.stderr
    assert all(line.startswith("  ") for line in lines[1:]), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0].removeprefix("chronolex: error: ")


def stored(db: Path) -> tuple[int, list[tuple[object, ...]]]:
    with EventStore(db) as store:
        return store.count(), [tuple(r) for r in store._db.execute("SELECT * FROM events ORDER BY key")]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- ingest -------------------------------------------------------------------------------


def test_ingest_creates_the_store_and_says_what_it_did(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    result = ingest(EXAMPLES, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ingested 54 events (54 new, 0 already stored) into {db}\n"
    assert stored(db)[0] == 54


def test_ingest_twice_counts_nothing_new(tmp_path: Path) -> None:
    db = str(tmp_path / "events.db")
    ingest(EXAMPLES, "--db", db)
    before = stored(Path(db))
    again = ingest(EXAMPLES, EXAMPLES, "--db", db)
    assert again.exit_code == 0
    assert again.stdout.startswith("ingested 108 events (0 new, 108 already stored)")
    assert stored(Path(db)) == before


def test_ingest_reads_csv_and_jsonl_together_and_takes_the_db_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    result = ingest(str(EVENTS / "typed.csv"), str(EVENTS / "mixed.jsonl"), env={"CHRONOLEX_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert "(12 new, 0 already stored)" in result.stdout
    with EventStore(db) as store:
        assert list(store.accounts()) == ["acct-1", "acct-2", "acct-3"]


def test_a_db_name_that_is_not_utf8_is_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / os.fsdecode(b"events-\xff.db")
    try:
        db.touch()
        db.unlink()
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 names")
    result = ingest(EXAMPLES, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("events-\ufffd.db\n")
    assert stored(db)[0] == 54


def test_the_timezone_option_reads_wall_times(tmp_path: Path) -> None:
    source = write(tmp_path / "e.csv", "account,at,type\na,2026-03-08T01:30,x\n")
    for zone, expected in (("America/New_York", "2026-03-08T06:30:00.000000+00:00"),
                           ("Asia/Shanghai", "2026-03-07T17:30:00.000000+00:00")):
        db = tmp_path / f"{zone.replace('/', '-')}.db"
        assert run("ingest", source, "--db", str(db), "--timezone", zone).exit_code == 0
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT at FROM events").fetchone() == (expected,)
    # the same wall time an hour later exists in Shanghai, not in New York (a DST gap)
    gap = write(tmp_path / "gap.csv", "account,at,type\na,2026-03-08T02:30,x\n")
    assert run("ingest", gap, "--db", str(tmp_path / "sh.db"), "--timezone", "Asia/Shanghai").exit_code == 0
    refused = run("ingest", gap, "--db", str(tmp_path / "ny.db"), "--timezone", "America/New_York")
    assert refused.exit_code == 2 and "gap.csv:2:3" in refused.output and "does not exist" in refused.output


@pytest.mark.parametrize(("args", "text"), [
    (["--timezone", "UTC", "--bundle", BUNDLE], "either --timezone or --bundle"),
    (["--timezone", "Mars/Olympus"], "unknown timezone"),
    (["--bundle", "no/such/bundle"], "not a bundle"),
])
def test_bad_zone_options_are_one_line_errors(tmp_path: Path, args: list[str], text: str) -> None:
    db = tmp_path / "events.db"
    line = assert_bad_input(run("ingest", EXAMPLES, "--db", str(db), *args))
    assert text in line
    assert not db.exists()


def test_a_bad_record_in_the_second_file_leaves_the_store_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    ingest(EXAMPLES, "--db", str(db))
    before = stored(db)
    first = write(tmp_path / "first.jsonl", GOOD.replace('"a"', '"new-account"'))
    second = write(tmp_path / "second.jsonl", GOOD + '{"account": "a", "at": "2026-02-30", "type": "x"}\n')
    line = assert_bad_input(ingest(first, second, "--db", str(db)))
    assert line.startswith(f"{Path(second).as_posix()}:2:18: invalid-date: ")
    assert stored(db) == before


def test_a_bad_record_does_not_create_a_missing_store(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    bad = write(tmp_path / "bad.jsonl", GOOD + '{"account": "a", "type": "x"}\n')
    line = assert_bad_input(ingest(EXAMPLES, bad, "--db", str(db)))
    assert line == f"{Path(bad).as_posix()}:2:1: event-schema: missing required field 'at'"
    assert not db.exists()


def test_several_bad_records_are_all_listed_first_one_first(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    result = ingest(str(EVENTS / "bad.jsonl"), str(EVENTS / "bad.csv"), "--db", str(db))
    line = assert_bad_input(result)
    first = display_path(str(EVENTS / "bad.csv"))       # tests/fixtures/events/bad.csv from the work tree
    assert line.startswith(f"{first}:3:8: invalid-date: ")   # sorted by file, then line
    # 10 in bad.jsonl (one an event type the bundle does not declare) and 5 in bad.csv
    assert line.endswith(" (and 14 more)")
    rest = result.stderr.splitlines()[1:]
    assert len(rest) == 14
    assert any(":12:43: unknown-event-type: event type 'x' is not declared" in r for r in rest)
    assert not db.exists()


def test_many_bad_records_are_counted_past_the_cap(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl", '{"account": "a", "at": "2026-03-01"}\n' * (MAX_REPORTED + 100))
    result = ingest(bad, "--db", str(tmp_path / "events.db"))
    line = assert_bad_input(result)
    assert line.startswith(f"{Path(bad).as_posix()}:1:1: event-schema: missing required field 'type'")
    assert line.endswith(f" (and {MAX_REPORTED + 99} more)")
    rest = result.stderr.splitlines()[1:]
    assert rest[-1] == f"  … {MAX_REPORTED - 20} more not listed here"   # 20 listed after the first
    assert len(rest) == 21


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(GOOD.encode() * 2 + b'{"account": "\xc3\x28"}\n')
    line = assert_bad_input(ingest(str(bad), "--db", str(tmp_path / "events.db")))
    assert line.startswith(f"{bad.as_posix()}:3:14: encoding: invalid UTF-8 (byte 0xc3)")


@pytest.mark.parametrize("kind", ["text", "sqlite"])
def test_a_db_that_is_not_a_store_is_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "events.db"
    if kind == "text":
        db.write_text("not a database\n", encoding="utf-8")
    else:
        with sqlite3.connect(db) as connection:
            connection.execute("CREATE TABLE t (x)")
    before = db.read_bytes()
    line = assert_bad_input(ingest(EXAMPLES, "--db", str(db)))
    assert "store-error" in line and "is not a chronolex event store" in line
    assert db.read_bytes() == before


def test_missing_arguments_are_usage_errors(tmp_path: Path) -> None:
    assert run("ingest", EXAMPLES).exit_code == 2                      # no --db, no CHRONOLEX_DB
    assert run("ingest", "--db", str(tmp_path / "e.db")).exit_code == 2  # no file
    assert not (tmp_path / "e.db").exists()


def test_the_error_line_counts_the_omitted_problems_from_the_error_not_its_text() -> None:
    one = ChronolexError([Diagnostic("event-schema", Severity.ERROR, "missing required field 'at'",
                                     Span("e.jsonl", 3, 1), "a hint")])
    assert error_line(one) == "e.jsonl:3:1: event-schema: missing required field 'at' (help: a hint)"
    several = ChronolexError([
        Diagnostic("event-schema", Severity.ERROR, "first", Span("e.jsonl", 1, 1)),
        Diagnostic("event-schema", Severity.ERROR, "second", Span("e.jsonl", 2, 1)),
        Diagnostic("too-many-errors", Severity.ERROR, "a message nobody parses", Span("e.jsonl", 3, 1)),
    ], omitted=40)
    assert several.others == 41
    assert error_line(several) == "e.jsonl:1:1: event-schema: first (and 41 more)"


# -- the reading commands over a store ------------------------------------------------------


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = tmp_path_factory.mktemp("store") / "events.db"
    result = CliRunner().invoke(cli, ["ingest", EXAMPLES, "--db", str(db), "--bundle", BUNDLE])
    assert result.exit_code == 0, result.output
    return str(db)


WHY_CASES = [
    ("acct-1001", ["--at", "2026-03-16T10:00"]),
    ("acct-1002", ["--at", "2026-03-08T01:30", "--action", "open"]),
    ("acct-1003", ["--at", "2026-04-01T09:00"]),
    ("acct-1007", ["--at", "2026-04-20T15:00", "--as-known-at", "2026-04-01"]),
    ("nobody", ["--at", "2026-04-20T15:00", "--allow-unknown-account"]),  # decided on an empty history on purpose
]


@pytest.mark.parametrize(("account", "args"), WHY_CASES, ids=[c[0] for c in WHY_CASES])
def test_why_over_the_store_answers_as_over_the_file(example_store: str, account: str, args: list[str]) -> None:
    common = ["why", account, *args, "--bundle", BUNDLE, "--format", "json"]
    from_file = run(*common, "--events", EXAMPLES)
    from_db = run(*common, "--db", example_store)
    from_env = run(*common, env={"CHRONOLEX_DB": example_store})
    assert from_file.exit_code == from_db.exit_code == from_env.exit_code == 0, from_db.output
    assert json.loads(from_db.stdout) == json.loads(from_file.stdout) == json.loads(from_env.stdout)
    assert from_db.stdout == from_file.stdout                            # byte for byte


def test_timeline_over_the_store_answers_as_over_the_file(example_store: str) -> None:
    common = ["timeline", "acct-1001", "--from", "2026-03-01", "--to", "2026-05-01", "--bundle", BUNDLE,
              "--format", "json"]
    from_file, from_db = run(*common, "--events", EXAMPLES), run(*common, "--db", example_store)
    assert from_file.exit_code == from_db.exit_code == 0, from_db.output
    assert from_db.stdout == from_file.stdout


def test_a_reading_command_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    fake = write(tmp_path / "events.db", GOOD)
    line = assert_bad_input(run("why", "a", "--at", "2026-03-01", "--bundle", BUNDLE, "--db", fake))
    assert "store-error" in line and "is not a chronolex event store" in line


def test_a_named_pipe_to_ingest_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "events.jsonl"
    os.mkfifo(pipe)  # with no writer, opening it would block for ever
    result = CliRunner().invoke(cli, ["ingest", str(pipe), "--db", str(tmp_path / "s.db"), "--timezone", "UTC"])
    assert result.exit_code == 2
    assert "is a named pipe, not a regular file" in result.output
    assert not (tmp_path / "s.db").exists()
