"""Schedules whose occurrences overlap, are fine-grained, never come, or reach the end
of the supported years: each answers, and at a cost that follows the answer.

Each test starts from the shipped bundle with one schedule changed, as a policy author
would change it. The figures of what these cost are printed by ``benchmarks/evaluate.py``;
here the answers are checked.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.cli.app import cli
from chronolex.time.activity import schedule_boundaries
from tests.conftest import HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")
WEEKLY = 'schedule: {rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", duration: PT2H}'
QUARTER = """  - id: MW-QUARTER
    category: maintenance
    title: Quarter-hourly settlement
    actions: [borrow]
    schedule: {rrule: "FREQ=HOURLY;BYMINUTE=0,15,30,45;BYSECOND=0", duration: PT1M}
    message: Settlement in progress.
    remedy: Try again in a minute.
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def changed(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped bundle with ``old`` replaced by ``new`` in its 2026.03 version."""
    target = tmp_path / "huabei"
    shutil.copytree(HUABEI, target)
    path = target / "versions" / "2026.03.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def quarterly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return changed(tmp_path_factory.mktemp("quarter"), "  - id: MW-WEEKLY\n", QUARTER + "  - id: MW-WEEKLY\n")


def test_occurrences_that_last_a_year_each_week_are_one_stretch_with_no_end(tmp_path: Path) -> None:
    bundle = changed(tmp_path, WEEKLY, WEEKLY.replace("PT2H", "P1Y"))
    validated = run("validate", str(bundle))
    assert "warning[overlapping-occurrences]: each occurrence lasts P1Y, but occurrences start as little as " \
           "7 days apart" in validated.output
    result = run("why", "acct-1002", "--action", "open", "--at", "2026-03-08T01:30", "--events", EVENTS,
                 "--bundle", str(bundle), "--format", "json")
    assert result.exit_code == 0, result.output
    reasons = {r["rule"]: r for r in json.loads(result.output)["reasons"]}
    assert reasons["MW-WEEKLY"]["lifts"] is None or reasons["MW-WEEKLY"]["lifts"]["at"] is None
    loaded = chronolex.load_bundle(bundle)
    rule = next(r for v in loaded.versions if v.id == "2026.03" for r in v.rules if r.id == "MW-WEEKLY")
    assert rule.schedule is not None
    after = datetime(2026, 2, 1, tzinfo=timezone.utc)
    boundaries = list(schedule_boundaries(rule.schedule, after, loaded.timezone, after + timedelta(days=3660)))
    # one start, Sunday 1 March 2026 02:00 Beijing time (the version's first day); the
    # occurrences merge for ever after
    assert boundaries == [(datetime(2026, 2, 28, 18, tzinfo=timezone.utc), "start")]


def test_a_quarter_hourly_window_gives_every_minute_it_blocks(quarterly: Path) -> None:
    result = run("timeline", "acct-1001", "--action", "borrow", "--from", "2026-03-17", "--to", "2026-03-19",
                 "--events", EVENTS, "--bundle", str(quarterly), "--format", "json")
    assert result.exit_code == 0, result.output
    intervals = json.loads(result.output)["timelines"]["borrow"]
    blocked = [i for i in intervals if i["decision"] == "blocked"]
    assert len(blocked) == 2 * 24 * 4
    assert all(i["rules"] == ["MW-QUARTER"] for i in blocked)
    assert {(i["from"][14:19], i["to"][14:19]) for i in blocked} == {
        (f"{m:02d}:00", f"{m + 1:02d}:00") for m in (0, 15, 30, 45)}
    assert "incomplete" not in json.loads(result.output)


@settings(max_examples=25, deadline=None)
@given(minute=st.integers(0, 2 * 24 * 60 - 1), second=st.integers(0, 59))
def test_the_quarter_hourly_timeline_agrees_with_the_decision_at_any_instant(quarterly: Path, minute: int,
                                                                            second: int) -> None:
    bundle = chronolex.load_bundle(quarterly)
    history = chronolex.MemorySource(chronolex.read_events(EVENTS, bundle.timezone)).history("acct-1001")
    start = chronolex.parse_instant("2026-03-17", bundle.timezone)
    at = start + timedelta(minutes=minute, seconds=second)
    decision = chronolex.decide(bundle, history, "borrow", at)
    blocked = at.astimezone(bundle.timezone).minute % 15 == 0
    assert ("MW-QUARTER" in {r.rule.id for r in decision.reasons}) == blocked


def test_a_recurrence_that_never_comes_is_refused_where_it_is_written(tmp_path: Path) -> None:
    never = changed(tmp_path, WEEKLY, WEEKLY.replace("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0",
                                                     "FREQ=HOURLY;BYYEARDAY=-1;BYMONTH=2"))
    result = run("validate", str(never))
    assert result.exit_code == 1
    assert "2026.03.yaml:231:23: error[invalid-rrule]: this RRULE never produces an occurrence: it has none " \
           "in the 400 years after its start" in result.output


def test_byeaster_is_not_rfc_5545_and_is_refused(tmp_path: Path) -> None:
    easter = changed(tmp_path, WEEKLY, WEEKLY.replace("BYDAY=SU;", "BYEASTER=-2;"))
    result = run("validate", str(easter))
    assert result.exit_code == 1
    assert "BYEASTER is not a part of an RFC 5545 RRULE" in result.output


def test_a_search_that_reaches_the_end_of_the_supported_years_says_so() -> None:
    result = run("why", "acct-1002", "--action", "open", "--at", "9000-12-31T23:59:59", "--events", EVENTS,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    notes = json.loads(result.output)["notes"]
    assert any("no change was looked for after 9000-12-31T23:59:59+08:00, the end of the supported years"
               in note for note in notes)
    assert json.loads(result.output)["next_change"]["at"] is None


def test_a_weekly_window_is_found_in_the_last_week_of_the_supported_years() -> None:
    result = run("why", "acct-1002", "--action", "open", "--at", "9000-12-28T02:30", "--events", EVENTS,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    decided = json.loads(result.output)
    assert datetime(9000, 12, 28).weekday() == 6  # a Sunday: MW-WEEKLY runs 02:00-04:00
    assert [r["rule"] for r in decided["reasons"]] == ["MW-WEEKLY"]
