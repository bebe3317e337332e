"""Two processes at one store: readers answer from the last commit while an ingest writes
(WAL), a second writer says it waits and then names the real cause, and a path that is not
a regular file is named as such."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from chronolex.cli.app import cli
from chronolex.events.event import Event
from chronolex.events.files import read_events
from chronolex.events.store import EventStore
from tests.conftest import HUABEI

EXAMPLES = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MORE = '{"account": "acct-7777", "at": "2026-03-01", "type": "kyc_verified", "method": "id_card_and_face"}\n'
WHY = ["why", "acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--format", "json"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--bundle", BUNDLE])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    assert run("ingest", "--db", str(path), EXAMPLES).exit_code == 0
    return path


@pytest.fixture
def writer(db: Path) -> Iterator[sqlite3.Connection]:
    """Another connection inside a write transaction, with a row it has not committed."""
    connection = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO events (key, account, at, recorded_at, type, id, fields, batch) "
                       "SELECT 'id:intruder', 'acct-intruder', at, recorded_at, type, 'intruder', fields, batch "
                       "FROM events LIMIT 1")
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


def test_a_new_store_is_in_wal_mode(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_reader_answers_from_the_last_commit_while_another_process_writes(db: Path,
                                                                           writer: sqlite3.Connection) -> None:
    before = run(*WHY, "--db", str(db))
    assert before.exit_code == 0
    during = run(*WHY, "--db", str(db))
    assert during.exit_code == 0 and json.loads(during.stdout) == json.loads(before.stdout)
    unseen = run("why", "acct-intruder", "--at", "2026-03-16T10:00", "--db", str(db))
    assert unseen.exit_code == 2 and "has no events in the store" in unseen.stderr   # not committed: not seen


def test_a_second_writer_says_it_waits_then_names_the_real_cause(db: Path, tmp_path: Path,
                                                                 writer: sqlite3.Connection) -> None:
    more = tmp_path / "more.jsonl"
    more.write_text(MORE, encoding="utf-8")
    result = run("ingest", "--db", str(db), "--wait", "0.3", str(more))
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"waiting for another process to finish writing {db} (up to 0.3 s)…"
    assert lines[1].startswith(f"chronolex: error: store-error: {db}: the store is being written by another "
                               "process; try again (waited 0.3 s for it)")
    assert "not a chronolex event store" not in result.stderr and "locked" not in result.stderr
    writer.execute("ROLLBACK")
    with EventStore(db) as store:
        assert store.count() == 54


def test_a_second_writer_goes_on_once_the_first_commits(db: Path, writer: sqlite3.Connection) -> None:
    release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    waited = []

    def on_wait() -> None:   # told that another process writes: that one commits a little later
        waited.append(True)
        release.start()

    with EventStore(db, create=True, wait=30) as store:
        result = store.ingest(read_events(EXAMPLES, SHANGHAI) + [_more()], on_wait=on_wait)
    release.join()
    assert waited == [True] and (result.added, result.duplicates) == (1, 54)
    with EventStore(db) as store:
        assert store.count() == 56    # the other process's row, and this one's
        assert store.verify().problems == ("batch 1: 55 events found, 54 recorded",)   # (a row it never checked)


def _more() -> Event:
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    return Event("acct-7777", at, "kyc_verified", at)


def test_a_path_that_is_not_a_regular_file_is_named_as_such(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run("ingest", "--db", str(fifo), EXAMPLES)
    assert result.exit_code == 2
    assert f"{fifo} is not a regular file (an event store is one SQLite file)" in result.stderr
    assert "rollback" not in result.stderr
    if stat.S_ISCHR(os.stat("/dev/null").st_mode):  # where /dev/null is the device (not in every sandbox)
        result = run("ingest", "--db", "/dev/null", EXAMPLES)
        assert result.exit_code == 2 and "/dev/null is not a regular file" in result.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write any file")
def test_a_store_that_cannot_be_written_is_named_as_such(db: Path) -> None:
    db.chmod(0o444)
    try:
        result = run("ingest", "--db", str(db), EXAMPLES)
    finally:
        db.chmod(0o644)
    assert result.exit_code == 2 and "cannot write to the store (permission denied)" in result.stderr


def test_a_store_in_a_missing_folder_is_named_as_such(tmp_path: Path) -> None:
    result = run("ingest", "--db", str(tmp_path / "no" / "such" / "events.db"), EXAMPLES)
    assert result.exit_code == 2 and "cannot create the store (no such folder)" in result.stderr


@pytest.mark.parametrize("wait", ["nan", "inf", "-1", "1e9"])
def test_a_wait_that_is_not_a_sensible_number_of_seconds_is_a_usage_error(db: Path, wait: str) -> None:
    result = run("ingest", "--db", str(db), "--wait", wait, EXAMPLES)
    assert result.exit_code == 2 and "Invalid value for '--wait'" in result.stderr
