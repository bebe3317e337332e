"""Whose turn it is to write a decision log, among processes: a lock file taken with ``flock``.

SQLite's own write lock is enough for a correct log, but not for a fast one shared by
several processes (``chronolex serve --workers N``). A writer that finds SQLite's lock
taken sleeps in its busy handler, in growing steps of up to 100 ms, and the worker that
holds it takes it again at once for its next commit: measured with two processes of
eight appending threads each (``benchmarks/log_contention.py``), an append waited up to
1.1-3.9 s, where a kernel lock that wakes its waiter when it is released keeps the
longest wait under 20 ms at about the same number of appends a second (decision 86).

The lock file is the log's path with ``-lock`` added, beside SQLite's own ``-wal`` and
``-shm``: ``flock`` is taken on a file of its own, never on the log, since a process that
closes any descriptor of a file drops every POSIX lock SQLite holds on it. A process that
dies gives its turn back with its descriptors. Where ``flock`` does not exist (Windows),
or the lock file cannot be made, writers wait on SQLite's lock alone: slower under
contention, never wrong.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["WriteTurn"]


class WriteTurn:
    """The turn to write the log at ``log_path``, taken by one process at a time.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "decisions.db")
    >>> first, second = WriteTurn(path), WriteTurn(path)
    >>> held = first.take(wait=1.0)
    >>> second.take(wait=0.01)
    Traceback (most recent call last):
    TimeoutError: another process is writing the log
    >>> first.give(held); second.give(second.take(wait=1.0))
    """

    def __init__(self, log_path: str | Path) -> None:
        self.path = Path(f"{os.fspath(log_path)}-lock")

    def take(self, wait: float) -> int | None:
        """Wait at most ``wait`` seconds for the turn and return what :meth:`give` hands
        back (None where there is no lock to take); ``TimeoutError`` when it did not come.

        The waiting is done by a thread blocked in ``flock`` (the kernel wakes it when the
        turn is free); the caller waits for that thread with a timeout, and a thread whose
        caller gave up gives the turn back as soon as it gets it.
        """
        descriptor = self._open()
        if descriptor is None:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            pass
        except OSError:  # a file system without flock: SQLite's lock alone
            os.close(descriptor)
            return None
        if wait > 0:
            taken = threading.Event()
            state = threading.Lock()
            abandoned = False

            def wait_for_turn() -> None:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                except OSError:
                    pass
                with state:
                    if abandoned:
                        os.close(descriptor)
                    else:
                        taken.set()

            threading.Thread(target=wait_for_turn, name="chronolex-log-turn", daemon=True).start()
            if taken.wait(wait):
                return descriptor
            with state:
                if taken.is_set():
                    return descriptor
                abandoned = True  # the thread closes the descriptor once it has the turn
            raise TimeoutError("another process is writing the log")
        os.close(descriptor)
        raise TimeoutError("another process is writing the log")

    def give(self, held: int | None) -> None:
        """Give back a turn :meth:`take` returned (closing its descriptor unlocks it)."""
        if held is not None:
            os.close(held)

    def _open(self) -> int | None:
        if fcntl is None:  # pragma: no cover - not on POSIX
            return None
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return None
