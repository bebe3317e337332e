"""The edges of the supported years (1000-9000) and of the instant form, as a user meets them.

An instant given on the command line is refused (exit 2, one line) only when it is itself
outside the supported years or not in the form events use; an instant inside is answered,
even when a fact window reaches back past the year 1000 (it starts where the range does:
no event can be earlier). ``validate`` refuses, with the position, what evaluation could
not handle: a duration longer than :data:`~chronolex.instants.MAX_DURATION_YEARS` years
and an RRULE ``UNTIL`` outside the supported years.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chronolex.cli.app import cli
from chronolex.instants import INSTANT_PATTERN
from tests.conftest import HUABEI, ROOT
from tests.helpers.bundles import write

EVENTS = str(HUABEI / "examples" / "events.jsonl")
OLD = """\
bundle: old
timezone: Asia/Shanghai
actions: [open]
facts:
  overdue_12m: {type: int, derive: {max: overdue.days, window: P12M, default: 0}}
  failures_30d: {type: int, derive: {count: failed, window: P30D}}
"""
OLD_VERSION = """\
version: "1"
effective_from: 1000-01-01
published_at: 1000-01-01
rules:
  - {id: OVERDUE, category: platform, actions: [open], when: overdue_12m > 30}
  - {id: FAILURES, category: platform, actions: [open], when: failures_30d >= 1}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_with(option: str, text: str, begin: str, end: str) -> Result:
    """``why`` (for --at and --as-known-at, at ``end``) or ``timeline`` over [begin, end) on the
    shipped bundle, with ``option`` given ``text`` last, so that it wins."""
    if option in ("--at", "--as-known-at"):
        args = ["why", "acct-1002", "--at", end, "--events", EVENTS, option, text]
    else:
        args = ["timeline", "acct-1002", "--from", begin, "--to", end, "--events", EVENTS, option, text]
    return run(*args, "--bundle", str(HUABEI))


@pytest.fixture
def old(tmp_path: Path) -> tuple[str, str]:
    """A bundle in force from the first day of the supported years, and events in its first weeks."""
    write(tmp_path / "old" / "bundle.yaml", OLD)
    write(tmp_path / "old" / "versions" / "1.yaml", OLD_VERSION)
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"account": "a-1", "at": "1000-01-01T00:00:00+08:00", "type": "overdue", "days": 45}\n'
        '{"account": "a-1", "at": "1000-01-20T09:00:00", "type": "failed"}\n', encoding="utf-8")
    return str(tmp_path / "old"), str(events)


# -- item: windows reaching back past the year 1000 ------------------------------------------

@pytest.mark.parametrize("at", ["1000-01-01", "1000-01-01T00:00:00Z", "1000-01-15T12:00"])
@pytest.mark.parametrize("command", ["why", "timeline", "replay", "evaluate"])
def test_the_shipped_bundle_answers_at_the_first_day_of_the_supported_years(command: str, at: str,
                                                                           tmp_path: Path) -> None:
    bundle = ("--bundle", str(HUABEI))
    if command == "why":
        result = run("why", "acct-1002", "--at", at, "--events", EVENTS, *bundle)
    elif command == "timeline":
        result = run("timeline", "acct-1002", "--from", at, "--to", "1000-03-01", "--events", EVENTS, *bundle)
    elif command == "replay":
        result = run("replay", "--at", at, "--events", EVENTS, *bundle)
    else:
        facts = tmp_path / "facts.yaml"
        facts.write_text("{credit_score: 700}\n", encoding="utf-8")
        result = run("evaluate", "--facts", str(facts), "--at", at, "--action", "open", *bundle)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "no policy" in result.output.lower() or "no_policy" in result.output


