"""Occurrence starts of a recurrence over any stretch of time, at a cost that grows with
the stretch and not with its distance from the recurrence's start.

dateutil expands a recurrence from its DTSTART, one period (year, month, week, day or
hour: its FREQ) after another. Asked for the occurrences of a weekly window in 2226 it
walks two centuries of weeks first, and asked for the next occurrence of a recurrence
that has none left (``BYYEARDAY=-1;BYEASTER=-2``) it walks to the end of the calendar.

Every period is expanded the same way from the recurrence's BY parts. So the recurrence
restarted at the start of a later period, a whole number of INTERVALs after its first,
with every BY part that dateutil derived from DTSTART written out, produces the same
occurrences from there on; and an UNTIL at the end of the stretch asked for stops the
expansion there once an occurrence lies beyond it.

dateutil also stops at the end of year 9999 when nothing matches any more. A stretch is
therefore expanded a whole number of 400-year Gregorian cycles later, as close below year 9998
as it fits, and moved back: the calendar repeats every 400 years, so the
occurrences are the same, and a search that finds nothing after the stretch ends within
one cycle, not thousands of years later. (BYEASTER, which dateutil adds to RFC 5545,
follows no such cycle and is refused when a schedule is read.) A recurrence with COUNT counts from its first
occurrence: its occurrences are the first COUNT of the same recurrence without COUNT,
listed once, from the start up to what has been asked.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY, rrule, weekday


#: The Gregorian calendar repeats every 400 years: the same dates fall on the same weekdays,
#: in the same ISO weeks, with the same leap days.
_GREGORIAN_CYCLE = 400
#: dateutil stops looking for a next occurrence only at the end of year 9999 (or fails on
#: a week that runs into year 10000); stretches are moved to end at the latest in this year.
_LAST_YEAR = 9998


class Expansion:
    """The occurrence starts of ``recurrence`` (naive wall-clock datetimes) by stretches."""

    def __init__(self, recurrence: rrule) -> None:
        self.recurrence = recurrence
        self.first: datetime = recurrence._dtstart  # type: ignore[attr-defined]
        self.until: datetime | None = recurrence._until  # type: ignore[attr-defined]
        self._freq: Any = recurrence._freq  # type: ignore[attr-defined]
        self._interval: int = recurrence._interval  # type: ignore[attr-defined]
        self._count: int | None = recurrence._count  # type: ignore[attr-defined]
        self._parts = _explicit_parts(recurrence)
        self._listed: list[datetime] = []  # the first occurrences of a recurrence with COUNT
        self._listing = self._uncounted(self.first, datetime(_LAST_YEAR - _GREGORIAN_CYCLE, 1, 1))
        self._lock = threading.Lock()  # expansions are shared (cached); the listing is extended once

    def starts(self, low: datetime, high: datetime) -> list[datetime]:
        """The occurrence starts in ``[low, high)``, in wall-clock order."""
        return list(self.forward(low, high))

    def forward(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """The occurrence starts in ``[low, high)``, in wall-clock order, found lazily: a caller
        that stops early pays for what it read and the search for the next one."""
        low = max(low, self.first)
        if self.until is not None:
            high = min(high, self.until + timedelta(microseconds=1))
        if high <= low:
            return
        if self._count is None:
            yield from self._uncounted(low, high)
            return
        with self._lock:
            while len(self._listed) < self._count and (not self._listed or self._listed[-1] < high):
                following = next(self._listing, None)
                if following is None:
                    break
                self._listed.append(following)
            listed = self._listed[:]
        yield from listed[bisect.bisect_left(listed, low):bisect.bisect_left(listed, high)]

    def _uncounted(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """The starts in ``[low, high)`` of the recurrence without COUNT, restarted near
        ``low`` and moved by whole 400-year cycles as close below year 9998 as ``high`` fits."""
        years = _GREGORIAN_CYCLE * ((_LAST_YEAR - high.year) // _GREGORIAN_CYCLE)
        start, until = self._restart(low, high - timedelta(microseconds=1))
        restarted = rrule(self._freq, dtstart=_years_on(start, years), until=_years_on(until, years), **self._parts)
        moved_low = _years_on(low, years)
        found = iter(restarted)
        while True:
            try:
                moved = next(found)
            except StopIteration:
                return
            except ValueError:  # dateutil ran into the end of the calendar: no more occurrences
                return
            if moved >= moved_low:
                yield _years_on(moved, -years)

    def _restart(self, low: datetime, last: datetime) -> tuple[datetime, datetime]:
        """Where to restart the recurrence for ``[low, last]``: the latest period start at or
        before ``low`` that is a whole number of INTERVALs after its first period; and its UNTIL."""
        periods = (_index(self._freq, low, self._wkst) - _index(self._freq, self.first, self._wkst))
        periods -= periods % self._interval
        until = last if self.until is None else min(last, self.until)
        return (self.first if periods <= 0 else _period_start(self._freq, self.first, periods, self._wkst)), until

    @property
    def _wkst(self) -> int:
        return int(self._parts["wkst"])


def _explicit_parts(recurrence: rrule) -> dict[str, Any]:
    """The BY parts, INTERVAL and WKST of ``recurrence`` as dateutil resolved them
    (including those it derived from DTSTART), as keyword arguments of ``rrule``."""
    r: Any = recurrence
    monthdays = (*r._bymonthday, *r._bynmonthday)
    weekdays = [weekday(d) for d in r._byweekday or ()] + [weekday(d, k) for d, k in r._bynweekday or ()]
    return {
        "interval": r._interval, "wkst": r._wkst, "bysetpos": r._bysetpos, "bymonth": r._bymonth,
        "bymonthday": monthdays or None, "byyearday": r._byyearday, "byeaster": r._byeaster,
        "byweekno": r._byweekno, "byweekday": weekdays or None, "byhour": r._byhour,
        "byminute": r._byminute, "bysecond": r._bysecond,
    }


def _years_on(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years) if years else moment


def _week_start(moment: datetime, wkst: int) -> datetime:
    day = moment.date() - timedelta(days=(moment.weekday() - wkst) % 7)
    return datetime.combine(day, datetime.min.time())


def _index(freq: int, moment: datetime, wkst: int) -> int:
    """The number of the period of ``freq`` that holds ``moment`` (consecutive periods, consecutive numbers)."""
    if freq == YEARLY:
        return moment.year
    if freq == MONTHLY:
        return moment.year * 12 + moment.month - 1
    if freq == WEEKLY:
        return _week_start(moment, wkst).toordinal() // 7
    days = moment.toordinal()
    if freq == DAILY:
        return days
    if freq == HOURLY:
        return days * 24 + moment.hour
    raise ValueError(f"unsupported frequency {freq}")


def _period_start(freq: int, first: datetime, periods: int, wkst: int) -> datetime:
    """The start of the period ``periods`` after the one holding ``first``."""
    if freq == YEARLY:
        return datetime(first.year + periods, 1, 1)
    if freq == MONTHLY:
        return datetime(first.year, first.month, 1) + relativedelta(months=periods)
    if freq == WEEKLY:
        return _week_start(first, wkst) + timedelta(weeks=periods)
    if freq == DAILY:
        return datetime.combine(first.date(), datetime.min.time()) + timedelta(days=periods)
    return first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=periods)


__all__ = ["Expansion"]
