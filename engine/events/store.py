"""The embedded event store: account histories in one SQLite file (docs/reference/events.md).

Files are fine for a demo; a platform's histories grow for years and are appended
to every day, so they need a store that takes the same export twice without
counting an event twice, never holds half an import, finds one account's events
without reading everyone's, and cannot pass damage off as data. This module owns
that store, its on-disk layout and what "the same event" means.

Layout (``meta.schema_version`` = 2)::

    meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)   -- application, schema_version
    events(key TEXT PRIMARY KEY, account TEXT NOT NULL, at TEXT NOT NULL,
           recorded_at TEXT NOT NULL, type TEXT NOT NULL, id TEXT, fields TEXT NOT NULL,
           batch INTEGER)                             -- the ingest that added the row
    batches(number INTEGER PRIMARY KEY, events INTEGER NOT NULL, sha256 TEXT NOT NULL)
    INDEX events_account_at ON events(account, at)   -- a new store: made after its first rows

- Instants are UTC ISO 8601 text of a fixed width
  (``2026-03-08T01:00:00.000000+00:00``), so text order is time order and the
  index serves time ranges.
- ``fields`` is canonical JSON: sorted keys, no spaces, UTF-8. Field values are
  scalars (the event schema says so), so a JSON object can never be a value in its
  own right, and one is used as a tag: a Decimal is written ``{"$decimal": "12.50"}``
  with its exact text, and reads back as ``Decimal("12.50")``. Ints, strings,
  booleans and null are plain JSON.
- ``key`` is ``"id:" + id`` for an event with an ``id`` (the schema makes ``id``
  the idempotency key), else ``"sha256:" +`` the SHA-256 of the canonical JSON of
  ``[account, at, type, recorded_at, fields]``, with Decimals compared by value
  (``1.10`` and ``1.1`` are the same number; ``1`` and ``1.0`` are not, since int
  and decimal facts differ). The two prefixes keep the kinds of key apart. The
  same event ingested twice hits the same key and is stored once.
- Each ingest that adds rows is one batch: its rows carry its number, and
  ``batches`` records how many they are and the SHA-256 of their canonical text
  (:mod:`chronolex.events.checksums`), which :meth:`EventStore.verify` recomputes.
  Rows written by layout version 1 have no batch (``NULL``): a version-1 store is
  read as it is and upgraded in the transaction of its next ingest.

Each :meth:`EventStore.ingest` is one ``BEGIN IMMEDIATE`` … ``COMMIT``, and a new
store gets its tables in that same transaction: a failed or killed ingest leaves the
store as it was, and a first ingest that never committed leaves no store (at most a
file without tables, which is refused). Into a store without rows, the account index
is dropped and built again after the rows, inside that same transaction: one sort
instead of an index grown row by row, and no reader ever sees the table without it.
The store is in WAL mode, so a reader reads the last committed state while an ingest
runs instead of waiting for it; a second writer waits for the first. Every SQLite error is turned into a
:class:`ChronolexError` with code ``store-error`` that names its real cause.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from urllib.parse import quote
from urllib.request import pathname2url

from chronolex.errors import ChronolexError
from chronolex.events.checksums import Row, batch_digest
from chronolex.events.encoding import (
    Unstorable,
    decode_instant,
    decode_fields,
    encode_fields,
    encode_instant,
    stored_text,
)
from chronolex.events.event import AccountHistory, Event, event_key

__all__ = ["SCHEMA_VERSION", "EventStore", "IngestResult", "StoreReport", "decode_fields", "encode_fields",
           "encode_instant", "event_key"]

SCHEMA_VERSION = 2
#: The layout versions this release reads; an older one is upgraded by the next ingest.
_READABLE = ("1", "2")
_APPLICATION = "chronolex-events"
#: How long a command waits for another process's ingest by default, and at most, in seconds.
DEFAULT_WAIT = 30.0
_LONGEST_WAIT = 86_400.0

_BATCHES = "CREATE TABLE batches (number INTEGER PRIMARY KEY, events INTEGER NOT NULL, sha256 TEXT NOT NULL)"
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (key TEXT PRIMARY KEY, account TEXT NOT NULL, at TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL, type TEXT NOT NULL, id TEXT, fields TEXT NOT NULL, batch INTEGER)",
    _BATCHES,
)
#: The index that finds one account's events by time. Made in the schema's transaction, but
#: after the rows of that first ingest (one sort, instead of an index grown row by row).
_ACCOUNT_INDEX = "CREATE INDEX events_account_at ON events (account, at)"
#: Version 1 to 2, inside the transaction of an ingest: rows already stored keep batch NULL.
_UPGRADE = (
    "ALTER TABLE events ADD COLUMN batch INTEGER",
    _BATCHES,
    f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version'",
)
_COLUMNS = "key, account, at, recorded_at, type, id, fields"
#: SQLite's page cache, in KiB: a large ingest keeps its indexes in memory instead of spilling to disk.
_CACHE_KIB = 65536


def _row(event: Event) -> Row:
    try:
        at = encode_instant(event.at)
        recorded = at if event.recorded_at is event.at else encode_instant(event.recorded_at)
        key, fields = stored_text(event.account, at, event.type, recorded, event.fields, event.id)
        return (key, event.account, at, recorded, event.type, event.id, fields)
    except (Unstorable, ValueError, TypeError, UnicodeError) as exc:
        raise ChronolexError.single("store-error", f"cannot store this event: {exc}", event.origin) from None


def _storable(row: Row, event: Event) -> Row:
    """``row`` once its text is known to be UTF-8 (SQLite would refuse it mid-transaction otherwise).

    The instants and a content key are ASCII by construction, and ASCII text is UTF-8, so
    one test over the other texts joined settles almost every row.
    """
    if (row[0] + row[1] + row[4] + row[6]).isascii():
        return row
    try:
        for text in row:
            if text is not None and not text.isascii():
                text.encode("utf-8")
    except UnicodeError as exc:
        raise ChronolexError.single("store-error", f"cannot store this event: {exc}", event.origin) from None
    return row


def _busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because another connection holds a lock it needs."""
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(exc)


