"""A damaged store is found, never read as data: batch checksums, ``verify``, ``check=True``,
and stores written by layout version 1 (no checksums) kept readable and upgraded on write."""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from chronolex.errors import ChronolexError
from chronolex.events.checksums import batch_digest
from chronolex.events.encoding import freeze_fields
from chronolex.events.event import Event
from chronolex.events.store import EventStore, _row

UTC = timezone.utc


def generated(count: int, seed: int = 1, accounts: int = 200) -> list[Event]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made = []
    for number in range(count):
        at = start + timedelta(seconds=rng.randrange(365 * 86400))
        fields = freeze_fields({"score": rng.randint(300, 850), "note": rng.choice(["a", "bb", "ccc"])})
        made.append(Event(f"acct-{rng.randrange(accounts):04d}", at, "credit_score_updated", at, fields,
                          f"e-{number}" if number % 2 else None))
    return made


def histories(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with EventStore(path) as store:
        return {a: [(e.at, e.recorded_at, e.type, e.id, dict(e.fields)) for e in store.history(a).events]
                for a in store.accounts()}


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 3,000 events in three batches (the last one partly duplicates)."""
    path = tmp_path_factory.mktemp("store") / "events.db"
    events = generated(3000)
    with EventStore(path, create=True) as store:
        store.ingest(events[:1000])
        store.ingest(events[1000:2000])
        store.ingest(events[1500:])   # 500 already stored: the batch is the 1,000 new rows
    return path


def test_each_batch_records_its_rows_and_their_checksum(sound: Path) -> None:
    with sqlite3.connect(sound) as connection:
        batches = connection.execute("SELECT number, events, sha256 FROM batches ORDER BY number").fetchall()
        assert [(n, c) for n, c, _ in batches] == [(1, 1000), (2, 1000), (3, 1000)]
        for number, _, digest in batches:
            rows = connection.execute("SELECT key, account, at, recorded_at, type, id, fields FROM events "
                                      "WHERE batch = ? ORDER BY key", (number,)).fetchall()
            assert batch_digest(rows) == digest


def test_a_sound_store_verifies(sound: Path) -> None:
    with EventStore(sound) as store:
        report = store.verify()
    assert report.sound and (report.events, report.batches) == (3000, 3) and report.notes == ()


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def test_a_row_changed_behind_the_stores_back_is_found_though_sqlite_sees_nothing(sound: Path,
                                                                                   tmp_path: Path) -> None:
    damaged = _copy(sound, tmp_path / "changed.db")
    with sqlite3.connect(damaged) as connection:
        connection.execute("UPDATE events SET fields = replace(fields, '\"score\":', '\"score\":1') "
                           "WHERE rowid = 1500")
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with EventStore(damaged) as store:
        report = store.verify()
    assert report.problems == ("batch 2: the checksum of its 1000 events does not match (a stored event was changed)",)


def test_rows_added_or_removed_behind_the_stores_back_are_found(sound: Path, tmp_path: Path) -> None:
    damaged = _copy(sound, tmp_path / "rows.db")
    with sqlite3.connect(damaged) as connection:
        connection.execute("DELETE FROM events WHERE rowid = 10")
        connection.execute("UPDATE events SET batch = 9 WHERE rowid = 2500")
    with EventStore(damaged) as store:
        problems = store.verify().problems
    assert problems == ("batch 1: 999 events found, 1000 recorded", "batch 3: 999 events found, 1000 recorded",
                        "1 events carry batch number 9, which no ingest recorded")


def _flip(path: Path, seed: int, flips: int = 20) -> None:
    """``flips`` bytes in the middle half of the file set to other values (seeded)."""
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for offset in rng.sample(range(len(data) // 4, 3 * len(data) // 4), flips):
        data[offset] = (data[offset] + rng.randrange(1, 256)) % 256
    path.write_bytes(bytes(data))


def _verdict(path: Path) -> str:
    try:
        with EventStore(path) as store:
            return "sound" if store.verify().sound else "damaged"
    except ChronolexError:
        return "refused"


def test_random_byte_flips_never_pass_as_a_sound_store_with_other_histories(sound: Path, tmp_path: Path) -> None:
    original = histories(sound)
    verdicts = []
    for seed in range(12):
        damaged = _copy(sound, tmp_path / f"flipped-{seed}.db")
        _flip(damaged, seed)
        verdict = _verdict(damaged)
        verdicts.append(verdict)
        if verdict == "sound":   # only flips in unused space: then every history reads as it was
            assert histories(damaged) == original, f"seed {seed}: verify passed a store that reads differently"
    assert verdicts.count("damaged") >= 8, verdicts


def test_check_on_open_refuses_a_store_with_damaged_pages(sound: Path, tmp_path: Path) -> None:
    damaged = _copy(sound, tmp_path / "pages.db")
    data = bytearray(damaged.read_bytes())
    page = 4096
    for offset in range(3 * page, 3 * page + 12):   # the header of a page of the events table
        data[offset] ^= 0x5A
    damaged.write_bytes(bytes(data))
    with pytest.raises(ChronolexError) as caught:
        EventStore(damaged, check=True)
    assert "the store is damaged" in caught.value.diagnostics[0].message
    with EventStore(sound, check=True) as store:   # a sound store opens as usual
        assert store.count() == 3000


# -- stores of layout version 1 -------------------------------------------------------------

_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (key TEXT PRIMARY KEY, account TEXT NOT NULL, at TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL, type TEXT NOT NULL, id TEXT, fields TEXT NOT NULL)",
    "CREATE INDEX events_account_at ON events (account, at)",
    "INSERT INTO meta VALUES ('application', 'chronolex-events'), ('schema_version', '1')",
)


def version_1_store(path: Path, events: list[Event]) -> Path:
    """A store as chronolex wrote it before checksums (rollback journal, no batches)."""
    with sqlite3.connect(path) as connection:
        for statement in _V1:
            connection.execute(statement)
        connection.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", map(_row, events))
    connection.close()
    return path


def test_a_version_1_store_reads_and_verifies_with_a_note(tmp_path: Path) -> None:
    events = generated(300)
    old = version_1_store(tmp_path / "old.db", events)
    with EventStore(old) as store:
        assert store.count() == 300
        report = store.verify()
    assert report.sound and report.notes == (
        "no checksums recorded before version 2 of the store layout: 300 events were ingested by an older "
        "chronolex and are checked by SQLite's integrity check only",)


def test_a_version_1_store_is_upgraded_by_its_next_ingest(tmp_path: Path) -> None:
    events = generated(600)
    old = version_1_store(tmp_path / "old.db", events[:300])
    with EventStore(old, create=True) as store:
        assert store.ingest(events[200:]).added == 300
        report = store.verify()
    assert report.sound and (report.events, report.batches) == (600, 1)
    assert "300 events were ingested by an older chronolex" in report.notes[0]
    with sqlite3.connect(old) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with EventStore(tmp_path / "new.db", create=True) as fresh:
        fresh.ingest(events)
    assert histories(old) == histories(tmp_path / "new.db")