def test_a_window_reaching_back_past_the_year_1000_holds_every_event_since(old: tuple[str, str]) -> None:
    bundle, events = old
    # at 1000-01-25 the P12M window starts in the year 999: the overdue event of 1 January counts
    result = run("why", "a-1", "--at", "1000-01-25", "--events", events, "--bundle", bundle, "--format", "json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)[0]
    assert decision["decision"] == "blocked"
    assert [r["rule"] for r in decision["reasons"]] == ["FAILURES", "OVERDUE"]
    assert decision["next_change"]["at"] == "1000-02-19T09:00:00+08:05:43"  # the failure leaves its P30D window
    timeline = run("timeline", "a-1", "--from", "1000-01-01", "--to", "1000-03-01", "--events", events,
                   "--bundle", bundle, "--format", "json")
    assert timeline.exit_code == 0, timeline.output
    # 00:00+08:00 is 00:05:43 in Beijing local mean time, which the zone uses in the year 1000
    intervals = json.loads(timeline.output)["timelines"]["open"]
    assert [(i["from"][:19], i["rules"]) for i in intervals] == [
        ("1000-01-01T00:00:00", []), ("1000-01-01T00:05:43", ["OVERDUE"]),
        ("1000-01-20T09:00:00", ["FAILURES", "OVERDUE"]), ("1000-02-19T09:00:00", ["OVERDUE"])]


@pytest.mark.parametrize("command", ["why", "replay"])
def test_the_shipped_bundle_answers_at_the_last_second_of_the_supported_years(command: str) -> None:
    args = ["--at", "9000-12-31T23:59:59", "--events", EVENTS, "--bundle", str(HUABEI)]
    result = run("why", "acct-1002", *args) if command == "why" else run("replay", *args)
    assert result.exit_code in (0, 1) and result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("option", ["--at", "--as-known-at", "--from", "--to"])
@pytest.mark.parametrize("text", ["0999-12-31T23:59:59", "9001-01-01", "0999-12-31T23:00:00+08:00"])
def test_a_time_option_outside_the_supported_years_is_refused_by_name(option: str, text: str) -> None:
    result = run_with(option, text, "2026-03-01", "2026-04-01")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"chronolex: error: {option}: ")
    assert "outside the supported years 1000-9000" in result.stderr and len(result.stderr.splitlines()) == 1


# -- item: the offset rule of events, for every instant ----------------------------------------

BAD_OFFSETS = ["+08:60", "+24:00", "-00:00", "+0800", "+08", "-24:00", "+08:00:60"]


@pytest.mark.parametrize("offset", BAD_OFFSETS)
@pytest.mark.parametrize("option", ["--at", "--as-known-at", "--from", "--to"])
def test_a_time_option_with_an_offset_events_refuse_is_refused(option: str, offset: str) -> None:
    text = f"2026-03-01T10:00{offset}"
    result = run_with(option, text, "2026-02-01", "2026-03-02")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"chronolex: error: {option}: {text!r} is not a valid date or date-time ({offset} is "
                             "not a UTC offset: write ±HH:MM with hours 00-23 and minutes 00-59, or Z (-00:00 "
                             "means an unknown offset))\n")


@pytest.mark.parametrize("offset", ["+08:00", "-05:00", "+23:59", "+00:00", "Z", "+05:45"])
def test_a_time_option_with_a_real_offset_is_read(offset: str) -> None:
    result = run("why", "acct-1002", "--at", f"2026-03-01T10:00{offset}", "--events", EVENTS,
                 "--bundle", str(HUABEI))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("offset", ["+08:60", "-00:00", "+24:00"])
