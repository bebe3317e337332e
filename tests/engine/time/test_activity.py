"""When time lets a rule restrict: ``active`` intervals, one-off windows and recurring
schedules, with DST gaps and folds (docs/policy-format.md, docs/reference/time.md).

Schedules are expanded in wall-clock time of the bundle timezone; a start in a DST gap
reads with the offset in force before the gap (02:30 on a spring-forward night becomes
03:30 summer time), an ambiguous start takes its first occurrence, and ``duration`` is
elapsed time. Every expected instant below is worked out by hand and written in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

import chronolex
from chronolex.time.activity import active_by_time, occurrence_at, occurrences, schedule_boundaries, time_lift
from chronolex.model import Schedule
from chronolex.instants import Duration
from tests.conftest import HUABEI
from tests.replay_strategies import BUNDLES, local

UTC = timezone.utc
TICK = timedelta(microseconds=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(hour: int, minute: int, zone: str, duration: str = "PT1H", start: str = "2026-01-01") -> Schedule:
    return Schedule(f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute};BYSECOND=0", Duration.parse(duration),
                    local(start, zone))


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


def rule(bundle: chronolex.Bundle, version: str, rule_id: str) -> chronolex.Rule:
    found = bundle.version(version)
    assert found is not None
    chosen = found.rule(rule_id)
    assert chosen is not None
    return chosen


# -- active intervals and one-off windows ----------------------------------------------------------


def test_an_active_interval_is_half_open(huabei: chronolex.Bundle) -> None:
    freeze = rule(huabei, "2026.06", "PLAT-DOUBLE11-FREEZE")
    zone = huabei.timezone
    assert not active_by_time(freeze, local("2026-11-09T23:59:59.999999", zone), zone)
    assert active_by_time(freeze, local("2026-11-10T00:00", zone), zone)
    assert active_by_time(freeze, local("2026-11-12T23:59:59.999999", zone), zone)
    assert not active_by_time(freeze, local("2026-11-13T00:00", zone), zone)
    assert time_lift(freeze, local("2026-11-11T12:00", zone), zone)[0] == local("2026-11-13T00:00", zone)


def test_a_one_off_window_is_half_open(huabei: chronolex.Bundle) -> None:
    upgrade = rule(huabei, "2026.03", "MW-CORE-UPGRADE")
    zone = huabei.timezone
    assert not active_by_time(upgrade, local("2026-03-08T00:59:59", zone), zone)
    assert active_by_time(upgrade, local("2026-03-08T01:00", zone), zone)
    assert active_by_time(upgrade, local("2026-03-08T04:59:59.999999", zone), zone)
    assert not active_by_time(upgrade, local("2026-03-08T05:00", zone), zone)
    assert time_lift(upgrade, local("2026-03-08T01:30", zone), zone)[0] == local("2026-03-08T05:00", zone)


def test_a_rule_without_time_bounds_is_always_active(huabei: chronolex.Bundle) -> None:
    floor = rule(huabei, "2026.03", "PLAT-SCORE-FLOOR")
    zone = huabei.timezone
    assert active_by_time(floor, local("1999-01-01", zone), zone)
    assert time_lift(floor, local("2026-03-08", zone), zone) == (None, None)


# -- the weekly window of the shipped bundle (Asia/Shanghai, no DST) -----------------------------


def test_the_weekly_sunday_window_starts_at_effective_from(huabei: chronolex.Bundle) -> None:
    weekly = rule(huabei, "2026.03", "MW-WEEKLY")
    assert weekly.schedule is not None
    zone = huabei.timezone
    schedule = weekly.schedule
    assert schedule.start == local("2026-03-01", zone)  # no start given: effective_from of the version
    assert occurrence_at(schedule, local("2026-02-22T02:30", zone), zone) is None  # a Sunday before the start
    first = (local("2026-03-01T02:00", zone), local("2026-03-01T04:00", zone))
    assert occurrence_at(schedule, local("2026-03-01T02:00", zone), zone) == first
    assert occurrence_at(schedule, local("2026-03-01T03:59:59.999999", zone), zone) == first
    assert occurrence_at(schedule, local("2026-03-01T04:00", zone), zone) is None
    assert occurrence_at(schedule, local("2026-03-07T02:30", zone), zone) is None  # a Saturday
    assert list(islice(occurrences(schedule, local("2026-03-08T03:00", zone), zone), 3)) == [
        (local("2026-03-08T02:00", zone), local("2026-03-08T04:00", zone)),
        (local("2026-03-15T02:00", zone), local("2026-03-15T04:00", zone)),
        (local("2026-03-22T02:00", zone), local("2026-03-22T04:00", zone)),
    ]
    assert time_lift(weekly, local("2026-03-08T03:00", zone), zone)[0] == local("2026-03-08T04:00", zone)


def test_schedule_boundaries_are_starts_and_ends_in_time_order(huabei: chronolex.Bundle) -> None:
    weekly = rule(huabei, "2026.03", "MW-WEEKLY")
    assert weekly.schedule is not None
    zone = huabei.timezone
    found = list(islice(schedule_boundaries(weekly.schedule, local("2026-03-08T03:00", zone), zone), 4))
    assert found == [
        (local("2026-03-08T04:00", zone), "end"),
        (local("2026-03-15T02:00", zone), "start"),
        (local("2026-03-15T04:00", zone), "end"),
        (local("2026-03-22T02:00", zone), "start"),
    ]


# -- daily schedules across DST: 02:30 and 01:30, one hour each ----------------------------------------

# (zone, hour, minute, any instant of the day, the occurrence that day in UTC)
OCCURRENCES = [
    # New York, spring forward on 2026-03-08 at 02:00 EST -> 03:00 EDT
    ("America/New_York", 2, 30, "2026-03-07T12:00", ("2026-03-07T07:30", "2026-03-07T08:30")),  # 02:30 EST
    ("America/New_York", 2, 30, "2026-03-08T12:00", ("2026-03-08T07:30", "2026-03-08T08:30")),  # gap: 03:30 EDT
    ("America/New_York", 2, 30, "2026-03-09T12:00", ("2026-03-09T06:30", "2026-03-09T07:30")),  # 02:30 EDT
    # New York, fall back on 2026-11-01 at 02:00 EDT -> 01:00 EST: 02:30 happens once (EST)
    ("America/New_York", 2, 30, "2026-10-31T12:00", ("2026-10-31T06:30", "2026-10-31T07:30")),
    ("America/New_York", 2, 30, "2026-11-01T12:00", ("2026-11-01T07:30", "2026-11-01T08:30")),
    ("America/New_York", 2, 30, "2026-11-02T12:00", ("2026-11-02T07:30", "2026-11-02T08:30")),
    # 01:30 is ambiguous on 2026-11-01: the first (EDT) one, for one elapsed hour
    ("America/New_York", 1, 30, "2026-11-01T12:00", ("2026-11-01T05:30", "2026-11-01T06:30")),
    ("America/New_York", 1, 30, "2026-11-02T12:00", ("2026-11-02T06:30", "2026-11-02T07:30")),
    # Berlin, spring forward on 2026-03-29 at 02:00 CET -> 03:00 CEST: 02:30 becomes 03:30 CEST
    ("Europe/Berlin", 2, 30, "2026-03-28T12:00", ("2026-03-28T01:30", "2026-03-28T02:30")),
    ("Europe/Berlin", 2, 30, "2026-03-29T12:00", ("2026-03-29T01:30", "2026-03-29T02:30")),
    ("Europe/Berlin", 2, 30, "2026-03-30T12:00", ("2026-03-30T00:30", "2026-03-30T01:30")),
    # Berlin, fall back on 2026-10-25 at 03:00 CEST -> 02:00 CET: 02:30 is ambiguous, first one (CEST)
    ("Europe/Berlin", 2, 30, "2026-10-24T12:00", ("2026-10-24T00:30", "2026-10-24T01:30")),
    ("Europe/Berlin", 2, 30, "2026-10-25T12:00", ("2026-10-25T00:30", "2026-10-25T01:30")),
    ("Europe/Berlin", 2, 30, "2026-10-26T12:00", ("2026-10-26T01:30", "2026-10-26T02:30")),
    # Shanghai has no DST: always 18:30 UTC the day before
    ("Asia/Shanghai", 2, 30, "2026-03-08T12:00", ("2026-03-07T18:30", "2026-03-07T19:30")),
    ("Asia/Shanghai", 2, 30, "2026-03-29T12:00", ("2026-03-28T18:30", "2026-03-28T19:30")),
    ("Asia/Shanghai", 2, 30, "2026-11-01T12:00", ("2026-10-31T18:30", "2026-10-31T19:30")),
]


@pytest.mark.parametrize(("zone_name", "hour", "minute", "day", "expected"), OCCURRENCES)
def test_daily_occurrences_across_dst(zone_name: str, hour: int, minute: int, day: str,
                                      expected: tuple[str, str]) -> None:
    zone = ZoneInfo(zone_name)
    schedule = daily(hour, minute, zone_name)
    start, end = utc(expected[0]), utc(expected[1])
    assert end - start == timedelta(hours=1)  # the duration is elapsed time
    # the occurrence of that day, found from noon of the day before
    following = next(occurrences(schedule, local(day, zone) - timedelta(days=1), zone))
    assert following == (start, end)
    assert occurrence_at(schedule, start, zone) == (start, end)
    assert occurrence_at(schedule, end - TICK, zone) == (start, end)
    assert occurrence_at(schedule, start - TICK, zone) is None
    assert occurrence_at(schedule, end, zone) is None


def test_the_new_york_gap_night_is_not_restricted_before_0330_edt() -> None:
    zone = ZoneInfo("America/New_York")
    schedule = daily(2, 30, "America/New_York")
    assert occurrence_at(schedule, local("2026-03-08T03:00", zone), zone) is None  # 07:00 UTC
    assert occurrence_at(schedule, local("2026-03-08T03:29:59", zone), zone) is None
    assert occurrence_at(schedule, local("2026-03-08T03:30", zone), zone) is not None
    assert occurrence_at(schedule, local("2026-03-08T04:29:59", zone), zone) is not None
    assert occurrence_at(schedule, local("2026-03-08T04:30", zone), zone) is None


def test_the_repeated_hour_of_the_new_york_fold_night_is_inside_the_first_occurrence_only() -> None:
    zone = ZoneInfo("America/New_York")
    schedule = daily(1, 30, "America/New_York")
    # [01:30 EDT, 02:30 EDT) = [01:30 EDT, 01:30 EST): the repeated 01:00-01:30 EST is inside
    assert occurrence_at(schedule, utc("2026-11-01T06:15"), zone) == (utc("2026-11-01T05:30"), utc("2026-11-01T06:30"))
    assert occurrence_at(schedule, utc("2026-11-01T06:30"), zone) is None  # 01:30 EST
    assert occurrence_at(schedule, utc("2026-11-01T06:45"), zone) is None  # 01:45 EST


@pytest.mark.parametrize(("name", "rule_id", "zone_name", "at", "expected"), [
    ("dst-new-york", "MW-NIGHTLY-0230", "America/New_York", "2026-03-08T07:45", ("2026-03-08T07:30", "2026-03-08T08:30")),
    ("dst-new-york", "MW-NIGHTLY-0130", "America/New_York", "2026-11-01T06:00", ("2026-11-01T05:30", "2026-11-01T06:30")),
    ("dst-berlin", "MW-NIGHTLY", "Europe/Berlin", "2026-03-29T02:00", ("2026-03-29T01:30", "2026-03-29T02:30")),
    ("dst-berlin", "MW-NIGHTLY", "Europe/Berlin", "2026-10-25T00:45", ("2026-10-25T00:30", "2026-10-25T01:30")),
    ("dst-berlin", "MW-NIGHTLY", "Europe/Berlin", "2026-10-25T01:00", ("2026-10-25T00:30", "2026-10-25T01:30")),
])
def test_the_fixture_bundles_expand_their_schedules_the_same_way(name: str, rule_id: str, zone_name: str, at: str,
                                                                  expected: tuple[str, str]) -> None:
    bundle = chronolex.load_bundle(BUNDLES / name)
    assert bundle.timezone.key == zone_name
    found = rule(bundle, "2026.01", rule_id)
    assert found.schedule is not None
    instant = utc(at)
    assert occurrence_at(found.schedule, instant, bundle.timezone) == (utc(expected[0]), utc(expected[1]))
    assert active_by_time(found, instant, bundle.timezone)
    assert time_lift(found, instant, bundle.timezone)[0] == utc(expected[1])


def test_a_weekly_schedule_in_new_york_keeps_its_wall_time_across_dst() -> None:
    zone = ZoneInfo("America/New_York")
    schedule = Schedule("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", Duration(hours=2),
                        local("2026-01-01", zone))
    found = list(islice(occurrences(schedule, local("2026-02-28T12:00", zone), zone), 3))
    assert found == [
        (utc("2026-03-01T07:00"), utc("2026-03-01T09:00")),  # 02:00-04:00 EST
        (utc("2026-03-08T07:00"), utc("2026-03-08T09:00")),  # 02:00 is in the gap: 03:00-05:00 EDT
        (utc("2026-03-15T06:00"), utc("2026-03-15T08:00")),  # 02:00-04:00 EDT
    ]


# -- boundaries shared by the walks that ask the same question ------------------------------------------

@pytest.mark.parametrize("zone_name", ["Asia/Shanghai", "America/New_York", "Europe/Berlin"])
@pytest.mark.parametrize("rrule, duration", [
    ("FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "PT1H"),  # through the DST gap and fold
    ("FREQ=HOURLY;BYMINUTE=0,15,30,45;BYSECOND=0", "PT1M"),  # many boundaries: past the kept ones
    ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=1;BYMINUTE=0;BYSECOND=0", "P8D"),  # overlapping occurrences, merged
])
def test_a_question_asked_again_gets_the_boundaries_a_fresh_search_finds(zone_name: str, rrule: str,
                                                                        duration: str) -> None:
    import threading

    from chronolex.time import activity

    zone = ZoneInfo(zone_name)
    schedule = Schedule(rrule, Duration.parse(duration), local("2026-01-01", zone_name))
    for at in (local("2026-03-07T23:00", zone_name), local("2026-10-24T12:00", zone_name), utc("2026-02-28T16:00")):
        until = at + timedelta(days=40)
        fresh = list(islice(activity._boundaries(schedule, at, zone, until), 60))
        first = list(islice(schedule_boundaries(schedule, at, zone, until), 60))
        seen: list[list[tuple[datetime, str]]] = []
        threads = [threading.Thread(target=lambda: seen.append(list(islice(
            schedule_boundaries(schedule, at, zone, until), 60)))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert first == fresh and seen == [fresh] * 4
        # a walk that stops early and one that reads on both get the same as a fresh search
        assert list(islice(schedule_boundaries(schedule, at, zone, until), 3)) == fresh[:3]
