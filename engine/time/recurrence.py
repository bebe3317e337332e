"""Recurring windows: RRULE text to a dateutil recurrence in the bundle's wall-clock time.

A schedule is expanded in local wall-clock time of the bundle timezone (docs/reference/time.md),
so the recurrence runs on naive local datetimes. An ``UNTIL`` written in UTC
(``...Z``, as RFC 5545 asks when the start has a zone) is converted to the same
instant in local wall time first; dateutil does the rest.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from chronolex.instants import MAX_YEAR, MIN_YEAR
from chronolex.time.expansion import Expansion

_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_UNTIL = re.compile(r"^\d{8}(T\d{6}Z?)?$")
_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
_WEEKDAY = re.compile(r"^[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)$")
#: Allowed ranges of the numeric BY parts (RFC 5545 §3.3.10); negative values count from the end.
_RANGES = {
    "BYSECOND": (0, 60, False), "BYMINUTE": (0, 59, False), "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True), "BYYEARDAY": (1, 366, True), "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False), "BYSETPOS": (1, 366, True),
}
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The parts of an RRULE that RFC 5545 defines; dateutil also reads BYEASTER and others.
_PARTS = frozenset({"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
                    "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST"})
#: Periods of each FREQ in one 400-year Gregorian cycle, after which the calendar repeats.
_PERIODS_PER_CYCLE = {"YEARLY": 400, "MONTHLY": 4_800, "WEEKLY": 20_871, "DAILY": 146_097, "HOURLY": 3_506_328}


def check_parts(text: str) -> None:
    """Refuse what dateutil would accept but misread, loop on, or read by today's date.

    dateutil parses UNTIL fuzzily (``UNTIL=2026`` becomes a day of the current year),
    accepts INTERVAL=0 and out-of-range BY parts, and can search for centuries for an
    occurrence that cannot exist. A schedule must mean the same on every day it is read.
    """
    parts: dict[str, str] = {}
    for item in text.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"{item!r} is not NAME=VALUE")
        name = name.upper()
        if name in parts:
            raise ValueError(f"{name} is given twice")
        if name not in _PARTS:
            raise ValueError(f"{name} is not a part of an RFC 5545 RRULE (use {', '.join(sorted(_PARTS))})")
        parts[name] = value
    frequency = parts.get("FREQ", "").upper()
    if frequency not in _FREQUENCIES:
        raise ValueError(f"FREQ must be one of {', '.join(_FREQUENCIES)} (maintenance windows recur at most hourly)")
    for name in ("INTERVAL", "COUNT"):
        if name in parts and not (parts[name].isdigit() and int(parts[name]) >= 1):
            raise ValueError(f"{name} must be a positive whole number")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("give COUNT or UNTIL, not both")
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"].upper()):
        raise ValueError("UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSS[Z]")
    if "UNTIL" in parts and not MIN_YEAR <= int(parts["UNTIL"][:4]) <= MAX_YEAR:
        raise ValueError(f"UNTIL is outside the supported years {MIN_YEAR}-{MAX_YEAR} (leave UNTIL out for no end)")
    for name, (low, high, signed) in _RANGES.items():
        for value in parts.get(name, "").split(",") if name in parts else ():
            number = value[1:] if signed and value[:1] in "+-" else value
            if not number.isdigit() or not low <= int(number) <= high:
                raise ValueError(f"{name} value {value!r} is outside {'±' if signed else ''}{low}..{high}")
    if "WKST" in parts and parts["WKST"].upper() not in ("MO", "TU", "WE", "TH", "FR", "SA", "SU"):
        raise ValueError("WKST must be one weekday such as MO")
    for value in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else ():
        if not _WEEKDAY.match(value.upper()):
            raise ValueError(f"BYDAY value {value!r} is not a weekday such as SU or -1SU")
    days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d.lstrip("+-").isdigit()]
    months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m.isdigit()] or list(range(1, 13))
    if days and not any(abs(d) <= _MONTH_DAYS[m - 1] for d in days for m in months):
        raise ValueError("BYMONTHDAY and BYMONTH never meet (no such day in those months)")


def _local_until(match: re.Match[str], zone: ZoneInfo) -> str:
    instant = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    return "UNTIL=" + instant.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def parse_rrule(text: str, start: datetime, zone: ZoneInfo) -> rrule:
    """The recurrence ``text`` starting at ``start``, in naive local time of ``zone``.

    Raises ValueError with a readable message for anything dateutil cannot expand.
    """
    if "\n" in text or text.upper().startswith(("DTSTART", "RRULE:")) or ";DTSTART" in text.upper():
        raise ValueError("give only the RRULE value (FREQ=...); the start comes from schedule.start or effective_from")
    check_parts(text.strip())
    local = _UNTIL_UTC.sub(lambda m: _local_until(m, zone), text)
    try:
        parsed = rrulestr(local, dtstart=start.astimezone(zone).replace(tzinfo=None))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"invalid RRULE {text!r}: {exc}") from None
    if not isinstance(parsed, rrule):
        raise ValueError(f"invalid RRULE {text!r}: expected a single rule")
    return parsed


def repeat_years(recurrence: rrule) -> int:
    """After how many years the pattern of ``recurrence`` repeats (COUNT and UNTIL aside).

    The calendar repeats every 400 years; a recurrence with INTERVAL n restarts its pattern
    once a whole number of its periods fills whole cycles."""
    frequency = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")[recurrence._freq]  # type: ignore[attr-defined]
    interval: int = recurrence._interval  # type: ignore[attr-defined]
    return 400 * interval // math.gcd(_PERIODS_PER_CYCLE[frequency], interval)


def _first_cycle(recurrence: rrule) -> Iterator[datetime]:
    """The starts from the first until the pattern repeats (:func:`repeat_years`) or the
    supported years end, whichever comes first."""
    first: datetime = recurrence._dtstart  # type: ignore[attr-defined]
    end = datetime(min(first.year + repeat_years(recurrence), MAX_YEAR + 1), 1, 1)
    return Expansion(recurrence).forward(first, end)


def first_occurrence(recurrence: rrule) -> datetime | None:
    """The first local start the recurrence produces, or None if it produces none.

    The search ends once the pattern has repeated (:func:`repeat_years`) or at the end of
    the supported years: an occurrence that is not found by then never comes."""
    return next(_first_cycle(recurrence), None)


def shortest_gap(recurrence: rrule, sample: int = 500) -> timedelta | None:
    """The least wall-clock time between two consecutive starts among the first ``sample``
    occurrences (None with fewer than two): an occurrence lasting longer overlaps the next."""
    starts = list(itertools.islice(_first_cycle(recurrence), sample))
    return min((b - a for a, b in zip(starts, starts[1:])), default=None)