@pytest.mark.parametrize("command", ["why", "replay", "timeline", "ingest"])
def test_an_event_with_a_bad_offset_is_a_bad_record_named_by_position(command: str, offset: str,
                                                                      tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(f'{{"account": "acct-1002", "at": "1000-02-16T00:43:54{offset}", "type": "login_failed"}}\n',
                      encoding="utf-8")
    bundle = ("--bundle", str(HUABEI))
    if command == "why":
        result = run("why", "acct-1002", "--at", "2026-03-01", "--events", str(events), *bundle)
    elif command == "replay":
        result = run("replay", "--at", "2026-03-01", "--events", str(events), *bundle)
    elif command == "timeline":
        result = run("timeline", "acct-1002", "--from", "2026-03-01", "--to", "2026-03-02", "--events", str(events),
                     *bundle)
    else:
        result = run("ingest", "--db", str(tmp_path / "store.db"), str(events), *bundle)
    assert result.exit_code == 2, result.output
    assert re.match(rf"chronolex: error: {re.escape(str(events))}:1:\d+: invalid-date: field 'at'", result.stderr)


def test_a_test_file_instant_with_a_bad_offset_is_refused_with_its_position(tmp_path: Path) -> None:
    target = tmp_path / "huabei"
    shutil.copytree(HUABEI, target)
    cases = target / "tests" / "platform.yaml"
    text = cases.read_text(encoding="utf-8")
    assert "      - at: 2024-04-30T10:00\n" in text
    cases.write_text(text.replace("      - at: 2024-04-30T10:00\n", '      - at: "2024-04-30T10:00+08:60"\n', 1),
                     encoding="utf-8")
    result = run("test", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"chronolex: error: {cases}:27:13: invalid-date: not an ISO 8601 date or date-time (an offset is Z or "
        '±HH:MM, hours 00-23, minutes 00-59, not -00:00): "2024-04-30T10:00+08:60" (at cases[0].table[0].at) '
        "(help: write 2026-03-01, 2026-03-01T02:00:00 or 2026-03-01T02:00:00+08:00)\n")


def test_the_event_and_test_schemas_use_the_engines_instant_form() -> None:
    for name in ("event", "test"):
        schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["$defs"]["instant"]["pattern"] == INSTANT_PATTERN


# -- item: validate refuses what evaluation cannot handle, with the position --------------------

def _break(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "huabei"
    shutil.copytree(HUABEI, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


WEEKLY = "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0"


@pytest.mark.parametrize(("file", "old", "new", "position", "code", "message"), [
    ("versions/2026.03.yaml", f'{WEEKLY}"', f'{WEEKLY};UNTIL=99991231T235959Z"', "231:23", "invalid-rrule",
     "UNTIL is outside the supported years 1000-9000 (leave UNTIL out for no end)"),
    ("versions/2026.03.yaml", f'{WEEKLY}"', f'{WEEKLY};UNTIL=09991231"', "231:23", "invalid-rrule",
     "UNTIL is outside the supported years 1000-9000 (leave UNTIL out for no end)"),
    ("bundle.yaml", "window: P12M", "window: P3000Y", "122:51", "invalid-duration",
     "'P3000Y' is longer than 900 years, the longest duration supported (instants are limited to the years "
     "1000-9000)"),
    ("versions/2026.03.yaml", "duration: PT2H}", "duration: P7000Y}", "231:88", "invalid-duration",
     "'P7000Y' is longer than 900 years, the longest duration supported (instants are limited to the years "
     "1000-9000)"),
    ("bundle.yaml", "window: P12M", "window: P10900M", "122:51", "invalid-duration",
     "'P10900M' is longer than 900 years, the longest duration supported (instants are limited to the years "
     "1000-9000)"),
])
def test_validate_refuses_what_evaluation_cannot_handle_with_its_position(
    tmp_path: Path, file: str, old: str, new: str, position: str, code: str, message: str
) -> None:
    target = _break(tmp_path, file, old, new)
    result = run("validate", str(target), "--format", "json")
    assert result.exit_code == 1, result.output
    found = [d for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"]
    assert [(d["code"], d["message"]) for d in found] == [(code, message)]
    line, column = position.split(":")
    assert (found[0]["line"], found[0]["column"]) == (int(line), int(column))


def test_a_window_of_900_years_is_accepted_and_answers(tmp_path: Path) -> None:
    target = _break(tmp_path, "bundle.yaml", "window: P12M", "window: P900Y")
    assert run("validate", str(target)).exit_code == 0
    for at in ("1000-01-01", "2026-03-16T10:00"):
        result = run("why", "acct-1002", "--at", at, "--action", "raise_limit", "--events", EVENTS,
                     "--bundle", str(target))
        assert result.exit_code == 0, result.output


def test_validate_checks_a_version_taking_effect_in_8999(tmp_path: Path) -> None:
    target = _break(tmp_path, "versions/2026.03.yaml", "effective_from: 2026-03-01", "effective_from: 8999-03-01")
    result = run("validate", str(target))
    assert result.exit_code in (0, 1) and result.exception is None or isinstance(result.exception, SystemExit)


def test_only_a_bad_offset_is_blamed_on_the_offset() -> None:
    from zoneinfo import ZoneInfo

    from chronolex.instants import ACCEPTED_FORMS, parse_instant

    with pytest.raises(ValueError) as caught:
        parse_instant("2026-01-01T10:00:00.1234567+08:00", ZoneInfo("Asia/Shanghai"))  # seven digits of fraction
    assert str(caught.value) == f"'2026-01-01T10:00:00.1234567+08:00' is not a valid date or date-time ({ACCEPTED_FORMS})"
