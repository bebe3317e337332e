"""``kill -9`` of the first ``chronolex ingest`` into a new store: afterwards the store is
absent, refused as incomplete, or complete, never an empty store that answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from chronolex.errors import ChronolexError
from chronolex.events.store import EventStore
from tests.conftest import HUABEI

EVENTS = 12_000


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("events") / "large.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(EVENTS):
            out.write(f'{{"account": "acct-{number % 997:05d}", "at": "2026-01-01T00:00:00+08:00", '
                      f'"type": "credit_score_updated", "score": {number % 500 + 300}, "id": "e-{number}"}}\n')
    return path


def _killed_ingest(events: Path, db: Path, wait_for: str, delay: float) -> bool:
    """Start ingesting ``events`` into the new store ``db``; once ``wait_for`` exists (the store
    file: the process has read and checked every record and opened the store; its ``-wal``
    file: the process is writing in its transaction), wait ``delay`` and SIGKILL the process.
    True if it was killed while still running."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from chronolex.cli.app import main; main()",
         "ingest", "--db", str(db), "--timezone", "Asia/Shanghai", str(events)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    trigger = db.with_name(db.name + wait_for)
    try:
        deadline = time.monotonic() + 120
        while not trigger.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(delay)
        running = process.poll() is None
        # Popen.kill sends nothing once poll() has reaped the process: its pid may be
        # another process's by then (os.kill(process.pid) could kill that one)
        process.kill()
        return running
    finally:
        process.wait()


def _state(db: Path) -> str:
    if not db.exists():
        return "absent"
    try:
        store = EventStore(db)
    except ChronolexError as error:
        message = error.diagnostics[0].message
        assert "is not a chronolex event store" in message and "interrupted" in message, message
        return "refused"
    with store:
        count = store.count()
        assert count == EVENTS, f"a killed ingest left {count} of {EVENTS} events"
        assert store.verify().sound
    return "complete"


@pytest.mark.parametrize(("wait_for", "delay"), [("", 0.0), ("", 0.1), ("-wal", 0.0), ("-wal", 0.05), ("-wal", 0.3)])
def test_a_killed_first_ingest_never_leaves_a_store_that_answers(large: Path, tmp_path: Path, wait_for: str,
                                                                 delay: float) -> None:
    db = tmp_path / "events.db"
    killed = _killed_ingest(large, db, wait_for, delay)
    state = _state(db)
    assert killed or state == "complete"
    if state != "complete":   # then no command answers from it
        result = CliRunner().invoke(cli, ["why", "acct-00042", "--at", "2026-03-01", "--db", str(db),
                                          "--bundle", str(HUABEI)])
        assert result.exit_code == 2 and "Traceback" not in result.stderr
        assert ("is not a chronolex event store" in result.stderr or "no such event store" in result.stderr)
    # and an ingest run again makes the complete store
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db), "--timezone", "Asia/Shanghai",
                                    str(large)]).exit_code == 0
    assert _state(db) == "complete"
