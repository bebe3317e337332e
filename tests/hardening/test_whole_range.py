"""A property over the whole supported range (years 1000-9000): ``why``, ``timeline``,
``validate`` and ``diff`` given any instant or date of it (its first and last day and
second included), written with any offset, end with the engine's own answer or error —
exit 0, 1 or 2 — and never with an exception. An offset that is not one (``+08:60``,
``+24:00``, ``-00:00``) and an instant outside the years are exit 2.

The bundle written here has windows, ``days_since``, an age from ``now``, ``active``
intervals and a one-off window; the shipped bundle adds recurring schedules, which the
walks expand up to the end of the range and no further.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chronolex.cli.app import cli
from tests.conftest import HUABEI
from tests.hardening.support import bounded
from tests.helpers.bundles import write

FIRST = datetime(1000, 1, 1)
LAST = datetime(9000, 12, 31, 23, 59, 59)
GOOD_OFFSETS = ["", "Z", "+08:00", "-05:00", "+23:59", "-23:59", "+05:45", "+00:00"]
BAD_OFFSETS = ["+08:60", "+24:00", "-00:00", "+0800", "-24:00"]
BUNDLE = """\
bundle: edge
timezone: Asia/Shanghai
actions: [open]
facts:
  overdue_12m: {type: int, derive: {max: overdue.days, window: P12M, default: 0}}
  failures_24h: {type: int, derive: {count: failed, window: PT24H}}
  since_failure: {type: int, derive: {days_since: failed}}
  spent_30d: {type: decimal, derive: {sum: paid.amount, window: P30D, default: 0}}
  birth_date: {type: date, derive: {latest: profile.birth_date}}
  age: {type: int, expr: "years_between(birth_date, now)"}
events:
  overdue: {fields: {days: int}}
  failed: {fields: {}}
  paid: {fields: {amount: decimal}}
  profile: {fields: {birth_date: date}}
"""
VERSION = """\
version: "{id}"
effective_from: "{eff}"
published_at: "{eff}"
{extends}rules:
  - {{id: OVERDUE, category: platform, actions: [open], when: "overdue_12m > {threshold}"}}
  - {{id: FAILURES, category: platform, actions: [open], when: "failures_24h >= 3"}}
  - {{id: RECENT, category: platform, actions: [open], when: "since_failure < 7"}}
  - {{id: SPENT, category: platform, actions: [open], when: "spent_30d >= 5000"}}
  - {{id: MINORS, category: regulation, actions: [open], when: "age < 18", on_unknown: block,
      source: {{authority: A, document: D, clause: "1"}}}}
  - {{id: FREEZE, category: platform, actions: [open], active: {{from: "{start}", until: "{end}"}}}}
  - {{id: UPGRADE, category: maintenance, actions: [open], window: {{start: "{start}", end: "{end}"}}}}
"""
EVENTS = [
    {"account": "a-1", "at": "1000-01-01", "type": "overdue", "days": 45},
    {"account": "a-1", "at": "1000-01-01T00:00:00+23:59", "type": "failed"},
    {"account": "a-1", "at": "1000-01-02T08:00:00", "type": "profile", "birth_date": "1000-01-01"},
    {"account": "a-1", "at": "2026-03-01T10:00:00+08:00", "type": "paid", "amount": "6000"},
    {"account": "a-1", "at": "9000-12-31T23:00:00", "type": "failed"},
    {"account": "a-1", "at": "9000-12-31T23:59:59-23:59", "type": "overdue", "days": 90},
]


def run(args: list[str]) -> Result:
    with bounded(" ".join(args[:2]), 20):
        return CliRunner().invoke(cli, args)


def settled(result: Result, bad: bool) -> None:
    """The engine answered or refused: exit 0, 1 or 2, no exception; 2 for a bad instant."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if bad:
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("chronolex: error: ")
    else:
        assert result.exit_code in (0, 1, 2), result.output


@st.composite
def written_instants(draw: st.DrawFn) -> tuple[str, bool]:
    """An instant of the supported years as text, and whether it must be refused."""
    moment = draw(st.one_of(
        st.sampled_from([FIRST, LAST, FIRST + timedelta(seconds=1), LAST - timedelta(seconds=1),
                         datetime(1000, 12, 31), datetime(9000, 1, 1), datetime(2026, 3, 8, 2, 30)]),
        st.datetimes(min_value=FIRST, max_value=LAST),
    ))
    form = draw(st.sampled_from(["date", "minutes", "seconds"]))
    if form == "date":
        return moment.date().isoformat(), False
    text = moment.isoformat(timespec=form)
    offset = draw(st.sampled_from(GOOD_OFFSETS + BAD_OFFSETS))
    return text + offset, offset in BAD_OFFSETS


