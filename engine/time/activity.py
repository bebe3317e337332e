"""When a rule is active by time alone: its ``active`` interval, one-off ``window`` and
recurring ``schedule`` (docs/policy-format.md, docs/reference/time.md).

Schedule occurrences start at local wall-clock times of the bundle timezone (a start in
a DST gap reads with the offset before the gap, a start in a fold takes its first
occurrence) and last ``duration`` of elapsed time.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import chain
from zoneinfo import ZoneInfo

from chronolex.instants import AFTER_RANGE, MAX_YEAR, localize
from chronolex.model import Rule, Schedule
from chronolex.time.expansion import Expansion
from chronolex.time.recurrence import parse_rrule


@lru_cache(maxsize=1024)
def _expansion(text: str, start: datetime, zone: ZoneInfo) -> Expansion:
    return Expansion(parse_rrule(text, start, zone))


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


_DST_MARGIN = timedelta(hours=3)  # more than any change of UTC offset
#: Occurrences are looked for up to here (wall clock); later ones are past the supported years.
_LAST_LOCAL = datetime(MAX_YEAR, 12, 31, 23, 59, 59)


def _margin(zone: ZoneInfo, low: datetime, high: datetime) -> timedelta:
    """How far local time may run out of step with real time between the wall-clock times
    ``low`` and ``high``: nothing when the zone keeps one offset over a stretch of at most two
    days (too short for two changes that cancel out), else the DST margin."""
    if high - low > timedelta(days=2):
        return _DST_MARGIN
    offsets = {t.replace(tzinfo=zone, fold=f).utcoffset() for t in (low, high) for f in (0, 1)}
    return timedelta(0) if len(offsets) == 1 else _DST_MARGIN


def _occurrence(schedule: Schedule, local_start: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = localize(local_start, zone)
    try:
        end = schedule.duration.shift(start, zone, 1)
    except ValueError:  # it ends past the supported years
        return start, AFTER_RANGE
    return start, min(end, AFTER_RANGE)


#: The last answer of :func:`occurrence_at` per schedule and zone, with the stretch of
#: instants it holds for: walks ask at instants in time order, mostly between two
#: boundaries of a schedule, where the answer cannot differ.
_last_answer: dict[tuple[Schedule, ZoneInfo], tuple[datetime, datetime, tuple[datetime, datetime] | None]] = {}


def occurrence_at(schedule: Schedule, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The occurrence ``[start, end)`` of ``schedule`` that contains ``at``, if any; of
    several (overlapping occurrences), the one started last (see :func:`_occurrence_at`)."""
    key = (schedule, zone)
    known = _last_answer.get(key)
    if known is not None and known[0] <= at < known[1]:
        return known[2]
    found = _occurrence_at(schedule, at, zone)
    # the answer holds from ``at`` until the next start, or the end of the one found
    until = _next_start(schedule, at, zone)
    if found is not None:
        until = min(until, found[1])
    if len(_last_answer) > 256:
        _last_answer.clear()
    _last_answer[key] = (at, until, found)
    return found


#: Stretches ``[from, until)`` over which a schedule is known to be on or off, recorded by
#: :func:`schedule_boundaries` as it finds them: a walk asks whether a rule is active at
#: each boundary it has just been given, and the answer is already known there.
_stretches: dict[tuple[Schedule, ZoneInfo], list[tuple[datetime, datetime, bool]]] = {}


def _record(key: tuple[Schedule, ZoneInfo], begin: datetime, end: datetime, on: bool) -> None:
    if begin < end:
        known = _stretches.setdefault(key, [])
        known.append((begin, end, on))
        del known[:-4]
        if len(_stretches) > 256:
            _stretches.clear()


def is_on(schedule: Schedule, at: datetime, zone: ZoneInfo) -> bool:
    """Whether an occurrence of ``schedule`` contains ``at``."""
    for begin, end, on in reversed(_stretches.get((schedule, zone), ())):
        if begin <= at < end:
            return on
    return occurrence_at(schedule, at, zone) is not None


