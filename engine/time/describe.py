"""Temporal things in words: instants, durations, intervals and recurring windows.

A reviewer of a policy change reads "window moved 2 days later" or "weekly window
changed from Sunday 02:00–04:00 to Saturday 01:00–03:00" faster than two pairs of
ISO 8601 instants. These functions are pure: they take the values and the bundle
timezone and return phrases (lower case, no final full stop) that a caller puts into
its own sentences. Dates and times are shown as local wall-clock time of the bundle
timezone, as policy authors write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from chronolex.model import Interval, Schedule
from chronolex.time.recurrence import parse_rrule
from chronolex.instants import Duration

_WEEKDAYS = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
    "FR": "Friday", "SA": "Saturday", "SU": "Sunday",
}
_WEEKDAY_ORDER = tuple(_WEEKDAYS)
_FREQUENCY_WORDS = {"DAILY": ("daily", "day"), "WEEKLY": ("weekly", "week"), "MONTHLY": ("monthly", "month")}
#: The RRULE parts a described shape may use; anything else falls back to the RRULE text.
_DESCRIBED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "COUNT", "UNTIL", "WKST"}
)
_DAY = timedelta(days=1)


def join_words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> join_words(["Saturday", "Sunday"])
    'Saturday and Sunday'
    """
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def timedelta_words(delta: timedelta) -> str:
    """An elapsed length in days, hours, minutes and seconds, largest first.

    >>> timedelta_words(timedelta(days=1, hours=2))
    '1 day 2 hours'
    """
    seconds = abs(int(delta.total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [_count(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))
             if n]
    return " ".join(parts) or "0 minutes"


def duration_words(duration: Duration) -> str:
    """An ISO 8601 duration in words, part by part as written (P12M stays "12 months").

    >>> duration_words(Duration.parse("P1Y2MT3H"))
    '1 year 2 months 3 hours'
    """
    parts = [
        _count(n, unit)
        for n, unit in (
            (duration.years, "year"), (duration.months, "month"), (duration.weeks, "week"), (duration.days, "day"),
            (duration.hours, "hour"), (duration.minutes, "minute"), (duration.seconds, "second"),
        )
        if n
    ]
    return " ".join(parts) or "0 seconds"


def _clock(local: datetime) -> str:
    return local.strftime("%H:%M:%S" if local.second else "%H:%M")


def instant_words(instant: datetime, zone: tzinfo) -> str:
    """The local date when ``instant`` is midnight in ``zone``, else the local date and time.

    >>> from zoneinfo import ZoneInfo
    >>> instant_words(datetime(2026, 3, 7, 17, 0, tzinfo=timezone.utc), ZoneInfo("Asia/Shanghai"))
    '2026-03-08 01:00'
    """
    local = instant.astimezone(zone)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return local.date().isoformat()
    return f"{local.date().isoformat()} {_clock(local)}"


def interval_words(interval: Interval, zone: tzinfo) -> str:
    """``from X until Y`` (half-open, as written in a version file), or the one bound there is."""
    if interval.start is not None and interval.end is not None:
        return f"from {instant_words(interval.start, zone)} until {instant_words(interval.end, zone)}"
    if interval.start is not None:
        return f"from {instant_words(interval.start, zone)} on"
    if interval.end is not None:
        return f"until {instant_words(interval.end, zone)}"
    return "at all times"


def _wall(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _common_shift(old: Interval, new: Interval, zone: tzinfo) -> timedelta | None:
    """How far both bounds moved together, or None if they did not move by the same amount.

    The shift is measured on the local wall clock first, so a window moved by one day
    across a DST change reads "1 day", not "23 hours"; failing that, in elapsed time.
    """
    if old.start is None or old.end is None or new.start is None or new.end is None:
        return None
    wall_start = _wall(new.start, zone) - _wall(old.start, zone)
    if wall_start == _wall(new.end, zone) - _wall(old.end, zone):
        return wall_start
    elapsed_start = new.start - old.start
    if elapsed_start == new.end - old.end:
        return elapsed_start
    return None


def _bound_change(word: str, old: datetime | None, new: datetime | None, zone: tzinfo) -> str | None:
    if old == new:
        return None
    if new is None:
        return f"has no {word} (was {instant_words(old, zone)})" if old is not None else None
    verb = "starts" if word == "start" else "ends"
    if old is None:
        return f"{verb} {instant_words(new, zone)} (had no {word})"
    return f"{verb} {instant_words(new, zone)} instead of {instant_words(old, zone)}"


def interval_change_words(old: Interval, new: Interval, zone: tzinfo, noun: str) -> str:
    """What happened to an interval, e.g. ``window moved 2 days later (now from … until …)``
    or ``restriction now starts 2026-04-01 instead of 2026-05-01``.

    ``noun`` names the interval for the reader ("window", "restriction").
    """
    shift = _common_shift(old, new, zone)
    if shift is not None and shift:
        direction = "later" if shift > timedelta(0) else "earlier"
        return f"{noun} moved {timedelta_words(shift)} {direction} (now {interval_words(new, zone)})"
    clauses = [
        clause
        for clause in (
            _bound_change("start", old.start, new.start, zone),
            _bound_change("end", old.end, new.end, zone),
        )
        if clause is not None
    ]
    if not clauses:
        return f"{noun} is unchanged"
    return f"{noun} now " + " and ".join(clauses)


# --- recurring windows ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleWords:
    """A recurring window in words, in parts so that a change can name only what moved.

    ``frequency`` is "weekly" or "every 2 weeks"; ``when`` is the days and hours
    ("Sunday 02:00–04:00"), ``bounds`` the COUNT or UNTIL phrase ("until 2026-12-31").
    A shape the describer does not know has ``frequency`` empty and the RRULE in ``when``.
    """

    frequency: str
    when: str
    bounds: str = ""

    @property
    def described(self) -> bool:
        return bool(self.frequency)

    @property
    def details(self) -> str:
        """The days, hours and bounds, without the frequency."""
        return self.when + (f", {self.bounds}" if self.bounds else "")

    @property
    def full(self) -> str:
        if not self.described:
            return self.details
        on = "" if self.when[:1].isdigit() else "on "
        return f"{self.frequency} {on}{self.details}"


def rrule_parts(text: str) -> dict[str, str]:
    """The parts of an RRULE value, ``{"FREQ": "WEEKLY", "BYDAY": "SU", ...}``, names and
    values upper-cased. Only meaningful for a text the loader accepted (every item is
    NAME=VALUE; :func:`chronolex.time.recurrence.check_parts` checked that).

    >>> rrule_parts("freq=weekly;byday=su")
    {'FREQ': 'WEEKLY', 'BYDAY': 'SU'}
    """
    parts: dict[str, str] = {}
    for item in text.strip().split(";"):
        name, _, value = item.partition("=")
        parts[name.strip().upper()] = value.strip().upper()
    return parts


def _single(parts: dict[str, str], name: str, default: int) -> int | None:
    """The one value of a numeric BY part, ``default`` when absent, None when several."""
    if name not in parts:
        return default
    values = parts[name].split(",")
    return int(values[0]) if len(values) == 1 else None


def _ordinal(day: int) -> str:
    """``1st``, ``22nd``; from the month's end: ``last day``, ``2nd-to-last day``."""
    if day == -1:
        return "last day"
    if day < 0:
        return f"{_ordinal(-day)}-to-last day"
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _hours_words(first: datetime, duration: Duration) -> str:
    """``02:00–04:00``; ``22:00–02:00 next day``; ``02:00 for 2 days`` for long occurrences."""
    if duration.years or duration.months:
        return f"{_clock(first)} for {duration_words(duration)}"
    length = timedelta(weeks=duration.weeks, days=duration.days) + duration.elapsed
    if length >= _DAY:
        return f"{_clock(first)} for {duration_words(duration)}"
    end = first + length
    return f"{_clock(first)}–{_clock(end)}" + (" next day" if end.date() != first.date() else "")


def _until_words(value: str, zone: ZoneInfo) -> str:
    if "T" not in value:
        return datetime.strptime(value, "%Y%m%d").date().isoformat()
    wall = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    if value.endswith("Z"):
        return instant_words(wall.replace(tzinfo=timezone.utc), zone)
    return wall.date().isoformat() if wall.time() == datetime.min.time() else f"{wall.date()} {_clock(wall)}"


def schedule_words(schedule: Schedule, zone: ZoneInfo) -> ScheduleWords:
    """A recurring window in words, for the common shapes: DAILY; WEEKLY with plain BYDAY
    weekdays; MONTHLY with BYMONTHDAY; each with one BYHOUR/BYMINUTE/BYSECOND value,
    INTERVAL, COUNT or UNTIL. Anything else is given as the RRULE text and its duration.

    The shape is read from the RRULE text split on ``;`` into parts, not from dateutil's
    private attributes: those are filled in from the start when a part is absent, so they
    cannot tell "BYDAY=SU" from "whatever weekday the schedule starts on". A part that is
    absent takes the value of the schedule's start, as RFC 5545 says. The text is still
    parsed with the engine's own :func:`~chronolex.time.recurrence.parse_rrule` (dateutil's
    ``rrulestr``) first, so a rule the engine would not expand is never put into words.

    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Asia/Shanghai")
    >>> start = datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)
    >>> weekly = Schedule("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", Duration.parse("PT2H"), start)
    >>> schedule_words(weekly, zone).full
    'weekly on Sunday 02:00–04:00'
    """
    fallback = ScheduleWords("", f"{schedule.rrule} lasting {duration_words(schedule.duration)}")
    try:
        parse_rrule(schedule.rrule, schedule.start, zone)
    except ValueError:
        return fallback
    parts = rrule_parts(schedule.rrule)
    frequency = parts.get("FREQ", "")
    if frequency not in _FREQUENCY_WORDS or not set(parts) <= _DESCRIBED_PARTS:
        return fallback
    if parts.get("WKST", "MO") != "MO" or ("BYDAY" in parts and frequency != "WEEKLY"):
        return fallback
    if "BYMONTHDAY" in parts and frequency != "MONTHLY":
        return fallback
    local_start = schedule.start.astimezone(zone)
    hour = _single(parts, "BYHOUR", local_start.hour)
    minute = _single(parts, "BYMINUTE", local_start.minute)
    second = _single(parts, "BYSECOND", local_start.second)
    if hour is None or minute is None or second is None:
        return fallback
    first = datetime(2000, 1, 1, hour, minute, second)
    hours = _hours_words(first, schedule.duration)
    if frequency == "WEEKLY":
        codes = parts["BYDAY"].split(",") if "BYDAY" in parts else [_WEEKDAY_ORDER[local_start.weekday()]]
        if any(code not in _WEEKDAYS for code in codes):
            return fallback
        days = [_WEEKDAYS[code] for code in sorted(set(codes), key=_WEEKDAY_ORDER.index)]
        when = f"{join_words(days)} {hours}"
    elif frequency == "MONTHLY":
        numbers = [int(d) for d in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else [local_start.day]
        ordered = sorted(set(numbers), key=lambda d: (d < 0, abs(d) if d < 0 else d))
        when = f"the {join_words([_ordinal(d) for d in ordered])} {hours}"
    else:
        when = hours
    interval = int(parts.get("INTERVAL", "1"))
    adverb, unit = _FREQUENCY_WORDS[frequency]
    frequency_words = adverb if interval == 1 else f"every {interval} {unit}s"
    if "COUNT" in parts:
        bounds = f"{_count(int(parts['COUNT']), 'time')} in all"
    elif "UNTIL" in parts:
        bounds = f"until {_until_words(parts['UNTIL'], zone)}"
    else:
        bounds = ""
    return ScheduleWords(frequency_words, when, bounds)


def schedule_change_words(old: Schedule, new: Schedule, zone: ZoneInfo) -> str:
    """What happened to a recurring window, e.g. ``weekly window changed from Sunday
    02:00–04:00 to Saturday 01:00–03:00``; the frequency is named once when it stayed."""
    before, after = schedule_words(old, zone), schedule_words(new, zone)
    if before.described and after.described and before.frequency == after.frequency:
        if before.details != after.details:
            return f"{before.frequency} window changed from {before.details} to {after.details}"
    elif before.full != after.full:
        return f"recurring window changed from {before.full} to {after.full}"
    return (
        f"recurring window changed from {old.rrule} lasting {old.duration.text} "
        f"to {new.rrule} lasting {new.duration.text}"
    )