OUTSIDE = ["0999-12-31", "0999-12-31T23:59:59", "9001-01-01", "9001-01-01T00:00:00+08:00"]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("whole-range")
    bundle = root / "edge"
    write(bundle / "bundle.yaml", BUNDLE)
    write(bundle / "versions" / "1.yaml", VERSION.format(id="1", eff="1000-01-01", extends="", threshold=30,
                                                           start="2026-03-08T01:00", end="2026-03-08T05:00"))
    events = root / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return bundle, str(events)


PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@PROPERTY
@given(written=written_instants())
@example(written=("1000-01-01", False))
@example(written=("9000-12-31T23:59:59", False))
@example(written=("9000-12-31T23:59:59-23:59", False))
@example(written=("1000-01-01T00:00:00+23:59", False))
@example(written=("2026-03-01T10:00+08:60", True))
def test_why_answers_or_refuses_any_instant_of_the_range(edge: tuple[Path, str], written: tuple[str, bool]) -> None:
    bundle, events = edge
    text, bad = written
    settled(run(["why", "a-1", "--at", text, "--events", events, "--bundle", str(bundle), "--format", "json"]), bad)
    settled(run(["why", "a-1", "--at", "2026-03-01", "--as-known-at", text, "--events", events,
                 "--bundle", str(bundle)]), bad)


@PROPERTY
@given(start=written_instants(), days=st.integers(1, 400))
@example(start=("1000-01-01", False), days=3)
@example(start=("9000-12-01", False), days=30)
def test_timeline_answers_or_refuses_any_range_of_the_supported_years(edge: tuple[Path, str],
                                                                      start: tuple[str, bool], days: int) -> None:
    bundle, events = edge
    text, bad = start
    begin = datetime.fromisoformat(text[:10])
    end = min(begin + timedelta(days=days), datetime(9000, 12, 31, 23, 59, 59))
    if end <= begin:
        return
    result = run(["timeline", "a-1", "--from", text, "--to", end.isoformat(), "--events", events,
                  "--bundle", str(bundle), "--format", "json"])
    settled(result, bad)


@PROPERTY
@given(effective=written_instants(), start=written_instants(), end=written_instants())
@example(effective=("1000-01-01", False), start=("1000-01-01", False), end=("9000-12-31T23:59:59", False))
@example(effective=("9000-12-31", False), start=("9000-12-31T00:00", False), end=("9000-12-31T23:59:59", False))
def test_validate_and_diff_check_any_dates_of_the_range(tmp_path_factory: pytest.TempPathFactory,
                                                        edge: tuple[Path, str], effective: tuple[str, bool],
                                                        start: tuple[str, bool], end: tuple[str, bool]) -> None:
    _, events = edge
    root = tmp_path_factory.mktemp("drawn")
    bundle = root / "edge"
    write(bundle / "bundle.yaml", BUNDLE)
    write(bundle / "versions" / "1.yaml", VERSION.format(id="1", eff="1000-01-01", extends="", threshold=30,
                                                           start="2026-03-08T01:00", end="2026-03-08T05:00"))
    write(bundle / "versions" / "2.yaml", VERSION.format(id="2", eff=effective[0], extends="", threshold=60,
                                                           start=start[0], end=end[0]))
    result = run(["validate", str(bundle), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    if effective[1] or start[1] or end[1]:
        assert result.exit_code != 0
        assert "invalid-date" in result.output or "schema" in result.output
    if result.exit_code != 0:
        return
    for semantic in (["--no-semantic"], []):
        settled(run(["diff", f"{bundle}@1", f"{bundle}@2", *semantic]), False)
    settled(run(["diff", f"{bundle}@1", f"{bundle}@2", "--no-semantic", "--accounts", "--events", events,
                 "--at", start[0]]), start[1])


@pytest.mark.parametrize("text", OUTSIDE)
def test_an_instant_outside_the_range_is_refused_by_every_command(edge: tuple[Path, str], text: str) -> None:
    bundle, events = edge
    for args in (["why", "a-1", "--at", text], ["timeline", "a-1", "--from", text, "--to", "2026-01-01"],
                 ["replay", "--at", text]):
        result = run([*args, "--events", events, "--bundle", str(bundle)])
        settled(result, True)
        assert "outside the supported years 1000-9000" in result.stderr


@PROPERTY
@given(written=written_instants())
@example(written=("9000-12-31T23:59:59", False))
def test_the_shipped_bundle_answers_or_refuses_any_instant_of_the_range(written: tuple[str, bool]) -> None:
    text, bad = written
    events = str(HUABEI / "examples" / "events.jsonl")
    settled(run(["why", "acct-1002", "--at", text, "--events", events, "--bundle", str(HUABEI)]), bad)
    # a year at most: a weekly schedule over thousands of years is more change points than a walk takes
    until = f"{min(int(text[:4]) + 1, 9000):04d}-12-31T23:59:59" if text[:4].isdigit() else "9000-12-31T23:59:59"
    settled(run(["timeline", "acct-1002", "--from", text, "--to", until, "--events", events,
                 "--bundle", str(HUABEI)]), bad)
