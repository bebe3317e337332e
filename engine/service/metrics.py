"""What ``GET /metrics`` reports, in the Prometheus text format.

Each application has its own registry (never the library's global one), so two apps
in one process (tests, a benchmark) never count into each other.

A service run as several worker processes (``chronolex serve --workers N``) shares its
figures through prometheus_client's multiprocess mode: each worker writes its values to
files in one directory, and whichever worker is scraped reports the sum over all of
them, so a scrape never shows one worker's share as the service's total.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Latency buckets in seconds: a decision takes milliseconds; a diff may take seconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceMetrics:
    """The service's counters, histogram and gauges, in a registry of their own."""

    def __init__(self, shared: Path | None = None) -> None:
        """``shared``: the directory of the multiprocess mode, when the service runs as
        several processes. prometheus_client picks its mode when it is first imported, so
        ``PROMETHEUS_MULTIPROC_DIR`` must name that directory in each worker's environment
        before then (``chronolex serve --workers`` sets it before it starts them)."""
        self.shared = shared
        self._size: Callable[[], float] | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter("chronolex_decisions", "Decisions made by POST /v1/decide.",
                                 ("bundle", "action", "outcome"), registry=self.registry)
        self.latency = Histogram("chronolex_request_duration_seconds", "Time to answer a request, by route.",
                                 ("route", "method"), buckets=_BUCKETS, registry=self.registry)
        self.responses = Counter("chronolex_responses", "Responses by route and status.",
                                 ("route", "status"), registry=self.registry)
        self.reloads = Counter("chronolex_bundle_reloads", "Bundle reloads, by bundle and result "
                               "(loaded, refused).", ("bundle", "result"), registry=self.registry)
        self.events = Counter("chronolex_events_appended", "Events appended by POST /v1/events "
                              "(duplicates not counted).", registry=self.registry)
        self.log_records = Counter("chronolex_log_records_appended", "Records appended to the decision log.",
                                   registry=self.registry)
        # The workers share one log: the largest size any of them saw is its size.
        self.log_size = Gauge("chronolex_log_size_bytes", "Size of the decision log's files.",
                              registry=self.registry, multiprocess_mode="max")

    def watch_log_size(self, size: Callable[[], float]) -> None:
        """Read the log's size when the metrics are scraped."""
        self._size = size

    def render(self) -> bytes:
        if self._size is not None:
            self.log_size.set(self._size())
        if self.shared is None:
            return generate_latest(self.registry)
        every_worker = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_worker, path=str(self.shared))  # type: ignore[no-untyped-call]
        return generate_latest(every_worker)
