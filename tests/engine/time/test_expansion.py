"""A recurrence expanded near the stretch asked (``chronolex.time.expansion``).

dateutil expands a recurrence from its DTSTART; an :class:`Expansion` restarts it at a
period near the stretch asked and moves the stretch by whole 400-year cycles. The
property here is that nothing of this shows: for random recurrences of every FREQ, with
INTERVAL, COUNT, UNTIL, BYSETPOS, WKST and the BY parts, the starts in a random stretch
are exactly dateutil's own expansion from DTSTART. And what it is for: a stretch far
from the start, or a recurrence with no occurrence left, costs little.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.rrule import rrulestr
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from chronolex.time.expansion import Expansion
from chronolex.time.recurrence import check_parts
from tests.examples import examples

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def recurrences(draw: st.DrawFn) -> str:
    """RRULE texts the parser accepts, mixing every part that changes how periods expand."""
    parts = [f"FREQ={draw(st.sampled_from(['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY']))}"]

    def some(values: st.SearchStrategy[str], name: str, chance: float = 0.4) -> None:
        if draw(st.floats(0, 1)) < chance:
            parts.append(f"{name}=" + ",".join(draw(st.lists(values, min_size=1, max_size=3, unique=True))))

    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 5))}")
    some(st.integers(1, 12).map(str), "BYMONTH", 0.25)
    some(st.sampled_from(["1", "15", "28", "29", "30", "31", "-1", "-5"]), "BYMONTHDAY", 0.25)
    some(st.builds(lambda n, d: n + d, st.sampled_from(["", "1", "2", "-1"]), st.sampled_from(WEEKDAYS)), "BYDAY")
    some(st.integers(0, 23).map(str), "BYHOUR")
    some(st.sampled_from(["0", "15", "30", "45"]), "BYMINUTE")
    some(st.sampled_from(["1", "60", "-1", "366"]), "BYYEARDAY", 0.1)
    some(st.sampled_from(["1", "20", "53", "-1"]), "BYWEEKNO", 0.1)
    some(st.sampled_from(["1", "2", "-1"]), "BYSETPOS", 0.15)
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(WEEKDAYS))}")
    ending = draw(st.sampled_from(["", "", "count", "until"]))
    if ending == "count":
        parts.append(f"COUNT={draw(st.integers(1, 60))}")
    elif ending == "until":
        parts.append(f"UNTIL={draw(st.integers(2027, 2045))}0601T000000")
    text = ";".join(parts)
    try:  # what the parser refuses (BYHOUR that INTERVAL never reaches, ...) is no recurrence
        check_parts(text)
        rrulestr(text, dtstart=datetime(2026, 1, 1))
    except ValueError:
        reject()
    return text


def dateutil_starts(text: str, first: datetime, low: datetime, high: datetime) -> list[datetime] | None:
    """dateutil's own expansion from DTSTART, or None when it has more than
    ``DATEUTIL_STEPS`` starts before ``high`` (a minutely rule years after its start):
    the example is then too costly to check this way, whatever the machine's speed."""
    recurrence = rrulestr(text, dtstart=first)
    found: list[datetime] = []
    for step, start in enumerate(recurrence):
        if start >= high:
            return found
        if start >= low:
            found.append(start)
        if step >= DATEUTIL_STEPS:
            return None
    return found


DATEUTIL_STEPS = 2_000


@settings(max_examples=examples(20, 200), deadline=None)
@given(text=recurrences(),
       first=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0)),
       offset=st.integers(-1_000, 60 * 24 * 365 * 4),
       span=st.sampled_from([timedelta(hours=3), timedelta(days=2), timedelta(days=45), timedelta(days=400)]))
def test_the_starts_in_any_stretch_are_dateutils_own(text: str, first: datetime, offset: int,
                                                     span: timedelta) -> None:
    low = first + timedelta(minutes=offset)
    try:
        rrulestr(text, dtstart=first)
    except ValueError:  # a BYHOUR that INTERVAL never reaches from this start
        reject()
    expected = dateutil_starts(text, first, low, low + span)
    if expected is None:
        return
    expansion = Expansion(rrulestr(text, dtstart=first))
    assert expansion.starts(low, low + span) == expected
    assert list(expansion.forward(low, low + span)) == expected


def test_a_stretch_centuries_after_the_start_is_found_without_walking_there() -> None:
    expansion = Expansion(rrulestr("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0",
                                   dtstart=datetime(2026, 1, 1)))
    found = expansion.starts(datetime(8999, 6, 1), datetime(8999, 6, 15))
    assert found == [datetime(8999, 6, 2, 2), datetime(8999, 6, 9, 2)]
    assert all(day.weekday() == 6 for day in found)


def test_a_recurrence_with_no_occurrence_left_ends_its_search_within_one_cycle() -> None:
    # Dec 31 is never in February: dateutil alone searches hour by hour to the year 9999
    expansion = Expansion(rrulestr("FREQ=HOURLY;BYYEARDAY=-1;BYMONTH=2", dtstart=datetime(2026, 1, 1)))
    assert expansion.starts(datetime(2026, 1, 1), datetime(2426, 1, 1)) == []
    assert next(expansion.forward(datetime(8000, 1, 1), datetime(8050, 1, 1)), None) is None


def test_count_counts_from_the_first_occurrence_wherever_the_stretch_is() -> None:
    expansion = Expansion(rrulestr("FREQ=DAILY;COUNT=10", dtstart=datetime(2026, 1, 1, 9)))
    assert expansion.starts(datetime(2026, 1, 9), datetime(2026, 2, 1)) == [datetime(2026, 1, 9, 9),
                                                                            datetime(2026, 1, 10, 9)]
    assert expansion.starts(datetime(2026, 1, 11), datetime(2030, 1, 1)) == []
