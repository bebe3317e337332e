"""Instants and durations in a bundle timezone: DST gaps and folds, month ends, leap days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronolex.instants import Duration, format_instant, load_zone, parse_instant, wall_time_note

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_date_alone_is_the_start_of_that_day_in_the_bundle_zone() -> None:
    assert parse_instant("2026-03-01", SHANGHAI) == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert format_instant(parse_instant("2026-03-01", SHANGHAI), SHANGHAI) == "2026-03-01T00:00:00+08:00"


def test_an_explicit_offset_wins_over_the_zone() -> None:
    assert parse_instant("2026-03-08T01:00:00+00:00", SHANGHAI) == datetime(2026, 3, 8, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("zone", "wall", "expected_utc"),
    [
        # spring forward: 02:30 does not exist; read with the offset before the gap -> 03:30 summer time
        (NEW_YORK, "2026-03-08T02:30", datetime(2026, 3, 8, 7, 30, tzinfo=timezone.utc)),
        (BERLIN, "2026-03-29T02:30", datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
        # fall back: 01:30 happens twice; the first occurrence is taken
        (NEW_YORK, "2026-11-01T01:30", datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)),
        (BERLIN, "2026-10-25T02:30", datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)),
    ],
)
def test_dst_gaps_and_folds(zone: ZoneInfo, wall: str, expected_utc: datetime) -> None:
    # compared in UTC: Python never finds a fold instant equal to one in another zone (PEP 495)
    assert parse_instant(wall, zone).astimezone(timezone.utc) == expected_utc


def test_gap_instant_reads_as_summer_time_wall_clock() -> None:
    assert format_instant(parse_instant("2026-03-08T02:30", NEW_YORK), NEW_YORK) == "2026-03-08T03:30:00-04:00"


def test_fold_reads_as_the_first_occurrence() -> None:
    assert format_instant(parse_instant("2026-11-01T01:30", NEW_YORK), NEW_YORK) == "2026-11-01T01:30:00-04:00"


def test_durations_parse_and_print() -> None:
    assert Duration.parse("P1Y2M3W4DT5H6M7S") == Duration(1, 2, 3, 4, 5, 6, 7)
    assert Duration.parse("P12M").text == "P12M"
    for bad in ["P", "PT", "P1", "1D", "P1.5D", "PT24", "P-1D", "p1d"]:
        with pytest.raises(ValueError):
            Duration.parse(bad)


def test_p1d_is_wall_clock_and_pt24h_is_elapsed_across_dst() -> None:
    # The night of 2026-03-08 in New York has 23 hours.
    t = parse_instant("2026-03-09T00:30", NEW_YORK)
    assert Duration.parse("P1D").shift(t, NEW_YORK, -1) == parse_instant("2026-03-08T00:30", NEW_YORK)
    assert t - Duration.parse("P1D").shift(t, NEW_YORK, -1) == timedelta(hours=23)
    assert t - Duration.parse("PT24H").shift(t, NEW_YORK, -1) == timedelta(hours=24)


def test_month_arithmetic_clamps_to_the_month_end() -> None:
    t = parse_instant("2025-02-28", SHANGHAI)
    assert Duration.parse("P12M").shift(t, SHANGHAI, -1) == parse_instant("2024-02-28", SHANGHAI)
    t = parse_instant("2025-03-01", SHANGHAI)
    assert Duration.parse("P12M").shift(t, SHANGHAI, -1) == parse_instant("2024-03-01", SHANGHAI)
    assert Duration.parse("P1M").shift(parse_instant("2026-03-31", SHANGHAI), SHANGHAI, -1) == parse_instant(
        "2026-02-28", SHANGHAI
    )


def test_unknown_timezone_is_a_readable_error() -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        load_zone("Asia/Shanghia")


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       st.sampled_from([SHANGHAI, NEW_YORK, BERLIN]))
def test_format_then_parse_is_the_same_instant(naive: datetime, zone: ZoneInfo) -> None:
    instant = naive.replace(tzinfo=timezone.utc)
    assert parse_instant(format_instant(instant, zone), zone) == instant


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       st.sampled_from([SHANGHAI, NEW_YORK, BERLIN]), st.integers(0, 48))
def test_elapsed_durations_are_exact(naive: datetime, zone: ZoneInfo, hours: int) -> None:
    instant = naive.replace(tzinfo=timezone.utc)
    assert instant - Duration(hours=hours).shift(instant, zone, -1) == timedelta(hours=hours)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(timezone.utc)),
       st.integers(1, 60), st.integers(0, 8), st.sampled_from([1, -1]),
       st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Shanghai"]))
def test_whole_day_durations_shift_as_calendar_arithmetic_does(instant: datetime, days: int, weeks: int, sign: int,
                                                               zone_name: str) -> None:
    """Days and weeks are added to the local wall clock (a timedelta) exactly as the
    calendar arithmetic of months would add them (a relativedelta)."""
    from dateutil.relativedelta import relativedelta

    from chronolex.instants import localize

    zone = ZoneInfo(zone_name)
    wall = instant.astimezone(zone).replace(tzinfo=None) + relativedelta(days=sign * days, weeks=sign * weeks)
    assert Duration(weeks=weeks, days=days).shift(instant, zone, sign) == localize(wall, zone)


@pytest.mark.parametrize("text", ["yesterday", "03/06/2026", "2026-3-6", "16 March 2026"])
def test_an_unreadable_instant_names_what_was_given_and_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_instant(text, SHANGHAI)
    message = str(caught.value)
    assert message.startswith(f"{text!r} is not a valid date or date-time")
    assert "YYYY-MM-DD" in message and "+08:00" in message
    assert "Invalid isoformat" not in message


def test_a_wall_time_in_a_dst_gap_is_named_with_the_instant_it_became() -> None:
    note = wall_time_note("2026-03-08T02:45", NEW_YORK)
    assert note == ("2026-03-08T02:45 does not exist in America/New_York (the clocks jump forward over it); "
                    "read as 2026-03-08T03:45:00-04:00")


def test_an_ambiguous_wall_time_says_which_occurrence_was_taken() -> None:
    note = wall_time_note("2026-11-01T01:30", NEW_YORK)
    assert note is not None
    assert "the first was taken, 2026-11-01T01:30:00-04:00" in note and "2026-11-01T01:30:00-05:00" in note


@pytest.mark.parametrize("text", ["2026-03-08T03:45", "2026-03-08", "2026-03-08T02:45-05:00", "2026-11-01T01:30Z"])
def test_an_ordinary_or_explicit_instant_has_no_note(text: str) -> None:
    assert wall_time_note(text, NEW_YORK) is None


@pytest.mark.parametrize(("text", "zone"), [("2026-03-08", "America/Havana"), ("2022-09-11", "America/Santiago"),
                                            ("2026-11-01", "America/Havana")])
def test_a_date_alone_has_no_note_where_midnight_is_skipped_or_repeated(text: str, zone: str) -> None:
    # it means the start of its day, one instant, whatever the clocks do at midnight
    assert wall_time_note(text, ZoneInfo(zone)) is None
    assert wall_time_note(text + "T00:00", ZoneInfo(zone)) is not None


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       st.sampled_from([SHANGHAI, NEW_YORK, BERLIN]))
def test_a_wall_time_without_a_note_reads_back_as_written(naive: datetime, zone: ZoneInfo) -> None:
    text = naive.replace(microsecond=0).isoformat()
    if wall_time_note(text, zone) is None:
        assert parse_instant(text, zone).astimezone(zone).replace(tzinfo=None) == naive.replace(microsecond=0)
