"""Recurring windows: RRULE text to a dateutil recurrence in the bundle's wall-clock time.

A schedule is expanded in local wall-clock time of the bundle timezone (DESIGN.md §5),
so the recurrence runs on naive local datetimes. An ``UNTIL`` written in UTC
(``...Z``, as RFC 5545 asks when the start has a zone) is converted to the same
instant in local wall time first; dateutil does the rest.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


def _local_until(match: re.Match[str], zone: ZoneInfo) -> str:
    instant = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    return "UNTIL=" + instant.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def parse_rrule(text: str, start: datetime, zone: ZoneInfo) -> rrule:
    """The recurrence ``text`` starting at ``start``, in naive local time of ``zone``.

    Raises ValueError with a readable message for anything dateutil cannot expand.
    """
    if "\n" in text or text.upper().startswith(("DTSTART", "RRULE:")) or ";DTSTART" in text.upper():
        raise ValueError("give only the RRULE value (FREQ=...); the start comes from schedule.start or effective_from")
    local = _UNTIL_UTC.sub(lambda m: _local_until(m, zone), text)
    try:
        parsed = rrulestr(local, dtstart=start.astimezone(zone).replace(tzinfo=None))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"invalid RRULE {text!r}: {exc}") from None
    if not isinstance(parsed, rrule):
        raise ValueError(f"invalid RRULE {text!r}: expected a single rule")
    return parsed


def first_occurrence(recurrence: rrule) -> datetime | None:
    """The first local start the recurrence produces, or None if it produces none."""
    try:
        return next(iter(recurrence), None)
    except (ValueError, OverflowError):
        return None
