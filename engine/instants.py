"""Instants, dates and durations read in a bundle's timezone (docs/reference/time.md).

A date alone is the start of that day, and a time without an offset is wall-clock
time, both in the bundle timezone. A wall time in a DST gap is read with the offset
in force before the gap (``fold=0``), an ambiguous one as its first occurrence.
Durations are ISO 8601: date parts are calendar arithmetic on wall-clock time
(``dateutil.relativedelta``, day clamped to the month's end) and time parts are
elapsed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
import zoneinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Every instant chronolex reads is written in this form: the same pattern as the
#: ``instant`` of schemas/event.schema.json and schemas/test.schema.json (a test checks),
#: so a time option, a test case and an event accept and refuse the same texts. An
#: offset is ``Z`` or ``±HH:MM[:SS]`` with HH up to 23 and MM, SS up to 59 (``+08:60``
#: is not read as +09:00), and never ``-00:00``, which RFC 3339 uses for "offset
#: unknown" rather than UTC.
_OFFSET_PATTERN = r"(Z|(?!-00:00(:00)?$)[+-]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)"
INSTANT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    + _OFFSET_PATTERN + r"?)?$"
)
_INSTANT = re.compile(INSTANT_PATTERN)
_OFFSET = re.compile("^" + _OFFSET_PATTERN + "$")
#: The forms :func:`parse_instant` reads, as an error message names them.
ACCEPTED_FORMS = ("write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], read in the bundle timezone, "
                  "or add an offset: YYYY-MM-DDTHH:MM+08:00 or ...Z")
_MAX_DURATION_PART = 100_000


_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules", "posix", "right"})
#: Instants outside these years are refused: far enough for any policy, and far from
#: the ends of Python's calendar, where shifting by a duration would overflow.
MIN_YEAR, MAX_YEAR = 1000, 9000
#: An instant before every instant the supported years admit (the first day of MIN_YEAR
#: begins at most 24 hours before it does in UTC, whatever the offset), and one after
#: every such instant. A window reaching back past the range starts at BEFORE_RANGE:
#: no event can be earlier, so the answer is the same as from the exact start.
BEFORE_RANGE = datetime(MIN_YEAR, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
AFTER_RANGE = datetime(MAX_YEAR + 1, 1, 1, tzinfo=timezone.utc) + timedelta(days=1)
#: The longest a duration may reach, counting a year as 366 days and a month as 31: the
#: supported years lie about a thousand years from each end of Python's calendar (years
#: 1-9999), so any supported instant shifted by such a duration (with room for a
#: schedule's look-behind) stays inside it. A longer duration is refused where it is
#: written, with its position, instead of failing when an answer needs it.
MAX_DURATION_YEARS = 900
_MAX_REACH = timedelta(days=366 * MAX_DURATION_YEARS)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ValueError with a readable message if there is none.

    Only real IANA zone names are accepted: not a region directory (``Asia``) and not
    a host-dependent alias (``localtime``), so a bundle means the same on every machine.
    """
    if name in _NOT_ZONES or name.split("/")[0] in _NOT_ZONES or name not in _zone_names():
        raise ValueError(f"unknown timezone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"unknown timezone {name!r}") from None


class OutsideRange(ValueError):
    """An instant read from text lies outside the supported years, or one computed from it
    leaves Python's calendar."""


def _in_range(instant: datetime) -> datetime:
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise OutsideRange(f"{instant.date().isoformat()} is outside the supported years {MIN_YEAR}-{MAX_YEAR}")
    return instant


@dataclass(frozen=True, slots=True)
class Duration:
    """An ISO 8601 duration, kept in its parts so that P1M stays "one month".

    >>> Duration.parse("P1Y2M10DT2H").text
    'P1Y2M10DT2H'
    """

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. P12M, P30D, PT24H)")
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        if any(v > _MAX_DURATION_PART for v in parts.values()):
            raise ValueError(f"{text!r}: a duration part above {_MAX_DURATION_PART} is not supported")
        duration = cls(**parts)
        if duration.longest > _MAX_REACH:
            raise ValueError(f"{text!r} is longer than {MAX_DURATION_YEARS} years, the longest duration "
                             f"supported (instants are limited to the years {MIN_YEAR}-{MAX_YEAR})")
        return duration

    @property
    def text(self) -> str:
        date_part = "".join(
            f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D")) if n
        )
        time_part = "".join(f"{n}{u}" for n, u in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S")) if n)
        if not date_part and not time_part:
            return "PT0S"
        return "P" + date_part + ("T" + time_part if time_part else "")

    def __str__(self) -> str:
        return self.text

    @property
    def has_time_part(self) -> bool:
        return bool(self.hours or self.minutes or self.seconds)

    @property
    def calendar(self) -> relativedelta:
        return _calendar(self.years, self.months, self.weeks, self.days, 1)

    @property
    def shortest(self) -> timedelta:
        """The least time this duration can span (a year of 365 days, a month of 28, and an
        hour less for a DST change): what it lasts at the least, wherever it starts."""
        days = self.years * 365 + self.months * 28 + self.weeks * 7 + self.days
        return timedelta(days=days) - (timedelta(hours=1) if days else timedelta(0)) + self.elapsed

    @property
    def elapsed(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    @property
    def longest(self) -> timedelta:
        """The most this duration can span: a year counted as 366 days, a month as 31."""
        return self.elapsed + timedelta(days=366 * self.years + 31 * self.months + 7 * self.weeks + self.days)

    def shift(self, instant: datetime, zone: tzinfo, sign: int = 1) -> datetime:
        """``instant`` plus (sign=1) or minus (sign=-1) this duration, per docs/reference/time.md, in UTC.

        The result may lie outside the supported years (a window reaching back before the
        year 1000): that limit is on instants read from text, not on arithmetic. Raises
        :class:`OutsideRange` when it falls outside Python's calendar, which no duration
        :meth:`parse` accepts can reach from a supported instant."""
        try:
            return self._shift(instant, zone, sign)
        except (OverflowError, OutsideRange):
            raise OutsideRange(f"{self.text} from {instant.date().isoformat()} leaves the calendar") from None

    def _shift(self, instant: datetime, zone: tzinfo, sign: int) -> datetime:
        result = instant
        if self.years or self.months or self.weeks or self.days:
            wall = instant.astimezone(zone).replace(tzinfo=None)
            if self.years or self.months:
                wall = wall + _calendar(self.years, self.months, self.weeks, self.days, 1 if sign > 0 else -1)
            else:  # whole days: no month to clamp, and a timedelta is far cheaper than a relativedelta
                wall = wall + timedelta(days=(7 * self.weeks + self.days) * (1 if sign > 0 else -1))
            result = _localize(wall, zone)
        result = result.astimezone(timezone.utc)
        if self.has_time_part:
            result = result + self.elapsed if sign > 0 else result - self.elapsed
        return result

    def shift_date(self, day: date, sign: int = 1) -> date:
        """A calendar date plus or minus the date parts (time parts must be zero)."""
        try:
            return day + self.calendar if sign > 0 else day - self.calendar
        except OverflowError:
            raise OutsideRange(f"{self.text} from {day.isoformat()} leaves the calendar") from None


@lru_cache(maxsize=256)
def _calendar(years: int, months: int, weeks: int, days: int, sign: int) -> relativedelta:
    """The calendar part of a duration (shared: relativedelta objects are costly to build)."""
    return relativedelta(years=sign * years, months=sign * months, weeks=sign * weeks, days=sign * days)


def last_supported(zone: tzinfo) -> datetime:
    """The last second of the supported years in ``zone`` (in UTC): where every search
    for a later change ends."""
    return localize(datetime(MAX_YEAR, 12, 31, 23, 59, 59), zone)


def localize(wall: datetime, zone: tzinfo) -> datetime:
    """The instant (in UTC) of a naive wall-clock time in ``zone``, resolving DST gaps and folds (docs/reference/time.md).

    In a gap the wall time is read with the offset in force before it, which lands after
    the gap (02:30 on a spring-forward night becomes 03:30 summer time); in a fold, the
    first occurrence is taken.
    """
    return _localize(_in_range(wall), zone)


def _localize(wall: datetime, zone: tzinfo) -> datetime:
    """:func:`localize` for a computed wall time, which may lie outside the supported years."""
    try:
        return wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    except OverflowError:
        raise OutsideRange(f"{wall.date().isoformat()} in {zone} leaves the calendar") from None


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """The instant (in UTC) an ISO 8601 date or date-time names; no offset means ``zone``.

    Instants are kept in UTC inside the engine: Python compares and subtracts two
    datetimes of the same ZoneInfo by wall clock, and never finds an instant in a DST
    fold equal to one in another zone (PEP 495); UTC has neither trap.

    >>> from zoneinfo import ZoneInfo
    >>> parse_instant("2026-03-01", ZoneInfo("Asia/Shanghai")).isoformat()
    '2026-02-28T16:00:00+00:00'
    """
    return _read(text, zone)[0]


def _read(text: str, zone: tzinfo) -> tuple[datetime, datetime | None]:
    """:func:`parse_instant`'s instant, and the wall time it was read from in ``zone``
    (None when ``text`` carried its offset): what the DST checks below look at, read once."""
    text = text.strip()
    try:
        if _DATE.match(text):
            wall = datetime.combine(date.fromisoformat(text), datetime.min.time())
            return localize(wall, zone), wall
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError as exc:
        # Python's own wording ("Invalid isoformat string") names neither the forms nor the
        # zone rule; a reason it gives about a field (day out of range) is kept.
        detail = _form_problem(text) if str(exc).startswith(("Invalid isoformat", "offset must")) else str(exc)
        raise ValueError(f"{text!r} is not a valid date or date-time ({detail})") from None
    if not _INSTANT.match(text):  # Python reads more than ISO 8601 asks (+08:60 as +09:00, -00:00, +0800)
        raise ValueError(f"{text!r} is not a valid date or date-time ({_form_problem(text)})")
    if parsed.tzinfo is None:
        return localize(parsed, zone), parsed
    return _in_range(parsed).astimezone(timezone.utc), None


class SkippedWallTime(ValueError):
    """A recorded wall time in a DST gap: the message says which gap and how to write it."""


def parse_recorded_instant(text: str, zone: tzinfo) -> datetime:
    """:func:`parse_instant` for a time a system recorded (an event's ``at`` and
    ``recorded_at``): a wall time the zone skips is refused.

    A person who types 02:30 on a spring-forward night may mean the moment after the gap
    (the command line reads it so, with a note). A recorded time in the gap was not read
    off any clock of that zone: its offset was lost or a clock was wrong, and any instant
    chosen for it may put the event an hour from where it happened, so ValueError, naming
    the gap and asking for the offset. A date alone is the start of that day even where
    midnight is skipped, and a wall time the clocks show twice is its first occurrence,
    as for every instant (docs/reference/time.md).

    >>> from zoneinfo import ZoneInfo
    >>> parse_recorded_instant("2026-03-08T02:30", ZoneInfo("America/New_York"))
    Traceback (most recent call last):
    chronolex.instants.SkippedWallTime: 2026-03-08T02:30 does not exist in America/New_York: the clocks jump forward over it (from 02:00 to 03:00); a recorded time there needs its UTC offset, e.g. 2026-03-08T02:30-05:00 if it was read before the change
    >>> parse_recorded_instant("2026-03-08T02:30-05:00", ZoneInfo("America/New_York")).isoformat()
    '2026-03-08T07:30:00+00:00'
    """
    instant, wall = _read(text, zone)
    if wall is None or instant.astimezone(zone).replace(tzinfo=None) == wall:  # an offset, or a time that exists
        return instant
    stripped = text.strip()
    if _DATE.match(stripped):
        return instant
    before, after = wall.replace(tzinfo=zone, fold=0).utcoffset(), wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None
    change = _offset_change(wall - after, wall - before, zone)
    raise SkippedWallTime(f"{stripped} does not exist in {zone}: the clocks jump forward over it "
                     f"(from {_wall_words(change + before, wall)} to {_wall_words(change + after, wall)}); "
                     f"a recorded time there needs its "
                     f"UTC offset, e.g. {stripped}{offset_text(before)} if it was read before the change")


def _offset_change(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The UTC instant (naive) in ``(low, high]`` at which ``zone``'s offset changes, to the
    second: ``low`` is read with the offset before the change, ``high`` with the one after."""
    offset = high.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if middle <= low:
            break
        if middle.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return high


def _wall_words(moment: datetime, day_of: datetime) -> str:
    """``moment`` as HH:MM, with its date when that is not the day of ``day_of`` (a gap of a day)."""
    return f"{moment:%H:%M}" if moment.date() == day_of.date() else f"{moment:%Y-%m-%dT%H:%M}"


def offset_text(offset: timedelta) -> str:
    """A UTC offset as ISO 8601 writes it: ``-05:00``, ``+05:30``, and ``+08:05:43`` for a
    local mean time (the seconds are kept, not cut off).

    >>> offset_text(timedelta(hours=-5)), offset_text(timedelta(hours=8, minutes=5, seconds=43))
    ('-05:00', '+08:05:43')
    """
    total = int(offset.total_seconds())
    hours, rest = divmod(abs(total), 3600)
    return f"{'-' if total < 0 else '+'}{hours:02}:{rest // 60:02}" + (f":{rest % 60:02}" if rest % 60 else "")


def twice_on_the_clock(local: datetime) -> bool:
    """Whether the wall time of ``local`` (aware, in its zone) occurs twice there: in the
    hour the clocks go back, "01:45" names two instants an hour apart, so a reader needs
    the offset to tell which."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _form_problem(text: str) -> str:
    """Why ``text`` does not have the form of an instant: its offset when that is what is
    wrong (the commonest slip), else the forms."""
    offset = re.search(r"[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?([+-][\d:]+)$", text)
    if offset is not None and not _OFFSET.match(offset.group(1)):
        return (f"{offset.group(1)} is not a UTC offset: write ±HH:MM with hours 00-23 and minutes 00-59, "
                "or Z (-00:00 means an unknown offset)")
    return ACCEPTED_FORMS


def wall_time_note(text: str, zone: tzinfo) -> str | None:
    """What :func:`parse_instant` silently decided about ``text``, as a sentence, or None.

    A wall time without an offset may not exist (a DST gap: it is read with the offset
    in force before the gap, which lands after it) or exist twice (a DST fold: the first
    is taken). Either way the instant is not what the reader may think, so a command
    that reads a time option says so. Raises ValueError as :func:`parse_instant` does.

    >>> from zoneinfo import ZoneInfo
    >>> wall_time_note("2026-03-08T02:45", ZoneInfo("America/New_York"))
    '2026-03-08T02:45 does not exist in America/New_York (the clocks jump forward over it); read as 2026-03-08T03:45:00-04:00'
    """
    problem = wall_time_problem(text, zone)
    if problem is None:
        return None
    code, values = problem
    if code == "gap":
        return (f"{values['text']} does not exist in {values['zone']} (the clocks jump forward over it); "
                f"read as {values['read_as']}")
    return (f"{values['text']} happens twice in {values['zone']} (the clocks go back); the first was taken, "
            f"{values['taken']} (the second is {values['second']}: write its offset to mean it)")


def wall_time_problem(text: str, zone: tzinfo) -> tuple[str, dict[str, str]] | None:
    """What :func:`wall_time_note` says, as a code and its values, so a reader can word it
    in another language (the console): ``gap`` (``text``, ``zone``, ``read_as``) or ``fold``
    (``text``, ``zone``, ``taken``, ``second``), instants written with their offsets (in a
    fold the wall time alone cannot tell the two apart); None when ``text`` means one
    instant as written, as a date alone always does (the start of its day, even where
    midnight is skipped or repeated).

    >>> from zoneinfo import ZoneInfo
    >>> wall_time_problem("2026-11-01T01:30", ZoneInfo("America/New_York"))[0]
    'fold'
    """
    instant, wall = _read(text, zone)
    stripped = text.strip()
    if wall is None or _DATE.match(stripped):
        return None
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    name = str(zone)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return "gap", {"text": stripped, "zone": name, "read_as": format_instant(instant, zone)}
    if first.utcoffset() != second.utcoffset():
        return "fold", {"text": stripped, "zone": name, "taken": format_instant(instant, zone),
                        "second": format_instant(second.astimezone(timezone.utc), zone)}
    return None


def parse_date(text: str) -> date:
    """A calendar date from YYYY-MM-DD, with a readable error."""
    try:
        if not _DATE.match(text.strip()):
            raise ValueError("expected YYYY-MM-DD")
        day = date.fromisoformat(text.strip())
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(f"outside the supported years {MIN_YEAR}-{MAX_YEAR}")
        return day
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date ({exc})") from None


def format_instant(instant: datetime, zone: tzinfo) -> str:
    """ISO 8601 in ``zone``, seconds precision unless there are microseconds."""
    local = instant.astimezone(zone)
    return local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
