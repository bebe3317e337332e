"""How far a batch replay has got, for a caller that shows it (the command line's bar).

The engines are a library: they draw nothing. A caller passes a :data:`Progress`
callback, which an engine calls with the fraction of the work done, a number from 0 to 1
that never goes down and ends at exactly 1 when the rows are all there. DuckDB and Spark
run their query out of Python's sight, so a :class:`Poller` asks them from a thread while
the query runs (DuckDB's ``query_progress``, Spark's status tracker); the per-account
engine reports after each account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

#: Called with the fraction done, in [0, 1], never decreasing, 1 at the end.
Progress = Callable[[float], None]

#: How often a poller asks the engine, in seconds.
POLL_SECONDS = 0.1

#: The highest fraction reported while the engine still works: 1 means the rows are all there.
_BEFORE_END = 0.99


class Monotonic:
    """A :data:`Progress` that passes on only fractions above the last one (an engine's own
    estimate can go back when a new stage of the query starts), in [0, 1]."""

    def __init__(self, report: Progress) -> None:
        self._report = report
        self._last = -1.0
        self._lock = threading.Lock()

    def __call__(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        with self._lock:
            if fraction <= self._last:
                return
            self._last = fraction
            self._report(fraction)

    def done(self) -> None:
        self(1.0)


class Poller:
    """While the ``with`` block runs, a thread calls ``estimate`` every :data:`POLL_SECONDS`
    and reports what it returns (a fraction, or None when the engine has nothing to say
    yet), held below 1; leaving the block without an error reports 1.

    The thread waits on an event, never reads a clock, and stops when the block ends."""

    def __init__(self, estimate: Callable[[], float | None], report: Progress) -> None:
        self._estimate = estimate
        self.report = Monotonic(report)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chronolex-progress", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                fraction = self._estimate()
            except Exception:  # an estimate is a courtesy: it never fails the replay
                continue
            if fraction is not None:
                self.report(min(fraction, _BEFORE_END))

    def __enter__(self) -> Poller:
        self.report(0.0)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if kind is None:
            self.report.done()


__all__ = ["POLL_SECONDS", "Monotonic", "Poller", "Progress"]