def _next_start(schedule: Schedule, at: datetime, zone: ZoneInfo) -> datetime:
    """The first occurrence start after ``at`` (:data:`AFTER_RANGE` if none)."""
    local_at = _local(at, zone)
    if not _margin(zone, local_at - _DST_MARGIN, local_at + timedelta(days=2)):
        # one offset from a little before ``at`` for two days: local order is time order
        expansion = _expansion(schedule.rrule, schedule.start, zone)
        local_start = next(expansion.forward(local_at + timedelta(microseconds=1), _LAST_LOCAL), None)
        if local_start is None:
            return AFTER_RANGE
        start = localize(local_start, zone)
        if start - at <= timedelta(days=2):
            return start
    following = next(occurrences_after(schedule, at, zone), None)
    return following[0] if following is not None else AFTER_RANGE


def _occurrence_at(schedule: Schedule, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The occurrence ``[start, end)`` of ``schedule`` that contains ``at``, if any; of
    several (overlapping occurrences), the one started last.

    Occurrences are found by local start, and local time is not monotone across a DST
    change, so the search looks back from a little after ``at`` on the wall clock, over a
    stretch that grows until it holds the latest occurrence started at or before ``at``
    and everything within the DST margin before it, or reaches back the longest duration.
    An occurrence started more than the margin before another ends before it, so no
    earlier one can contain ``at`` when the later ones do not."""
    expansion = _expansion(schedule.rrule, schedule.start, zone)
    local_at = _local(at, zone)
    margin = _margin(zone, local_at - schedule.duration.longest - _DST_MARGIN, local_at + _DST_MARGIN)
    high = min(local_at + margin, _LAST_LOCAL) + timedelta(microseconds=1)
    earliest = local_at - schedule.duration.longest - margin
    width = timedelta(hours=6)
    while True:
        low = max(earliest, high - width)
        found: tuple[datetime, datetime] | None = None
        latest: datetime | None = None
        for local_start in reversed(expansion.starts(low, high)):
            if latest is not None and local_start < latest - margin:
                break
            start, end = _occurrence(schedule, local_start, zone)
            if start > at:
                continue
            latest = latest or local_start
            if at < end and (found is None or start > found[0]):
                found = (start, end)
        if low <= earliest or (latest is not None and low <= latest - margin):
            return found
        width *= 8


def occurrences(schedule: Schedule, after: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The occurrence running at ``after`` (if any), then every later one, in order (not merged)."""
    current = occurrence_at(schedule, after, zone)
    if current is not None:
        yield current
    for start, end in occurrences_after(schedule, after, zone):
        if current is None or start > current[0]:
            yield start, end


def occurrences_after(schedule: Schedule, after: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """Every occurrence that starts strictly after ``after``, in order."""
    expansion = _expansion(schedule.rrule, schedule.start, zone)
    pending: list[tuple[datetime, datetime]] = []
    # Start a little before ``after`` on the wall clock: a local start in a DST gap (02:30)
    # lies after 03:15 summer time in real time, though earlier on the clock.
    for local_start in chain(expansion.forward(_local(after, zone) - _DST_MARGIN, _LAST_LOCAL), [None]):
        safe = AFTER_RANGE if local_start is None else localize(local_start, zone) - _DST_MARGIN
        if local_start is not None:
            heapq.heappush(pending, _occurrence(schedule, local_start, zone))
        while pending and pending[0][0] < safe:
            start, end = heapq.heappop(pending)
            if start > after:
                yield start, end


def schedule_boundaries(schedule: Schedule, after: datetime, zone: ZoneInfo,
                        until: datetime | None = None) -> Iterator[tuple[datetime, str]]:
    """The starts and ends of the time the schedule is on, strictly after ``after`` and
    before ``until``, in time order, labelled ``"start"`` or ``"end"``.

    Occurrences that overlap or touch are merged: a start inside a running occurrence
    changes nothing, so it is no boundary, and the cost follows the boundaries rather than
    occurrences times overlaps. The search stops at ``until`` and at the end of the
    supported years; an end past those is not given.

    The first boundaries found for a question are kept and given again to the same
    question: the decisions of one instant (a batch decided "now", a replay of every
    account at one instant) all ask it, each from its own walk."""
    key = (schedule, zone, after, until)
    shared = _shared.get(key)
    if shared is None:
        shared = _Shared(_boundaries(schedule, after, zone, until))
        if len(_shared) >= _SHARED_QUESTIONS:
            _shared.clear()
        _shared[key] = shared
    return shared.read(lambda last: schedule_boundaries(schedule, last, zone, until))


#: How many boundaries of one question are kept, and how many questions.
_SHARED_BOUNDARIES = 16
_SHARED_QUESTIONS = 256
_shared: dict[tuple[Schedule, ZoneInfo, datetime, datetime | None], _Shared] = {}


class _Shared:
    """The first :data:`_SHARED_BOUNDARIES` boundaries of one expansion, found once (under a
    lock: walks run in several threads) and read by every walk that asks the same."""

    def __init__(self, source: Iterator[tuple[datetime, str]]) -> None:
        self._source: Iterator[tuple[datetime, str]] | None = source
        self._found: list[tuple[datetime, str]] = []
        self._lock = threading.Lock()

    def _item(self, index: int) -> tuple[datetime, str] | None:
        with self._lock:
            while index >= len(self._found) and self._source is not None:
                following = next(self._source, None)
                if following is None or len(self._found) >= _SHARED_BOUNDARIES:
                    self._source = None  # exhausted, or the rest is not kept
                    break
                self._found.append(following)
            return self._found[index] if index < len(self._found) else None

    def read(self, beyond: Callable[[datetime], Iterator[tuple[datetime, str]]]) -> Iterator[tuple[datetime, str]]:
        """The kept boundaries, then (if more were found than kept) the rest, searched
        again from after the last kept one: the boundaries after an instant do not depend
        on where the search began."""
        index = 0
        while True:
            item = self._item(index)
            if item is None:
                break
            yield item
            index += 1
        if index >= _SHARED_BOUNDARIES:
            yield from beyond(self._found[-1][0])


def _boundaries(schedule: Schedule, after: datetime, zone: ZoneInfo,
                until: datetime | None) -> Iterator[tuple[datetime, str]]:
    """:func:`schedule_boundaries`, searched."""
    expansion = _expansion(schedule.rrule, schedule.start, zone)
    key = (schedule, zone)
    stop = _LAST_LOCAL if until is None else min(_LAST_LOCAL, _local(until, zone) + _DST_MARGIN)
    low = _local(after, zone) - schedule.duration.longest - _DST_MARGIN
    # local order is time order except within a DST margin: hold occurrences back until no
    # later local start can come before them
    pending: list[tuple[datetime, datetime]] = []
    run: list[datetime] | None = None  # [start, end) of the merged occurrences so far
    limit = AFTER_RANGE if until is None else until
    for local_start in chain(expansion.forward(low, stop), [None]):
        if local_start is not None:
            heapq.heappush(pending, _occurrence(schedule, local_start, zone))
            safe = localize(local_start, zone) - _DST_MARGIN
        else:
            safe = AFTER_RANGE
        while pending and pending[0][0] < safe:
            start, end = heapq.heappop(pending)
            if start >= limit:
                pending.clear()
                break
            if run is not None and start <= run[1]:
                run[1] = max(run[1], end)
                continue
            if run is not None and run[1] > after:
                _record(key, run[1], start, False)
                yield run[1], "end"
            if start > after:
                _record(key, start, end, True)
                yield start, "start"
            run = [start, end]
        if local_start is not None and not pending and safe >= limit:
            break
    if run is not None and after < run[1] < limit:
        _record(key, run[1], limit, False)
        yield run[1], "end"


def active_by_time(rule: Rule, at: datetime, zone: ZoneInfo) -> bool:
    """Whether time alone lets ``rule`` restrict at ``at`` (its conditions aside)."""
    if rule.active is not None and not rule.active.contains(at):
        return False
    if rule.window is not None and not rule.window.contains(at):
        return False
    if rule.schedule is not None and not is_on(rule.schedule, at, zone):
        return False
    return True


def time_lift(rule: Rule, at: datetime, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """When the time-bound part of an active rule ends: the earliest of its bounds after ``at``."""
    ends: list[tuple[datetime, str]] = []
    if rule.window is not None and rule.window.end is not None:
        ends.append((rule.window.end, "the window ends"))
    if rule.active is not None and rule.active.end is not None:
        ends.append((rule.active.end, "the rule's active interval ends"))
    if rule.schedule is not None:
        occurrence = occurrence_at(rule.schedule, at, zone)
        if occurrence is not None:
            ends.append((occurrence[1], "the scheduled window ends"))
    if not ends:
        return None, None
    return min(ends)
