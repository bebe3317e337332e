"""A recorded time without an offset in a DST gap is refused, wherever events are read.

Such a time was read off no clock of the bundle's zone (its offset was lost, or a clock
was wrong), so any instant chosen for it may put the event an hour from where it
happened: the reader names the record, the gap and how to write the time. A date alone,
a wall time in a fold (its first occurrence, as for every instant) and any time with an
offset read as before.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
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


@settings(max_examples=examples(200, 2000), deadline=None)
@given(zone=st.sampled_from(ZONES),
       wall=st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)).map(lambda d: d.replace(microsecond=0)))
def test_a_wall_time_is_read_as_itself_or_refused_exactly_when_the_zone_skips_it(zone: ZoneInfo,
                                                                                 wall: datetime) -> None:
    # a wall time exists when reading it with its first offset and back gives it again
    exists = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == wall
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
