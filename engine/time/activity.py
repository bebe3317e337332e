"""When a rule is active by time alone: its ``active`` interval, one-off ``window`` and
recurring ``schedule`` (docs/policy-format.md, docs/reference/time.md).

Schedule occurrences start at local wall-clock times of the bundle timezone (a start in
a DST gap reads with the offset before the gap, a start in a fold takes its first
occurrence) and last ``duration`` of elapsed time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule

from chronolex.model import Rule, Schedule
from chronolex.time.recurrence import parse_rrule
from chronolex.instants import localize


@lru_cache(maxsize=1024)
def _recurrence(text: str, start: datetime, zone: ZoneInfo) -> rrule:
    recurrence = parse_rrule(text, start, zone)
    return recurrence.replace(cache=True)


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


_DST_MARGIN = timedelta(hours=3)  # more than any change of UTC offset


def _longest(schedule: Schedule) -> timedelta:
    d = schedule.duration
    return d.elapsed + timedelta(days=d.years * 366 + d.months * 31 + d.weeks * 7 + d.days)


def occurrence_at(schedule: Schedule, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The occurrence ``[start, end)`` of ``schedule`` that contains ``at``, if any.

    Occurrences are found by local start, and local time is not monotone across a DST
    fold, so every occurrence whose local start lies within the longest duration (plus
    the largest offset change) of ``at`` is checked; the one started last wins."""
    recurrence = _recurrence(schedule.rrule, schedule.start, zone)
    local_at = _local(at, zone)
    earliest = local_at - _longest(schedule) - _DST_MARGIN
    local_start = recurrence.before(local_at + _DST_MARGIN, inc=True)
    found: tuple[datetime, datetime] | None = None
    while local_start is not None and local_start >= earliest:
        start = localize(local_start, zone)
        end = schedule.duration.shift(start, zone, 1)
        if start <= at < end and (found is None or start > found[0]):
            found = (start, end)
        local_start = recurrence.before(local_start)
    return found


def occurrences(schedule: Schedule, after: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The occurrence running at ``after`` (if any), then every later one, in order."""
    recurrence = _recurrence(schedule.rrule, schedule.start, zone)
    current = occurrence_at(schedule, after, zone)
    if current is not None:
        yield current
    # Start the search a little before ``after`` on the wall clock: a local start in a DST
    # gap (02:30) lies after 03:15 summer time in real time, though earlier on the clock.
    local = recurrence.after(_local(after, zone) - _DST_MARGIN, inc=False)
    while local is not None:
        start = localize(local, zone)
        if start > after and (current is None or start > current[0]):
            yield start, schedule.duration.shift(start, zone, 1)
        local = recurrence.after(local, inc=False)


def schedule_boundaries(schedule: Schedule, after: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, str]]:
    """Occurrence starts and ends strictly after ``after``, in time order, labelled."""
    starts = ((start, "start") for start, _ in occurrences(schedule, after, zone) if start > after)
    ends = ((end, "end") for _, end in occurrences(schedule, after, zone) if end > after)
    return heapq.merge(starts, ends)


def active_by_time(rule: Rule, at: datetime, zone: ZoneInfo) -> bool:
    """Whether time alone lets ``rule`` restrict at ``at`` (its conditions aside)."""
    if rule.active is not None and not rule.active.contains(at):
        return False
    if rule.window is not None and not rule.window.contains(at):
        return False
    if rule.schedule is not None and occurrence_at(rule.schedule, at, zone) is None:
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
