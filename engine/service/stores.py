"""The event store, one connection per worker thread, for the API and the console alike.

Requests are decided in a thread pool, and an SQLite connection belongs to the thread
that opened it; so each thread opens the service's store once and keeps it. SQLite's
WAL mode lets them read while one of them appends.

A new store has no tables until its first ingest, and a connection opened before then
keeps answering as an empty store; so the first ingest into an empty store starts a new
generation, and every thread opens its connection again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from chronolex.events.store import EventStore


class ThreadStores:
    """Per-thread :class:`EventStore` connections to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[EventStore] = []
        self._generation = 0

    def get(self) -> EventStore:
        store: EventStore | None = getattr(self._local, "store", None)
        if store is None or self._local.generation != self._generation:
            store = EventStore(self.path, create=True)
            self._local.store, self._local.generation = store, self._generation
            with self._lock:
                self._opened.append(store)
        return store

    @property
    def open_count(self) -> int:
        """How many connections are open: one per thread that asked (and per generation),
        however many requests those threads answered."""
        with self._lock:
            return len(self._opened)

    def renew(self) -> None:
        """Make every thread open its connection again (after the first ingest of a new store)."""
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        """Close every connection (at shutdown); threads still running must not use them after."""
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing at shutdown: another thread's connection
                pass
