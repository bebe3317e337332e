"""Benchmark: ingest of generated events into a new store, the old way and the new way.

Goal (issue: robustness, ingest throughput): 100,000 events/s. The events are the
shipped bundle's kinds (JSON Lines, half of them with an ``id``, decimals, wall times
with an offset), read with the bundle's event catalog as ``chronolex ingest --bundle``
reads them. Both contestants read the same file into a new store and must store the
same rows:

- old: every record checked by ``jsonschema`` (the way before the pre-check);
- new: the pre-check (``chronolex.events.precheck``), jsonschema only for a record it
  cannot vouch for.

Each phase is timed (reading and checking the file, writing the store), and the rate is
events per second of the whole ingest (wall clock, and the process's CPU time, which
other work on a shared machine disturbs less).

    python benchmarks/ingest.py [--events 300000] [--old-events N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import chronolex
import chronolex.events.files as files
from chronolex import EventStore, read_event_files

BUNDLE = Path(__file__).resolve().parent.parent / "policies" / "huabei"
_KINDS = ("credit_score_updated", "repayment_overdue", "login_failed", "loan_disbursed", "kyc_verified",
          "status_changed", "password_reset")


def write_events(path: Path, count: int, seed: int = 7) -> None:
    """``count`` JSON Lines records over 10,000 accounts and two years, seeded."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            kind = rng.choice(_KINDS)
            at = (start + timedelta(seconds=rng.randrange(2 * 365 * 86400))).isoformat()
            record: dict[str, Any] = {"account": f"acct-{rng.randrange(10_000):05d}", "at": at, "type": kind}
            if kind == "credit_score_updated":
                record.update(score=rng.randint(450, 800), source="credit_bureau")
            elif kind == "repayment_overdue":
                record.update(days=rng.randint(1, 90), loan_id=f"L-{number}")
            elif kind in ("login_failed", "password_reset"):
                record.update(channel=rng.choice(["app", "web"]))
            elif kind == "status_changed":
                record.update(status=rng.choice(["active", "frozen"]), reason="review")
            elif kind == "kyc_verified":
                record.update(method="id_card_and_face")
            if number % 2 == 0:
                record["id"] = f"e-{number}"
            text = json.dumps(record, ensure_ascii=False)
            if kind == "loan_disbursed":  # an exact decimal, as a platform writes money
                amount = f"{rng.randint(100, 99_999)}.{rng.randint(0, 99):02d}"
                text = text[:-1] + f', "amount": {amount}, "currency": "CNY"}}'
            out.write(text + "\n")


@contextmanager
def jsonschema_per_record() -> Iterator[None]:
    """The old way: the pre-check never vouches, so jsonschema checks every record."""
    real = files.plainly_valid
    files.plainly_valid = lambda record: False  # type: ignore[assignment]
    try:
        yield
    finally:
        files.plainly_valid = real  # type: ignore[assignment]


def ingest(source: Path, db: Path, bundle: chronolex.Bundle) -> tuple[float, float, int]:
    """(seconds reading, seconds storing, events) of one ingest into a new store at ``db``."""
    started = time.perf_counter()
    events = read_event_files([source], bundle.timezone, catalog=bundle.events)
    read = time.perf_counter()
    with EventStore(db, create=True) as store:
        result = store.ingest(events)
    return read - started, time.perf_counter() - read, result.total


def rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT key, account, at, recorded_at, type, id, fields FROM events ORDER BY key").fetchall()


def run(label: str, source: Path, db: Path, bundle: chronolex.Bundle,
        way: Callable[[], Any]) -> tuple[float, int]:
    cpu = time.process_time()
    with way():
        reading, storing, count = ingest(source, db, bundle)
    cpu = time.process_time() - cpu
    total = reading + storing
    print(f"{label:<34} {count:>8} events  read+check {reading:6.2f} s  store {storing:6.2f} s  "
          f"total {total:6.2f} s  {count / total:>9,.0f} events/s  (CPU {cpu:.2f} s: {count / cpu:,.0f}/s)")
    return total, count


def ceiling(stored: Path, scratch: Path) -> None:
    """The store's own limit: the rows the new way stored, inserted again into an empty
    store's tables with nothing computed (no reading, checking or keys). No ingest into
    this store can be faster than this line."""
    with sqlite3.connect(stored) as source:
        schema = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE name IN ('events', 'events_account_at') ORDER BY type DESC")]
        table = source.execute("SELECT * FROM events ORDER BY key").fetchall()
    target = sqlite3.connect(scratch, isolation_level=None)
    try:
        target.execute("PRAGMA journal_mode = WAL")
        for sql in schema:
            target.execute(sql)
        started = time.perf_counter()
        target.execute("BEGIN")
        target.executemany(f"INSERT OR IGNORE INTO events VALUES ({', '.join('?' * len(table[0]))})", table)
        target.execute("COMMIT")
        took = time.perf_counter() - started
    finally:
        target.close()
    print(f"{'ceiling: the same rows, insert only':<34} {len(table):>8} rows    "
          f"{'':>23}store {took:6.2f} s  total {took:6.2f} s  {len(table) / took:>9,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--old-events", type=int, default=None,
                        help="events for the old way (default: as many as --events; it is slow)")
    parser.add_argument("--profile", action="store_true", help="print where the new way spends its time")
    args = parser.parse_args()
    bundle = chronolex.load_bundle(BUNDLE)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source = folder / "events.jsonl"
        write_events(source, args.events)
        old_source = source
        if args.old_events is not None and args.old_events < args.events:
            old_source = folder / "old.jsonl"
            write_events(old_source, args.old_events)
        print(f"ingest into a new store, bundle {BUNDLE.name} (catalog checked), {sys.version.split()[0]}")
        old_total, old_count = run("old: jsonschema per record", old_source, folder / "old.db", bundle,
                                   jsonschema_per_record)
        new_total, new_count = run("new: pre-check, jsonschema on doubt", source, folder / "new.db", bundle,
                                   contextmanager(lambda: iter([None])))
        if old_source == source:
            assert rows(folder / "old.db") == rows(folder / "new.db"), "the two ways stored different rows"
            print("same rows stored both ways")
        if old_count:
            print(f"speed-up: {(new_count / new_total) / (old_count / old_total):.1f}x")
        ceiling(folder / "new.db", folder / "ceiling.db")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            ingest(source, folder / "profiled.db", bundle)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
