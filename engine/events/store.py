"""The embedded event store: account histories in one SQLite file (docs/reference/events.md).

Files are fine for a demo; a platform's histories grow for years and are appended
to every day, so they need a store that takes the same export twice without
counting an event twice, never holds half an import, and finds one account's
events without reading everyone's. This module owns that store, its on-disk
layout and what "the same event" means.

Layout (``meta.schema_version`` = 1)::

    meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)   -- application, schema_version
    events(key TEXT PRIMARY KEY, account TEXT NOT NULL, at TEXT NOT NULL,
           recorded_at TEXT NOT NULL, type TEXT NOT NULL, id TEXT, fields TEXT NOT NULL)
    INDEX events_account_at ON events(account, at)

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

Each :meth:`EventStore.ingest` is one ``BEGIN IMMEDIATE`` … ``COMMIT``: SQLite's
journal makes a failed or killed ingest leave the store as it was. Every SQLite
error is turned into a :class:`ChronolexError` with code ``store-error``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import quote
from urllib.request import pathname2url

from chronolex.errors import ChronolexError
from chronolex.events.encoding import (
    Unstorable,
    decode_instant,
    decode_fields,
    encode_fields,
    encode_instant,
)
from chronolex.events.event import AccountHistory, Event, event_key

__all__ = ["SCHEMA_VERSION", "EventStore", "IngestResult", "decode_fields", "encode_fields", "encode_instant",
           "event_key"]

SCHEMA_VERSION = 1
_APPLICATION = "chronolex-events"

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE events (key TEXT PRIMARY KEY, account TEXT NOT NULL, at TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL, type TEXT NOT NULL, id TEXT, fields TEXT NOT NULL)",
    "CREATE INDEX events_account_at ON events (account, at)",
)


def _row(event: Event) -> tuple[str, str, str, str, str, str | None, str]:
    try:
        return (event_key(event), event.account, encode_instant(event.at), encode_instant(event.recorded_at),
                event.type, event.id, encode_fields(event.fields))
    except (Unstorable, ValueError, TypeError, UnicodeError) as exc:
        raise ChronolexError.single("store-error", f"cannot store this event: {exc}", event.origin) from None


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


class EventStore:
    """Account histories in an SQLite file; an :class:`~chronolex.events.event.EventSource`.

    ``create=True`` makes a new store if ``path`` does not exist or is an empty file
    (``chronolex ingest`` does); otherwise a missing file is an error, so that a
    mistyped ``--db`` cannot silently answer from an empty history.

    >>> import tempfile, os
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> path = os.path.join(tempfile.mkdtemp(), "events.db")
    >>> with EventStore(path, create=True) as store:
    ...     store.ingest([Event("a", t, "kyc_verified", t)] * 2)
    IngestResult(added=1, duplicates=1)
    """

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        self._name = str(path)
        uri = "file:" + _url_path(self.path.absolute()) + ("?mode=rwc" if create else "?mode=rw")
        with self._translated("cannot open"):
            try:
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0)
            except sqlite3.OperationalError:
                if not create and not self.path.exists():
                    raise ChronolexError.single(
                        "store-error", f"{self._name}: no event store here (no such file)", None,
                        "create one with 'chronolex ingest FILE… --db PATH'",
                    ) from None
                raise
        try:
            self._prepare(create)
        except BaseException:
            self._db.close()
            raise

    # -- opening

    def _prepare(self, create: bool) -> None:
        with self._translated("cannot open"):
            if create and not self._existing_tables():
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    if not self._tables():  # another process may have won the race
                        for statement in _SCHEMA:
                            self._db.execute(statement)
                        self._db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                             [("application", _APPLICATION), ("schema_version", str(SCHEMA_VERSION))])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            self._check()

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

    def _check(self) -> None:
        try:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            reason = "not an SQLite database" if "not a database" in str(exc) else (
                "an SQLite database without chronolex tables" if "no such table" in str(exc) else str(exc))
            raise self._not_a_store(reason) from None
        if rows.get("application") != _APPLICATION:
            raise ChronolexError.single(
                "store-error", f"{self._name} is not a chronolex event store (its meta table is someone else's)")
        version = rows.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise ChronolexError.single(
                "store-error",
                f"{self._name} is an event store of layout version {version}; this chronolex reads version "
                f"{SCHEMA_VERSION}",
                None, "use the chronolex release that wrote it, or ingest the events into a new store",
            )

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """SQLite's errors (and encoding errors at its boundary) as one ``store-error``."""
        try:
            yield
        except (sqlite3.Error, UnicodeError) as exc:
            raise ChronolexError.single("store-error", f"{self._name}: {doing}: {exc}") from None

    # -- writing

    def ingest(self, events: Iterable[Event]) -> IngestResult:
        """Add ``events`` in one transaction; an event already stored (same key) is counted, not added.

        Any failure (a bad event, a full disk, an interrupt) rolls the whole call
        back, so the store holds either all of ``events`` or none of them.
        """
        counted = 0

        def rows() -> Iterator[tuple[str, str, str, str, str, str | None, str]]:
            nonlocal counted
            for event in events:
                counted += 1
                yield _row(event)

        with self._translated("cannot ingest"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.executemany(
                    "INSERT OR IGNORE INTO events (key, account, at, recorded_at, type, id, fields)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows(),
                )
                added = max(cursor.rowcount, 0)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return IngestResult(added=added, duplicates=counted - added)

    # -- reading (the EventSource protocol)

    def accounts(self) -> Iterator[str]:
        """Every account with at least one event, sorted."""
        with self._translated("cannot read"):
            names = [r[0] for r in self._db.execute("SELECT DISTINCT account FROM events ORDER BY account")]
        return iter(names)

    def history(self, account: str) -> AccountHistory:
        """The account's events, found through the (account, at) index; empty for an unknown account.

        Events that tie on (at, recorded_at, type, id) come in the order of their keys,
        as :func:`chronolex.events.files.open_source` puts them, whatever the order of ingestion.
        """
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
