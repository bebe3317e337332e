"""A recorded time without an offset in a DST gap is refused, wherever events are read.

Such a time was read off no clock of the bundle's zone (its offset was lost, or a clock
was wrong), so any instant chosen for it may put the event an hour from where it
happened: the reader names the record, the gap and how to write the time. A date alone,
a wall time in a fold (its first occurrence, as for every instant) and any time with an
offset read as before.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.batch._text_columns import read_text_columns
from chronolex.cli.app import cli
from chronolex.errors import ChronolexError
from chronolex.events.files import read_event_files, read_event_records
from chronolex.instants import SkippedWallTime, parse_instant, parse_recorded_instant
from chronolex.lang.types import DATETIME
from tests.conftest import FIXTURES
from tests.examples import examples

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
BUNDLE = FIXTURES / "bundles" / "dst-new-york"


def lines(*ats: str) -> str:
    return "".join(json.dumps({"account": "a1", "at": at, "type": "login_failed"}) + "\n" for at in ats)


def test_a_wall_time_in_the_gap_is_refused_with_its_line_and_how_to_write_it(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(lines("2026-03-07T10:00", "2026-03-08T02:30", "2026-03-08T02:30-05:00"))
    with pytest.raises(ChronolexError) as caught:
        read_event_files([path], NEW_YORK)
    (problem,) = caught.value.diagnostics
    assert problem.code == "invalid-date" and problem.span is not None and problem.span.line == 2
    assert problem.message == (
        "field 'at': 2026-03-08T02:30 does not exist in America/New_York: the clocks jump forward over it "
        "(from 02:00 to 03:00); a recorded time there needs its UTC offset, e.g. 2026-03-08T02:30-05:00 "
        "if it was read before the change")


def test_dates_folds_offsets_and_other_zones_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(lines("2026-03-08", "2026-11-01T01:30", "2026-03-08T02:30-05:00", "2026-03-08T03:00"))
    read = [e.at for e in read_event_files([path], NEW_YORK)]
    assert read == [parse_instant(t, NEW_YORK) for t in ("2026-03-08", "2026-11-01T01:30",
                                                          "2026-03-08T02:30-05:00", "2026-03-08T03:00")]
    assert read[1] == datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)  # the fold's first 01:30 (EDT)
    path.write_text(lines("2026-03-08T02:30"))  # no gap that night in Shanghai
    assert read_event_files([path], ZoneInfo("Asia/Shanghai"))[0].at == datetime(2026, 3, 7, 18, 30, tzinfo=timezone.utc)


def test_recorded_at_in_a_request_body_is_checked_alike(tmp_path: Path) -> None:
    with pytest.raises(ChronolexError, match=r"field 'recorded_at': 2026-03-29T02:15 does not exist in Europe/Berlin"):
        read_event_records([{"account": "a1", "at": "2026-03-29T01:00", "type": "login_failed",
                             "recorded_at": "2026-03-29T02:15"}], BERLIN)


def test_a_date_alone_is_the_start_of_the_day_where_midnight_is_skipped() -> None:
    havana = ZoneInfo("America/Havana")  # clocks go from 00:00 to 01:00 on 8 March 2026
    assert parse_recorded_instant("2026-03-08", havana) == datetime(2026, 3, 8, 5, 0, tzinfo=timezone.utc)
    with pytest.raises(SkippedWallTime, match=r"from 00:00 to 01:00"):
        parse_recorded_instant("2026-03-08T00:30", havana)


def test_a_gap_of_a_whole_day_is_named_with_its_dates() -> None:
    with pytest.raises(SkippedWallTime, match=r"from 00:00 to 2011-12-31T00:00"):
        parse_recorded_instant("2011-12-30T10:00", ZoneInfo("Pacific/Apia"))


def test_the_columnar_reader_leaves_a_gap_time_to_the_reader_that_words_it(tmp_path: Path) -> None:
    bundle = chronolex.load_bundle(BUNDLE)
    path = tmp_path / "events.jsonl"
    path.write_text(lines("2026-03-07T10:00", "2026-03-08T03:30"))
    assert read_text_columns(bundle, [path]) is not None
    path.write_text(lines("2026-03-07T10:00", "2026-03-08T02:30"))
    assert read_text_columns(bundle, [path]) is None  # in doubt: the per-record reader decides


def test_ingest_and_why_exit_2_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(lines("2026-03-07T10:00", "2026-03-08T02:30"))
    for args in (["ingest", str(path), "--db", str(tmp_path / "s.db"), "--bundle", str(BUNDLE)],
                 ["why", "a1", "--bundle", str(BUNDLE), "--at", "2026-03-09T00:00", "--events", str(path)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "events.jsonl:2" in result.output and "does not exist in America/New_York" in result.output
    assert not (tmp_path / "s.db").exists()  # nothing half-written


ZONES = [NEW_YORK, BERLIN, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/Havana")]


def _changes(zone: ZoneInfo) -> list[datetime]:
    """The wall times (before the change) at which ``zone`` changes its offset, 2020-2030."""
    found = []
    day = datetime(2020, 1, 1, tzinfo=timezone.utc)
    while day.year < 2031:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            hour = day
            while hour.astimezone(zone).utcoffset() == day.astimezone(zone).utcoffset():
                hour += timedelta(minutes=15)
            found.append((hour - timedelta(minutes=15)).astimezone(zone).replace(tzinfo=None))
        day = following
    return found


CHANGES = {zone: _changes(zone) for zone in ZONES}


def shown_by_the_clocks(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether ``zone``'s clocks show ``wall``: read with its first offset and back, it is itself."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == wall


@st.composite
def zoned_walls(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and a wall time in it: half of them within three hours of one of its changes,
    where the gaps and folds are, which a uniform draw over ten years would hardly meet."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        change = draw(st.sampled_from(CHANGES[zone]))
        return zone, change + timedelta(minutes=draw(st.integers(-180, 180)))
    return zone, draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31))).replace(microsecond=0)


@settings(max_examples=examples(200, 2000), deadline=None)
@given(case=zoned_walls())
def test_a_wall_time_is_read_as_itself_or_refused_exactly_when_the_zone_skips_it(case: tuple[ZoneInfo, datetime]
                                                                                 ) -> None:
    zone, wall = case
    exists = shown_by_the_clocks(wall, zone)
    text = wall.isoformat()
    if exists:
        instant = parse_recorded_instant(text, zone)
        assert instant.astimezone(zone).replace(tzinfo=None) == wall
        assert instant == parse_instant(text, zone)
    else:
        with pytest.raises(SkippedWallTime) as caught:
            parse_recorded_instant(text, zone)
        # the example it suggests, with the offset before the change, is readable and names
        # the instant a typed wall time is read as (the offset in force before the gap)
        suggested = str(caught.value).split("e.g. ")[1].split(" ")[0]
        assert parse_recorded_instant(suggested, zone) == parse_instant(text, zone)


# -- a `datetime` field holds a recorded time too: the same rule wherever events are checked ----

MEETINGS = {"meeting_booked": chronolex.EventType("meeting_booked", {"starts": DATETIME})}


def booked(starts: str) -> dict[str, str]:
    return {"account": "a1", "at": "2026-03-01T09:00-05:00", "type": "meeting_booked", "starts": starts}


def test_a_datetime_field_in_the_gap_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(booked(t)) + "\n" for t in
                            ("2026-03-08T01:30", "2026-03-08T02:30", "2026-03-08T02:30-05:00", "2026-11-01T01:30")))
    with pytest.raises(ChronolexError) as caught:
        read_event_files([path], NEW_YORK, catalog=MEETINGS)
    (problem,) = caught.value.diagnostics
    assert problem.code == "bad-field-value" and problem.span is not None and problem.span.line == 2
    assert problem.message.startswith("field 'starts' of meeting_booked: 2026-03-08T02:30 does not exist in "
                                      "America/New_York") and "e.g. 2026-03-08T02:30-05:00" in problem.message
    assert problem.help == "write the time with its UTC offset"
    path.write_text("".join(json.dumps(booked(t)) + "\n" for t in ("2026-03-08T02:30-05:00", "2026-11-01T01:30")))
    assert len(read_event_files([path], NEW_YORK, catalog=MEETINGS)) == 2  # an offset, and a fold: as before


def test_a_stored_event_with_such_a_field_is_refused_when_a_question_reads_it(tmp_path: Path) -> None:
    # stored before the check existed (a store is ingested without a bundle's catalog)
    with chronolex.EventStore(tmp_path / "s.db", create=True) as store:
        store.ingest(read_event_records([booked("2026-03-08T02:30")], NEW_YORK))
        source = chronolex.CheckedSource(store, MEETINGS, NEW_YORK, "s.db")
        with pytest.raises(ChronolexError, match=r"account 'a1', event at .*field 'starts' of meeting_booked: "
                                                 r"2026-03-08T02:30 does not exist in America/New_York"):
            source.history("a1")


@settings(max_examples=examples(100, 1000), deadline=None)
@given(case=zoned_walls())
def test_a_datetime_field_is_refused_exactly_when_the_zone_skips_its_wall_time(case: tuple[ZoneInfo, datetime]
                                                                              ) -> None:
    zone, wall = case
    exists = shown_by_the_clocks(wall, zone)
    problems = list(chronolex.catalog_problems("meeting_booked", {"starts": wall.isoformat()}, MEETINGS, zone))
    assert (problems == []) == exists
    assert all("does not exist in" in p.message for p in problems)


def test_the_columnar_reader_leaves_a_datetime_field_in_the_gap_to_the_reader_that_words_it(tmp_path: Path) -> None:
    shutil.copytree(BUNDLE, tmp_path / "bundle")
    manifest = tmp_path / "bundle" / "bundle.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  login_failed: {}\n", "  login_failed: {}\n  meeting_booked: {fields: {starts: datetime}}\n"))
    bundle = chronolex.load_bundle(tmp_path / "bundle")
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(booked("2026-03-08T03:30")) + "\n")
    assert read_text_columns(bundle, [path]) is not None
    path.write_text(json.dumps(booked("2026-03-08T02:30")) + "\n")
    assert read_text_columns(bundle, [path]) is None  # in doubt: the per-record reader refuses it
    result = CliRunner().invoke(cli, ["why", "a1", "--bundle", str(tmp_path / "bundle"), "--at", "2026-03-09T00:00",
                                      "--events", str(path)])
    assert result.exit_code == 2 and "events.jsonl:1" in result.output, result.output
    assert "field 'starts' of meeting_booked: 2026-03-08T02:30 does not exist" in result.output

