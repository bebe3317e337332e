"""Account events and the per-account index that fact derivation reads.

An :class:`Event` is one record of an account's history (docs/reference/events.md): when it
happened (``at``), when the platform learned of it (``recorded_at``, default ``at``),
its type and its own fields. Instants are UTC inside the engine.

An :class:`AccountHistory` holds one account's events sorted by time and grouped by
type, so a query at (T, K) finds the events it may see by bisection instead of a
scan, whatever the length of the history.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from chronolex.errors import Diagnostic, Span
from chronolex.events.encoding import identity_key

RESERVED_KEYS = ("account", "at", "type", "recorded_at", "id")


@dataclass(frozen=True, slots=True)
class Event:
    """One event of an account's history."""

    account: str
    at: datetime
    type: str
    recorded_at: datetime
    fields: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    id: str | None = None
    origin: Span | None = field(default=None, compare=False)

    def __hash__(self) -> int:  # fields are a read-only mapping, which does not hash
        return hash((self.account, self.at, self.type, self.recorded_at, self.id))

    def sort_key(self) -> tuple[datetime, datetime, str, str]:
        return (self.at, self.recorded_at, self.type, self.id or "")


class AccountHistory:
    """One account's events, indexed for queries at (T, K).

    ``of_type(t)`` gives the events of type ``t`` sorted by ``at``; ``upto(events, T)``
    is the index past the last event with ``at <= T``. ``recorded_apart`` is True when
    some event was recorded at another instant than the one it happened at: only then
    must a query with ``known_at`` look at each event's ``recorded_at``. Otherwise an
    event is known at K exactly when it happened by K, and the knowledge cut is a time
    cut at ``min(T, K)``.
    """

    __slots__ = ("account", "events", "_by_type", "_at_by_type", "recorded_apart", "cache")

    def __init__(self, account: str, events: Iterable[Event]) -> None:
        self.account = account
        self.events: tuple[Event, ...] = _ordered(events)
        by_type: dict[str, list[Event]] = {}
        for event in self.events:
            by_type.setdefault(event.type, []).append(event)
        self._by_type = {k: tuple(v) for k, v in by_type.items()}
        self._at_by_type = {k: [e.at for e in v] for k, v in self._by_type.items()}
        self.recorded_apart = any(e.recorded_at != e.at for e in self.events)
        #: Values computed once per history by fact derivation (converted fields, prefix sums).
        self.cache: dict[object, object] = {}

    def __len__(self) -> int:
        return len(self.events)

    def of_type(self, event_type: str) -> tuple[Event, ...]:
        return self._by_type.get(event_type, ())

    def times(self, event_type: str) -> list[datetime]:
        """The ``at`` of every event of ``event_type``, in order (for bisection)."""
        return self._at_by_type.get(event_type, [])

    def bounds(self, event_type: str, lower: datetime | None, upper: datetime) -> tuple[int, int]:
        """Indexes ``[lo, hi)`` into ``of_type(event_type)`` of events with ``lower < at <= upper``."""
        times = self._at_by_type.get(event_type, [])
        hi = bisect.bisect_right(times, upper)
        lo = 0 if lower is None else bisect.bisect_right(times, lower)
        return lo, max(lo, hi)

    def truncated(self, at: datetime, known_at: datetime | None = None) -> AccountHistory:
        """The history as it stands at ``at`` (and as known at ``known_at``): later events dropped."""
        return AccountHistory(
            self.account,
            (e for e in self.events if e.at <= at and (known_at is None or e.recorded_at <= known_at)),
        )

    def event_times(self) -> Sequence[datetime]:
        """Every ``at`` in order (the instants at which a replayed history changes)."""
        return [e.at for e in self.events]


def _ordered(events: Iterable[Event]) -> tuple[Event, ...]:
    """Events in time order; events that tie on (at, recorded_at, type, id) are ordered by
    their store identity, so a history means the same whatever order it was read in, and
    two with the same identity are one event, kept once, as the store and every reader
    keep it (a history built in Python would otherwise count it twice)."""
    ordered = sorted(events, key=Event.sort_key)
    index = 0
    while index < len(ordered):
        end = index + 1
        while end < len(ordered) and ordered[end].sort_key() == ordered[index].sort_key():
            end += 1
        if end - index > 1:
            ties: dict[str, Event] = {}
            for event in ordered[index:end]:
                ties.setdefault(event_key(event), event)  # the first given, as the store keeps the first
            ordered[index:end] = [ties[key] for key in sorted(ties)]
            end = index + len(ties)
        index = end
    return tuple(ordered)


class EventSource(Protocol):
    """Where histories come from: a file, several files, or the embedded store."""

    def accounts(self) -> Iterator[str]:
        """Every account, sorted."""
        ...

    def history(self, account: str) -> AccountHistory:
        """The account's history (empty if the account is unknown)."""
        ...


@dataclass(frozen=True, slots=True)
class SkippedRecords:
    """Bad event records left out on request (``--skip-bad-events``): how many, and the
    problems of the first ones (with file and line), for the output to report loudly."""

    count: int
    problems: tuple[Diagnostic, ...]


class MemorySource:
    """An event source over events already in memory (files are read into one).

    ``skipped`` counts the bad records left out when reading was asked to skip them
    (None when none was)."""

    def __init__(self, events: Iterable[Event], skipped: SkippedRecords | None = None) -> None:
        self.skipped = skipped
        grouped: dict[str, list[Event]] = {}
        for event in events:
            grouped.setdefault(event.account, []).append(event)
        self._histories = {k: AccountHistory(k, v) for k, v in grouped.items()}

    def accounts(self) -> Iterator[str]:
        return iter(sorted(self._histories))

    def history(self, account: str) -> AccountHistory:
        return self._histories.get(account) or AccountHistory(account, ())

    def __len__(self) -> int:
        return sum(len(h) for h in self._histories.values())


def event_key(event: Event) -> str:
    """The identity of ``event`` (in the store, and among events that tie on time): two records with the same key are one event.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> event_key(Event("a", t, "kyc_verified", t, id="e-1"))
    'id:e-1'
    >>> event_key(Event("a", t, "kyc_verified", t))[:7]
    'sha256:'
    """
    return identity_key(event.account, event.at, event.type, event.recorded_at, event.fields, event.id)