# -- the store ------------------------------------------------------------------------------


def _url_path(path: Path) -> str:
    """``path`` as the path of an SQLite ``file:`` URI, percent-encoded.

    On POSIX a file name is bytes: one that is not UTF-8 (kept by Python as lone
    surrogates) is encoded from its bytes, so it opens the file it names instead of
    failing to encode.
    """
    if os.name == "nt":  # pragma: no cover - Windows names are Unicode, and need the drive-letter form
        return pathname2url(str(path))
    return quote(os.fsencode(path))


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest did: events new to the store, and events it already held."""

    added: int
    duplicates: int

    @property
    def total(self) -> int:
        return self.added + self.duplicates


@dataclass(frozen=True, slots=True)
class StoreReport:
    """What :meth:`EventStore.verify` found: ``problems`` (damage; empty when the store is
    sound) and ``notes`` (what could not be checked, such as rows older than checksums)."""

    events: int
    batches: int
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def sound(self) -> bool:
        return not self.problems


class EventStore:
    """Account histories in an SQLite file; an :class:`~chronolex.events.event.EventSource`.

    ``create=True`` allows a new store at ``path`` (``chronolex ingest`` does): its tables
    are made by the first :meth:`ingest`, in the same transaction as its events, so a
    store exists only once an ingest has committed. Otherwise a missing file, or a file
    without a store's tables, is an error, so that a mistyped ``--db`` or an interrupted
    first ingest cannot silently answer from an empty history.

    ``wait`` is how long, in seconds, to wait for another process that is writing the
    store before giving up with an error that says so. ``check=True`` runs SQLite's
    ``quick_check`` on open and refuses a store whose pages are damaged.

    >>> import tempfile, os
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> path = os.path.join(tempfile.mkdtemp(), "events.db")
    >>> with EventStore(path, create=True) as store:
    ...     store.ingest([Event("a", t, "kyc_verified", t)] * 2)
    IngestResult(added=1, duplicates=1)
    """

    def __init__(self, path: str | Path, *, create: bool = False, wait: float = DEFAULT_WAIT,
                 check: bool = False) -> None:
        self.path = Path(path)
        self._name = str(path)
        self._wait = min(float(wait), _LONGEST_WAIT) if float(wait) > 0 else 0.0  # NaN waits not at all
        self._refuse_what_is_not_a_file(create)
        uri = "file:" + _url_path(self.path.absolute()) + ("?mode=rwc" if create else "?mode=rw")
        with self._translated("cannot open"):
            try:
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._wait)
            except sqlite3.OperationalError as exc:
                if not create and not self.path.exists():
                    raise ChronolexError.single(
                        "store-error", f"{self._name}: no event store here (no such file)", None,
                        "create one with 'chronolex ingest FILE… --db PATH'",
                    ) from None
                raise self._cannot_open(create, exc) from None
        try:
            #: The layout version of the file, or None while a new store awaits its first ingest.
            self._version: str | None = self._prepare(create, check)
        except BaseException:
            self._db.close()
            raise

    # -- opening

    def _refuse_what_is_not_a_file(self, create: bool) -> None:
        try:
            mode = os.stat(self.path).st_mode
        except OSError:
            return  # missing (or unreadable): connecting says which
        if not stat.S_ISREG(mode):
            raise ChronolexError.single(
                "store-error", f"{self._name} is not a regular file (an event store is one SQLite file)", None,
                "pass the file 'chronolex ingest --db' wrote, or a new path to create a store",
            )
        if create and not os.access(self.path, os.W_OK):
            raise ChronolexError.single(
                "store-error", f"{self._name}: cannot write to the store (permission denied)", None,
                "ingest into a file you may write",
            )

    def _cannot_open(self, create: bool, exc: sqlite3.Error) -> ChronolexError:
        folder = self.path.absolute().parent
        if create and not self.path.exists():
            reason = "no such folder" if not folder.is_dir() else (
                "the folder is not writable" if not os.access(folder, os.W_OK) else str(exc))
            return ChronolexError.single("store-error", f"{self._name}: cannot create the store ({reason})")
        return ChronolexError.single("store-error", f"{self._name}: cannot open the store ({exc})")

    def _prepare(self, create: bool, check: bool) -> str | None:
        with self._translated("cannot open"):
            if not self._existing_tables():
                if create:
                    return None
                raise self._not_a_store(
                    "a file without chronolex tables: empty, or a new store whose first ingest has not "
                    "finished or was interrupted")
            if check:  # before anything is read from the tables, so damage is not taken for another file
                self._quick_check()
            return self._check()

    def _tables(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM sqlite_master")]

    def _existing_tables(self) -> list[str]:
        """The schema objects of the file, or a ``store-error`` if it is not an SQLite database."""
        try:
            return self._tables()
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            raise self._not_a_store("not an SQLite database") from None

    def _not_a_store(self, reason: str) -> ChronolexError:
        return ChronolexError.single(
            "store-error", f"{self._name} is not a chronolex event store ({reason})", None,
            "pass the file 'chronolex ingest --db' wrote, or a new path to create a store",
        )

    def _check(self) -> str:
        """The layout version, once the file is known to be a store this release reads."""
        try:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            if _busy(exc):
                raise
            reason = "not an SQLite database" if "not a database" in str(exc) else (
                "an SQLite database without chronolex tables" if "no such table" in str(exc) else str(exc))
            raise self._not_a_store(reason) from None
        if rows.get("application") != _APPLICATION:
            raise ChronolexError.single(
                "store-error", f"{self._name} is not a chronolex event store (its meta table is someone else's)")
        version = rows.get("schema_version")
        if version not in _READABLE:
            raise ChronolexError.single(
                "store-error",
                f"{self._name} is an event store of layout version {version}; this chronolex reads versions "
                f"{' and '.join(_READABLE)}",
                None, "use the chronolex release that wrote it, or ingest the events into a new store",
            )
        return str(version)

    def _quick_check(self) -> None:
        with self._translated("cannot check"):
            try:
                found = [r[0] for r in self._db.execute("PRAGMA quick_check(10)")]
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    raise
                found = [str(exc)]
        if found != ["ok"]:
            raise ChronolexError.single(
                "store-error", f"{self._name}: the store is damaged ({found[0]})", None,
                "run 'chronolex store verify --db PATH' for every problem; re-ingest the source files into a "
                "new store",
            )

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """SQLite's errors (and encoding errors at its boundary) as one ``store-error`` naming the cause."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._translate(doing, exc) from None
        except UnicodeError as exc:
            raise ChronolexError.single("store-error", f"{self._name}: {doing}: {exc}") from None

    def _translate(self, doing: str, exc: sqlite3.Error) -> ChronolexError:
        if _busy(exc):
            return self._busy_error()
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return ChronolexError.single("store-error", f"{self._name}: {doing}: the store is not writable ({text})")
        if "file is not a database" in text:
            return self._not_a_store("not an SQLite database")
        if "malformed" in text:
            return ChronolexError.single(
                "store-error", f"{self._name}: {doing}: the store is damaged ({text})", None,
                "run 'chronolex store verify --db PATH'; re-ingest the source files into a new store")
        return ChronolexError.single("store-error", f"{self._name}: {doing}: {text}")

    def _busy_error(self) -> ChronolexError:
        return ChronolexError.single(
            "store-error",
            f"{self._name}: the store is being written by another process; try again "
            f"(waited {self._wait:g} s for it)",
            None, "wait for the other 'chronolex ingest' to finish, or give it longer with --wait SECONDS",
        )

    # -- writing

    def ingest(self, events: Iterable[Event], *, on_wait: Callable[[], None] | None = None) -> IngestResult:
        """Add ``events`` in one transaction; an event already stored (same key) is counted, not added.

        Any failure (a bad event, a full disk, an interrupt) rolls the whole call
        back, so the store holds either all of ``events`` or none of them; a new store
        gets its tables in the same transaction. The rows added are one batch, whose
        checksum is recorded with them. When another process is writing the store,
        ``on_wait`` is called once (to say so) and the call waits up to ``wait`` seconds.
        """
        rows: list[Row] = []
        unique: dict[str, Row] = {}
        for event in events:
            row = _row(event)
            rows.append(row)
            if row[0] not in unique:
                unique[row[0]] = _storable(row, event)
        with self._translated("cannot ingest"):
            self._begin(on_wait)
            try:
                self._make_ready()
                (empty,) = self._db.execute("SELECT NOT EXISTS (SELECT 1 FROM events)").fetchone()
                if empty:  # built after the rows, in this same transaction: readers see it with them
                    self._db.execute("DROP INDEX IF EXISTS events_account_at")
                (before,) = self._db.execute("SELECT COALESCE(MAX(rowid), 0) FROM events").fetchone()
                (number,) = self._db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM batches").fetchone()
                ordered = sorted(unique.values(), key=itemgetter(0))  # key order: the key index grows at its end
                cursor = self._db.executemany(
                    f"INSERT OR IGNORE INTO events ({_COLUMNS}, batch) VALUES (?, ?, ?, ?, ?, ?, ?, {int(number)})",
                    ordered,
                )
                added = max(cursor.rowcount, 0)
                if added:
                    if added == len(unique):  # all new: the batch is what was given
                        batch: Iterable[Row] = ordered
                    else:
                        batch = self._db.execute(
                            f"SELECT {_COLUMNS} FROM events WHERE rowid > ? ORDER BY key", (before,))
                    self._db.execute("INSERT INTO batches (number, events, sha256) VALUES (?, ?, ?)",
                                     (number, added, batch_digest(batch)))
                if empty:
                    self._db.execute(_ACCOUNT_INDEX)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        self._version = str(SCHEMA_VERSION)
        return IngestResult(added=added, duplicates=len(rows) - added)

    def _begin(self, on_wait: Callable[[], None] | None) -> None:
        """WAL mode and ``BEGIN IMMEDIATE``: at once if no one is writing, else after saying so and waiting."""
        try:
            self._db.execute("PRAGMA busy_timeout = 0")
            self._start()
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {int(self._wait * 1000)}")
        if on_wait is not None:
            on_wait()
        try:
            self._start()
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise self._busy_error() from None
            raise

    def _start(self) -> None:
        self._db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        (mode,) = self._db.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("BEGIN IMMEDIATE")

    def _make_ready(self) -> None:
        """Inside the write transaction: the tables of a new store, or the upgrade of a version-1 one."""
        if not self._tables():
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                 [("application", _APPLICATION), ("schema_version", str(SCHEMA_VERSION))])
            return
        if self._check() == "1":  # also when another process made the store after this one was opened
            for statement in _UPGRADE:
                self._db.execute(statement)

    # -- checking

    def verify(self) -> StoreReport:
        """The full check: SQLite's ``integrity_check``, then every batch's checksum recomputed.

        Finds damage SQLite cannot see (a byte changed inside a row's text) as well as
        broken pages and indexes. Damage is reported in ``problems``, never raised: a
        store too broken to be read at all has that as its problem.
        """
        problems: list[str] = []
        notes: list[str] = []
        with self._translated("cannot verify"):
            try:
                found = [r[0] for r in self._db.execute("PRAGMA integrity_check(100)")]
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    raise
                found = [str(exc)]
            problems.extend(f"SQLite integrity check: {line}" for line in found if line != "ok")
            if self._version is None:
                return StoreReport(0, 0, tuple(problems), ("the store holds no ingest yet",))
            try:
                events, batches = self._checksums(problems, notes)
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    raise
                problems.append(f"the rows cannot be read: {exc}")
                events = batches = 0
        return StoreReport(events, batches, tuple(problems), tuple(notes))

    def _checksums(self, problems: list[str], notes: list[str]) -> tuple[int, int]:
        """Recompute every batch's checksum, adding what differs to ``problems``; (events, batches)."""
        if self._version == "1":
            (unchecked,) = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
            notes.append(f"no checksums recorded before version 2 of the store layout: {unchecked} events were "
                         "ingested by an older chronolex and are checked by SQLite's integrity check only")
            return int(unchecked), 0
        recorded = {int(n): (int(c), str(s)) for n, c, s in self._db.execute(
            "SELECT number, events, sha256 FROM batches")}
        seen: set[int] = set()
        events = 0
        unchecked = 0
        current: int | None = None
        rows: list[Row] = []

        def close() -> None:
            if current is None:
                return
            seen.add(current)
            expected = recorded.get(current)
            if expected is None:
                problems.append(f"{len(rows)} events carry batch number {current}, which no ingest recorded")
            elif expected[0] != len(rows):
                problems.append(f"batch {current}: {len(rows)} events found, {expected[0]} recorded")
            elif batch_digest(rows) != expected[1]:
                problems.append(f"batch {current}: the checksum of its {len(rows)} events does not match "
                                "(a stored event was changed)")

        for *values, batch in self._db.execute(f"SELECT {_COLUMNS}, batch FROM events ORDER BY batch, key"):
            events += 1
            if batch is None:
                unchecked += 1
                continue
            if batch != current:
                close()
                current, rows = batch, []
            rows.append(tuple(values))
        close()
        for number in sorted(set(recorded) - seen):
            problems.append(f"batch {number}: {recorded[number][0]} events recorded, none found")
        if unchecked:
            notes.append(f"no checksums recorded before version 2 of the store layout: {unchecked} events were "
                         "ingested by an older chronolex and are checked by SQLite's integrity check only")
        return events, len(recorded)

    # -- reading (the EventSource protocol)

    def accounts(self) -> Iterator[str]:
        """Every account with at least one event, sorted."""
        if self._version is None:
            return iter(())
        with self._translated("cannot read"):
            names = [r[0] for r in self._db.execute("SELECT DISTINCT account FROM events ORDER BY account")]
        return iter(names)

    def history(self, account: str) -> AccountHistory:
        """The account's events, found through the (account, at) index; empty for an unknown account.

        Events that tie on (at, recorded_at, type, id) come in the order of their keys,
        as :func:`chronolex.events.files.open_source` puts them, whatever the order of ingestion.
        """
        if self._version is None:
            return AccountHistory(account, ())
        with self._translated("cannot read"):
            rows = self._db.execute(
                "SELECT at, recorded_at, type, id, fields FROM events WHERE account = ? ORDER BY at, key",
                (account,),
            ).fetchall()
            try:
                events = [
                    Event(account, decode_instant(at), type_, decode_instant(recorded), decode_fields(fields), id_)
                    for at, recorded, type_, id_, fields in rows
                ]
            except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
                raise ChronolexError.single(
                    "store-error", f"{self._name}: a stored event of {account!r} is damaged ({exc})") from None
        return AccountHistory(account, events)

    def count(self) -> int:
        """How many events the store holds."""
        if self._version is None:
            return 0
        with self._translated("cannot read"):
            (number,) = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(number)

    # -- lifetime

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EventStore({self._name!r})"
