"""The structural diff (engine/diff/structural.py) and the temporal phrases it uses (engine/time/describe.py).

Hand-written pairs for each kind of change, made by editing the YAML text of a copy of
the shipped bundle; properties: a side compared with itself has no change, and the
diff from B to A mirrors the diff from A to B (added and removed swap, old and new swap).
"""

from __future__ import annotations

import doctest
import itertools
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import chronolex
import chronolex.time.describe
import chronolex.diff.structural
from chronolex.time.describe import (
    duration_words,
    instant_words,
    interval_change_words,
    join_words,
    schedule_change_words,
    schedule_words,
    timedelta_words,
)
from chronolex.model import Bundle, Interval, Rule, Schedule, Version
from chronolex.diff.sides import Side
from chronolex.diff.structural import KINDS, Change, StructuralDiff, structural_diff
from chronolex.instants import Duration, parse_instant
from tests.conftest import HUABEI

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
SHIPPED = chronolex.load_bundle(HUABEI)
VERSION_IDS = [version.id for version in SHIPPED.versions]
MIRROR_KIND = {
    "rule-added": "rule-removed", "rule-removed": "rule-added",
    "fact-added": "fact-removed", "fact-removed": "fact-added",
    "version-added": "version-removed", "version-removed": "version-added",
}


# --- helpers --------------------------------------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in a policy file (fails loudly if it is not there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def version_sides(old: Bundle, new: Bundle, version_id: str, new_id: str | None = None) -> tuple[Side, Side]:
    new_id = new_id or version_id
    return (Side(f"old@{version_id}", old, old.version(version_id)), Side(f"new@{new_id}", new, new.version(new_id)))


def bundle_diff(old: Bundle, new: Bundle) -> StructuralDiff:
    return structural_diff(Side("old", old), Side("new", new))


def pinned_diff(old: Bundle, new: Bundle, version_id: str) -> StructuralDiff:
    return structural_diff(*version_sides(old, new, version_id))


def facts_of(diff: StructuralDiff) -> list[tuple[Any, ...]]:
    return sorted(((c.kind, c.subject, c.version, c.field, c.old, c.new) for c in diff.changes), key=repr)


def mirrored(diff: StructuralDiff) -> list[tuple[Any, ...]]:
    """What the diff in the other direction must hold: kinds swapped, old and new swapped."""
    return sorted(
        (
            (MIRROR_KIND.get(c.kind, c.kind), c.old if c.kind == "rule-renamed" else c.subject, c.version, c.field,
             c.new, c.old)
            for c in diff.changes
        ),
        key=repr,
    )


def assert_well_formed(diff: StructuralDiff) -> None:
    """Sorted, plain JSON, every kind known, every sentence a sentence."""
    assert list(diff.changes) == sorted(diff.changes, key=lambda c: c.sort_key)
    document = diff.to_json()
    assert json.loads(json.dumps(document)) == document
    for change in diff.changes:
        assert change.kind in KINDS
        assert change.text[:1].isupper() and change.text.endswith("."), change.text
        if change.kind == "rule-changed":
            assert change.text.startswith(f"Rule {change.subject}"), change.text
        if change.kind == "version-redated":
            assert change.text.startswith(f"Version {change.subject} "), change.text


def only(diff: StructuralDiff) -> Change:
    assert len(diff.changes) == 1, [c.text for c in diff.changes]
    return diff.changes[0]


@pytest.fixture
def loaded(huabei_copy: Path) -> tuple[Path, Any]:
    """The copy's directory and a function that loads it as it stands."""
    return huabei_copy, lambda: chronolex.load_bundle(huabei_copy)


# --- describe: durations, instants, intervals -------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=2), "2 days"),
        (timedelta(hours=3), "3 hours"),
        (timedelta(days=1, hours=2), "1 day 2 hours"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(days=-1), "1 day"),
        (timedelta(seconds=61), "1 minute 1 second"),
    ],
)
def test_timedelta_words(delta: timedelta, words: str) -> None:
    assert timedelta_words(delta) == words


def test_duration_words_keep_the_written_parts() -> None:
    assert duration_words(Duration.parse("P12M")) == "12 months"
    assert duration_words(Duration.parse("PT24H")) == "24 hours"
    assert duration_words(Duration.parse("P1Y1W1DT1M")) == "1 year 1 week 1 day 1 minute"


def test_instants_read_as_local_dates_at_midnight_else_date_and_time() -> None:
    assert instant_words(parse_instant("2026-04-01", SHANGHAI), SHANGHAI) == "2026-04-01"
    assert instant_words(parse_instant("2026-03-08T01:00:00+08:00", SHANGHAI), SHANGHAI) == "2026-03-08 01:00"
    assert instant_words(parse_instant("2026-03-08T01:00:30", SHANGHAI), SHANGHAI) == "2026-03-08 01:00:30"
    # the same instant is not midnight in another zone
    assert instant_words(parse_instant("2026-04-01", SHANGHAI), UTC) == "2026-03-31 16:00"


def interval(start: str | None, end: str | None, zone: ZoneInfo = SHANGHAI) -> Interval:
    return Interval(parse_instant(start, zone) if start else None, parse_instant(end, zone) if end else None)


def test_a_window_moved_as_a_whole() -> None:
    old = interval("2026-03-08T01:00", "2026-03-08T05:00")
    new = interval("2026-03-10T01:00", "2026-03-10T05:00")
    assert interval_change_words(old, new, SHANGHAI, "window") == (
        "window moved 2 days later (now from 2026-03-10 01:00 until 2026-03-10 05:00)"
    )
    assert interval_change_words(new, old, SHANGHAI, "window").startswith("window moved 2 days earlier")


def test_a_move_across_a_dst_change_reads_in_wall_clock_days() -> None:
    # 2026-03-29 is spring-forward night in Berlin: one local day later is 23 elapsed hours
    old = interval("2026-03-28T10:00", "2026-03-28T12:00", BERLIN)
    new = interval("2026-03-29T10:00", "2026-03-29T12:00", BERLIN)
    assert new.start is not None and old.start is not None
    assert new.start - old.start == timedelta(hours=23)
    assert interval_change_words(old, new, BERLIN, "window").startswith("window moved 1 day later")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (("2026-05-01", "2026-06-01"), ("2026-04-01", "2026-06-01"),
         "restriction now starts 2026-04-01 instead of 2026-05-01"),
        (("2026-05-01", "2026-06-01"), ("2026-05-01", None), "restriction now has no end (was 2026-06-01)"),
        (("2026-05-01", None), ("2026-05-01", "2026-06-01"), "restriction now ends 2026-06-01 (had no end)"),
        ((None, "2026-06-01"), ("2026-05-01", "2026-06-01"), "restriction now starts 2026-05-01 (had no start)"),
        (("2026-05-01", "2026-06-01"), ("2026-05-02", "2026-06-03"),
         "restriction now starts 2026-05-02 instead of 2026-05-01 and ends 2026-06-03 instead of 2026-06-01"),
    ],
)
def test_bounds_that_did_not_move_together(
    old: tuple[str | None, str | None], new: tuple[str | None, str | None], words: str
) -> None:
    assert interval_change_words(interval(*old), interval(*new), SHANGHAI, "restriction") == words


_UNITS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}


def _read_words(words: str) -> int:
    """Seconds named by ``2 days 3 hours``: a reader of the phrase, independent of the writer."""
    return sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+) (day|hour|minute|second)s?", words))


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    length=st.integers(min_value=1, max_value=10 * 24 * 60),
    shift=st.integers(min_value=-60 * 24 * 60, max_value=60 * 24 * 60).filter(bool),
)
def test_a_shifted_window_says_how_far_and_which_way(start: datetime, length: int, shift: int) -> None:
    begin = start.replace(tzinfo=UTC, microsecond=0)
    old = Interval(begin, begin + timedelta(minutes=length))
    new = Interval(begin + timedelta(minutes=shift), begin + timedelta(minutes=length + shift))
    words = interval_change_words(old, new, UTC, "window")
    moved = re.match(r"window moved (.+) (later|earlier) \(now ", words)
    assert moved is not None, words
    assert _read_words(moved.group(1)) == abs(shift) * 60
    assert moved.group(2) == ("later" if shift > 0 else "earlier")


# --- describe: recurring windows ---------------------------------------------------------

START = parse_instant("2026-03-01", SHANGHAI)  # a Sunday, midnight


def weekly(rrule: str, duration: str = "PT2H", start: datetime = START) -> Schedule:
    return Schedule(rrule, Duration.parse(duration), start)


@pytest.mark.parametrize(
    ("rrule", "duration", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", "PT2H", "weekly on Sunday 02:00–04:00"),
        ("FREQ=WEEKLY;BYDAY=SU,SA;BYHOUR=1;BYMINUTE=30", "PT90M", "weekly on Saturday and Sunday 01:30–03:00"),
        ("FREQ=WEEKLY;BYDAY=FR,MO,WE;BYHOUR=23", "PT2H",
         "weekly on Monday, Wednesday and Friday 23:00–01:00 next day"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU;BYHOUR=2", "PT2H", "every 2 weeks on Sunday 02:00–04:00"),
        ("FREQ=DAILY;BYHOUR=3", "PT30M", "daily 03:00–03:30"),
        ("FREQ=DAILY;INTERVAL=3;BYHOUR=3", "PT1H", "every 3 days 03:00–04:00"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=2", "PT2H", "monthly on the 1st and 15th 02:00–04:00"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=22", "PT1H", "monthly on the last day 22:00–23:00"),
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;UNTIL=20261231", "PT2H", "weekly on Sunday 02:00–04:00, until 2026-12-31"),
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;COUNT=4", "PT2H", "weekly on Sunday 02:00–04:00, 4 times in all"),
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", "P2D", "weekly on Sunday 02:00 for 2 days"),
        # parts left out take the start's values (RFC 5545): Sunday, midnight
        ("FREQ=WEEKLY", "PT1H", "weekly on Sunday 00:00–01:00"),
    ],
)
def test_common_schedule_shapes_in_words(rrule: str, duration: str, words: str) -> None:
    assert schedule_words(weekly(rrule, duration), SHANGHAI).full == words


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=11",  # a frequency with no words here
        "FREQ=DAILY;BYHOUR=2,14",  # two starts a day
        "FREQ=MONTHLY;BYDAY=1SU;BYHOUR=2",  # an ordinal weekday
        "FREQ=HOURLY;INTERVAL=6",
    ],
)
def test_other_schedules_fall_back_to_the_rrule_text(rrule: str) -> None:
    words = schedule_words(weekly(rrule), SHANGHAI)
    assert not words.described
    assert words.full == f"{rrule} lasting 2 hours"


def test_the_weekly_change_names_the_frequency_once() -> None:
    old = weekly("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0")
    new = weekly("FREQ=WEEKLY;BYDAY=SA;BYHOUR=1;BYMINUTE=0;BYSECOND=0")
    assert schedule_change_words(old, new, SHANGHAI) == (
        "weekly window changed from Sunday 02:00–04:00 to Saturday 01:00–03:00"
    )
    daily = weekly("FREQ=DAILY;BYHOUR=1")
    assert schedule_change_words(old, daily, SHANGHAI) == (
        "recurring window changed from weekly on Sunday 02:00–04:00 to daily 01:00–03:00"
    )


@pytest.mark.parametrize("module", [chronolex.time.describe, chronolex.diff.structural])
def test_docstring_examples(module: ModuleType) -> None:
    failed, _ = doctest.testmod(module)
    assert failed == 0


def test_join_words() -> None:
    said = [join_words(items) for items in ([], ["a"], ["a", "b"], ["a", "b", "c"])]
    assert said == ["", "a", "a and b", "a, b and c"]


# --- the structural diff: identity and mirror on the shipped bundle -----------------------


@pytest.mark.parametrize("version_id", VERSION_IDS)
def test_a_version_compared_with_itself_has_no_change(version_id: str) -> None:
    again = chronolex.load_bundle(HUABEI)
    diff = pinned_diff(SHIPPED, again, version_id)
    assert diff.empty and diff.to_json() == []


def test_a_bundle_compared_with_itself_has_no_change() -> None:
    assert bundle_diff(SHIPPED, chronolex.load_bundle(HUABEI)).empty


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(VERSION_IDS, 2)))
def test_every_pair_of_shipped_versions_mirrors(a: str, b: str) -> None:
    forth = structural_diff(Side(a, SHIPPED, SHIPPED.version(a)), Side(b, SHIPPED, SHIPPED.version(b)))
    back = structural_diff(Side(b, SHIPPED, SHIPPED.version(b)), Side(a, SHIPPED, SHIPPED.version(a)))
    assert not forth.empty
    assert facts_of(back) == mirrored(forth)
    assert_well_formed(forth)


def test_shipped_2026_03_to_2026_06() -> None:
    diff = structural_diff(*version_sides(SHIPPED, SHIPPED, "2026.03", "2026.06"))
    assert [(c.kind, c.subject) for c in diff.changes] == [
        ("rule-added", "PLAT-DOUBLE11-FREEZE"),
        ("rule-removed", "MW-CORE-UPGRADE"),
    ]
    added, removed = diff.changes
    assert "restricts raise_limit" in added.text and "active from 2026-11-10 until 2026-11-13" in added.text
    assert added.to_json()["new"]["active"] == {"start": "2026-11-10T00:00:00+08:00",
                                                "end": "2026-11-13T00:00:00+08:00"}
    assert "window from 2026-03-08 01:00 until 2026-03-08 05:00" in removed.text
    assert removed.to_json()["old"]["window"]["start"] == "2026-03-08T01:00:00+08:00"


def test_shipped_2025_07_to_2026_03() -> None:
    diff = structural_diff(*version_sides(SHIPPED, SHIPPED, "2025.07", "2026.03"))
    by_key = {(c.kind, c.subject, c.field): c for c in diff.changes}
    assert set(by_key) == {
        ("rule-added", "MW-CORE-UPGRADE", None),
        ("rule-added", "MW-WEEKLY", None),
        ("rule-changed", "PLAT-RECENT-BORROWING", "when"),
        ("rule-changed", "PLAT-RECENT-BORROWING", "remedy"),
        ("rule-changed", "PLAT-SCORE-FLOOR", "when"),
        ("rule-changed", "PLAT-SCORE-FLOOR", "unless"),
        ("rule-changed", "PLAT-SCORE-FLOOR", "remedy"),
    }
    floor = by_key[("rule-changed", "PLAT-SCORE-FLOOR", "when")]
    assert (floor.old, floor.new) == ("credit_score < 550", "credit_score < 600")
    assert floor.text == "Rule PLAT-SCORE-FLOOR now applies when `credit_score < 600` instead of `credit_score < 550`."
    exemption = by_key[("rule-changed", "PLAT-SCORE-FLOOR", "unless")]
    assert (exemption.old, exemption.new) == (None, 'account_tier == "pilot"')
    assert "now exempts accounts where" in exemption.text
    assert "weekly on Sunday 02:00–04:00" in by_key[("rule-added", "MW-WEEKLY", None)].text
    # rule-changed rows of one rule follow the field order: when before unless before remedy
    fields = [c.field for c in diff.changes if c.subject == "PLAT-SCORE-FLOOR"]
    assert fields == ["when", "unless", "remedy"]


def test_shipped_2025_01_to_2025_07_reports_the_fail_closed_minors_rule() -> None:
    diff = structural_diff(*version_sides(SHIPPED, SHIPPED, "2025.01", "2025.07"))
    change = next(c for c in diff.changes if c.field == "on_unknown")
    assert (change.subject, change.old, change.new) == ("REG-MINORS", "undetermined", "block")
    assert change.text.startswith("Rule REG-MINORS now blocks when a fact it needs is unknown")


def test_mixed_sides_are_refused() -> None:
    with pytest.raises(ValueError, match="version with a version"):
        structural_diff(Side("v", SHIPPED, SHIPPED.version("2026.03")), Side("b", SHIPPED))


# --- hand-written pairs, one per kind of change ----------------------------------------------

V2603 = "versions/2026.03.yaml"


def test_a_reformatted_condition_is_no_change(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "when: credit_score < 600", "when: (credit_score<600)")
    edit(root / V2603, 'unless: account_tier == "pilot"', "unless: account_tier=='pilot'")
    new = load()
    assert new.version("2026.03").rule("PLAT-SCORE-FLOOR").when.text == "(credit_score<600)"
    assert pinned_diff(SHIPPED, new, "2026.03").empty
    assert bundle_diff(SHIPPED, new).empty


def test_a_changed_operator_is_a_change(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "when: credit_score < 600", "when: credit_score <= 600")
    change = only(pinned_diff(SHIPPED, load(), "2026.03"))
    assert (change.kind, change.field, change.old, change.new) == (
        "rule-changed", "when", "credit_score < 600", "credit_score <= 600")


def test_a_rename_is_one_change_not_an_add_and_a_remove(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "- id: MW-WEEKLY", "- id: MW-SUNDAY-NIGHT")
    new = load()
    change = only(pinned_diff(SHIPPED, new, "2026.03"))
    assert (change.kind, change.subject, change.old, change.new) == (
        "rule-renamed", "MW-SUNDAY-NIGHT", "MW-WEEKLY", "MW-SUNDAY-NIGHT")
    assert change.text == "Rule MW-WEEKLY was renamed to MW-SUNDAY-NIGHT; nothing else changed."
    # 2026.06 extends 2026.03, so it inherits the renamed rule: one rename in each version
    whole = bundle_diff(SHIPPED, new)
    assert [(c.kind, c.version) for c in whole.changes] == [("rule-renamed", "2026.03"), ("rule-renamed", "2026.06")]


def test_a_renamed_rule_that_also_changed_is_an_add_and_a_remove(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "- id: MW-WEEKLY", "- id: MW-SUNDAY-NIGHT")
    edit(root / V2603, "en: Weekly maintenance, Sunday 02:00-04:00", "en: Sunday night maintenance")
    kinds = sorted((c.kind, c.subject) for c in pinned_diff(SHIPPED, load(), "2026.03").changes)
    assert kinds == [("rule-added", "MW-SUNDAY-NIGHT"), ("rule-removed", "MW-WEEKLY")]


def test_a_window_moved_two_days_later(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "window: {start: 2026-03-08T01:00:00+08:00, end: 2026-03-08T05:00:00+08:00}",
         "window: {start: 2026-03-10T01:00:00+08:00, end: 2026-03-10T05:00:00+08:00}")
    change = only(pinned_diff(SHIPPED, load(), "2026.03"))
    assert (change.kind, change.subject, change.field) == ("rule-changed", "MW-CORE-UPGRADE", "window")
    assert change.old == {"start": "2026-03-08T01:00:00+08:00", "end": "2026-03-08T05:00:00+08:00"}
    assert change.new == {"start": "2026-03-10T01:00:00+08:00", "end": "2026-03-10T05:00:00+08:00"}
    assert change.text == ("Rule MW-CORE-UPGRADE: the window moved 2 days later "
                           "(now from 2026-03-10 01:00 until 2026-03-10 05:00).")


def test_an_active_start_moved(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "versions/2026.06.yaml", "active: {from: 2026-11-10, until: 2026-11-13}",
         "active: {from: 2026-11-01, until: 2026-11-13}")
    change = only(pinned_diff(SHIPPED, load(), "2026.06"))
    assert (change.subject, change.field) == ("PLAT-DOUBLE11-FREEZE", "active")
    assert change.text == "Rule PLAT-DOUBLE11-FREEZE: the restriction now starts 2026-11-01 instead of 2026-11-10."


def test_an_active_interval_dropped(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "versions/2026.06.yaml", "    active: {from: 2026-11-10, until: 2026-11-13}", "")
    change = only(pinned_diff(SHIPPED, load(), "2026.06"))
    assert change.new is None
    assert change.text == ("Rule PLAT-DOUBLE11-FREEZE is now always active "
                           "(it was active only from 2026-11-10 until 2026-11-13).")


def test_the_weekly_schedule_moved_from_sunday_to_saturday(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=1;")
    change = only(pinned_diff(SHIPPED, load(), "2026.03"))
    assert (change.subject, change.field) == ("MW-WEEKLY", "schedule")
    assert change.old == {"rrule": "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", "duration": "PT2H",
                          "start": None}
    assert change.text == (
        "Rule MW-WEEKLY: the weekly window changed from Sunday 02:00–04:00 to Saturday 01:00–03:00."
    )


def test_schedule_parts_in_another_order_are_no_change(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0",
         "BYDAY=SU;FREQ=WEEKLY;BYSECOND=0;BYMINUTE=0;BYHOUR=2")
    edit(root / V2603, "duration: PT2H}", "duration: PT120M}")
    assert pinned_diff(SHIPPED, load(), "2026.03").empty


def test_a_schedule_given_its_own_start(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "duration: PT2H}", "duration: PT2H, start: 2026-03-15}")
    change = only(pinned_diff(SHIPPED, load(), "2026.03"))
    assert change.to_json()["new"]["start"] == "2026-03-15T00:00:00+08:00"
    assert change.text == ("Rule MW-WEEKLY: the recurrence now counts from 2026-03-15 "
                           "instead of the version's start.")


def test_a_fact_window_from_twelve_to_six_months(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "bundle.yaml", "derive: {max: repayment_overdue.days, window: P12M, default: 0}",
         "derive: {max: repayment_overdue.days, window: P6M, default: 0}")
    new = load()
    for diff in (pinned_diff(SHIPPED, new, "2026.03"), bundle_diff(SHIPPED, new)):
        change = only(diff)
        assert (change.kind, change.subject, change.field, change.old, change.new, change.version) == (
            "fact-redefined", "overdue_days_max_12m", "window", "P12M", "P6M", None)
        assert change.text == ("Fact overdue_days_max_12m now looks back 6 months instead of 12 months "
                               "(window P6M instead of P12M).")


def test_a_window_written_in_other_units_is_no_change(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "bundle.yaml", "window: P12M,", "window: P1Y,")
    edit(root / "bundle.yaml", "window: P7D,", "window: P1W,")
    assert bundle_diff(SHIPPED, load()).empty


def test_facts_added_removed_and_redefined(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "bundle.yaml", "derive: {count: loan_disbursed, window: P30D, where: \"amount >= 1000\", default: 0}",
         "derive: {count: loan_disbursed, window: P30D, where: \"amount >= 2000\"}")
    edit(root / "bundle.yaml", "  account_tier:\n",
         "  device_count:\n    type: int\n    derive: {count: device_added}\n  account_tier:\n")
    edit(root / "bundle.yaml", "  tier_changed:\n", "  device_added: {}\n  tier_changed:\n")
    new = load()
    changes = {(c.kind, c.subject, c.field): c for c in bundle_diff(SHIPPED, new).changes}
    assert set(changes) == {
        ("event-added", "device_added", None),
        ("fact-added", "device_count", None),
        ("fact-redefined", "large_loans_30d", "where"),
        ("fact-redefined", "large_loans_30d", "default"),
    }
    assert changes[("fact-added", "device_count", None)].text == (
        "Fact device_count was added (int, count of device_added).")
    where = changes[("fact-redefined", "large_loans_30d", "where")]
    assert (where.old, where.new) == ("amount >= 1000", "amount >= 2000")
    default = changes[("fact-redefined", "large_loans_30d", "default")]
    assert (default.old, default.new) == ({"value": 0}, None)
    back = {(c.kind, c.subject) for c in bundle_diff(new, SHIPPED).changes}
    assert ("fact-removed", "device_count") in back


def test_a_version_re_dated(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "effective_from: 2026-03-01", "effective_from: 2026-04-01")
    new = load()
    # MW-WEEKLY's schedule starts with its version by default: moving the version is not a schedule change
    change = only(bundle_diff(SHIPPED, new))
    assert (change.kind, change.subject, change.version, change.field) == (
        "version-redated", "2026.03", "2026.03", "effective_from")
    assert (change.old, change.new) == ("2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00")
    assert change.text == "Version 2026.03 is now in force from 2026-04-01 instead of 2026-03-01."


def test_a_version_published_late_becomes_retroactive(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "published_at: 2026-02-20T10:00:00+08:00", "published_at: 2026-03-05T10:00:00+08:00")
    change = only(bundle_diff(SHIPPED, load()))
    assert change.field == "published_at"
    assert change.text == ("Version 2026.03 is now published 2026-03-05 10:00 instead of 2026-02-20 10:00; "
                           "it is now retroactive (published after it takes effect).")


def test_a_version_removed_and_added(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    (root / "versions/2026.06.yaml").unlink()
    new = load()
    removed = only(bundle_diff(SHIPPED, new))
    assert (removed.kind, removed.subject, removed.version) == ("version-removed", "2026.06", "2026.06")
    assert removed.to_json()["old"]["effective_from"] == "2026-06-01T00:00:00+08:00"
    added = only(bundle_diff(new, SHIPPED))
    assert added.kind == "version-added"
    assert added.text.startswith("Version 2026.06 was added, in force from 2026-06-01 (published 2026-05-20 10:00)")


def test_rule_fields_changed_one_change_each(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    block = root / V2603
    edit(block, "    actions: [open]\n    when: borrowed_30d >= 5000",
         "    actions: [open, borrow]\n    when: borrowed_30d >= 5000")
    edit(block, "  - id: PLAT-RECENT-BORROWING\n    category: platform",
         "  - id: PLAT-RECENT-BORROWING\n    category: maintenance")
    edit(block, "    on_unknown: allow\n", "")
    edit(block, 'document: "CCA Notice 2021-28", clause: "Art. 2"', 'document: "CCA Notice 2021-28", clause: "Art. 3"')
    diff = pinned_diff(SHIPPED, load(), "2026.03")
    assert_well_formed(diff)
    by_field = {(c.subject, c.field): c for c in diff.changes}
    assert set(by_field) == {
        ("PLAT-RECENT-BORROWING", "actions"), ("PLAT-RECENT-BORROWING", "category"),
        ("PLAT-RESET-COOLDOWN", "on_unknown"), ("REG-STUDENT-LENDING", "source"),
    }
    actions = by_field[("PLAT-RECENT-BORROWING", "actions")]
    assert (actions.old, actions.new) == (["open"], ["borrow", "open"])
    assert actions.text == "Rule PLAT-RECENT-BORROWING now restricts borrow, open instead of open (adds borrow)."
    assert by_field[("PLAT-RECENT-BORROWING", "category")].text == (
        "Rule PLAT-RECENT-BORROWING is now a maintenance rule instead of platform.")
    assert by_field[("PLAT-RESET-COOLDOWN", "on_unknown")].text == (
        "Rule PLAT-RESET-COOLDOWN now reports itself undetermined when a fact it needs is unknown (it allowed).")
    source = by_field[("REG-STUDENT-LENDING", "source")]
    assert source.new == {"authority": "Consumer Credit Authority", "document": "CCA Notice 2021-28",
                          "clause": "Art. 3"}
    assert source.text.endswith("Art. 3 instead of Consumer Credit Authority, CCA Notice 2021-28, Art. 2.")


def test_actions_in_another_order_are_no_change(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "    actions: [open, raise_limit]\n    when: not credit_report_consent",
         "    actions: [raise_limit, open]\n    when: not credit_report_consent")
    assert pinned_diff(SHIPPED, load(), "2026.03").empty


def test_bundle_level_changes(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "bundle.yaml", "title: Huabei consumer credit line", "title: Huabei credit line")
    edit(root / "bundle.yaml", "actions: [open, borrow, raise_limit]", "actions: [open, borrow, raise_limit, repay]")
    edit(root / "bundle.yaml", "  maintenance:\n    precedence: 3", "  maintenance:\n    precedence: 4")
    diff = bundle_diff(SHIPPED, load())
    assert [(c.kind, c.subject, c.field) for c in diff.changes] == [
        ("bundle-changed", "actions", "actions"),
        ("bundle-changed", "categories.maintenance", "precedence"),
        ("bundle-changed", "title", "title"),
    ]
    assert diff.changes[0].text == "Bundle actions changed: added repay."
    assert diff.changes[1].text == "Category maintenance now has precedence 4 instead of 3."
    assert facts_of(bundle_diff(load(), SHIPPED)) == mirrored(diff)


EDITS = {
    "rename": (V2603, "- id: MW-WEEKLY", "- id: MW-SUNDAY"),
    "window": (V2603, "2026-03-08T01:00:00+08:00, end: 2026-03-08T05:00",
               "2026-03-07T22:00:00+08:00, end: 2026-03-08T04:00"),
    "redate": (V2603, "effective_from: 2026-03-01", "effective_from: 2026-02-15"),
    "fact": ("bundle.yaml", "window: PT24H, default: 0", "window: PT12H, default: 0"),
    "drop-rule": ("versions/2026.06.yaml", "remove: [MW-CORE-UPGRADE]", "remove: [MW-CORE-UPGRADE, MW-WEEKLY]"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_edit_mirrors_in_both_shapes(name: str, loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    file, old, new_text = EDITS[name]
    edit(root / file, old, new_text)
    new = load()
    forth, back = bundle_diff(SHIPPED, new), bundle_diff(new, SHIPPED)
    assert not forth.empty
    assert facts_of(back) == mirrored(forth)
    assert_well_formed(forth)
    for version_id in VERSION_IDS:
        assert facts_of(pinned_diff(new, SHIPPED, version_id)) == mirrored(pinned_diff(SHIPPED, new, version_id))


def test_window_move_reads_later_one_way_and_earlier_the_other(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "2026-03-08T01:00:00+08:00, end: 2026-03-08T05:00",
         "2026-03-08T04:00:00+08:00, end: 2026-03-08T08:00")
    new = load()
    assert "moved 3 hours later" in only(pinned_diff(SHIPPED, new, "2026.03")).text
    assert "moved 3 hours earlier" in only(pinned_diff(new, SHIPPED, "2026.03")).text


# --- properties over generated rule sets ------------------------------------------------------

def shipped_version(version_id: str) -> Version:
    version = SHIPPED.version(version_id)
    assert version is not None
    return version


BASE = shipped_version("2026.03")
POOL = BASE.rules
CONDITIONS = [rule.when for rule in POOL if rule.when is not None]


@st.composite
def variants(draw: st.DrawFn) -> Version:
    """2026.03 with some rules dropped, renamed, re-scoped, re-timed or given another condition."""
    rules: list[Rule] = []
    for rule in POOL:
        if not draw(st.booleans()) and draw(st.booleans()):
            continue
        if draw(st.booleans()):
            rule = replace(rule, id=draw(st.sampled_from([rule.id, rule.id + "-B"])))
        if draw(st.booleans()):
            actions = draw(st.lists(st.sampled_from(SHIPPED.actions), min_size=1, max_size=3, unique=True))
            rule = replace(rule, actions=tuple(actions))
        if draw(st.booleans()):
            rule = replace(rule, on_unknown=draw(st.sampled_from(["block", "allow", "undetermined"])))
        if rule.when is not None and draw(st.booleans()):
            rule = replace(rule, when=draw(st.sampled_from(CONDITIONS)))
        if rule.window is not None and rule.window.start and rule.window.end and draw(st.booleans()):
            shift = timedelta(minutes=draw(st.integers(-5000, 5000)))
            stretch = timedelta(minutes=draw(st.integers(0, 300)))
            rule = replace(rule, window=Interval(rule.window.start + shift, rule.window.end + shift + stretch))
        rules.append(rule)
    return replace(BASE, rules=tuple(rules))


@given(variants(), variants())
def test_generated_versions_mirror_and_match_themselves(a: Version, b: Version) -> None:
    side_a, side_b = Side("a", SHIPPED, a), Side("b", SHIPPED, b)
    assert structural_diff(side_a, side_a).empty
    forth, back = structural_diff(side_a, side_b), structural_diff(side_b, side_a)
    assert facts_of(back) == mirrored(forth)
    assert_well_formed(forth)
    # nothing reported means the two rule sets agree on every rule, by id
    if forth.empty:
        assert {r.id for r in a.rules} == {r.id for r in b.rules}


def test_a_changed_translation_alone_is_reported_with_its_locale(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "zh-CN: 信贷服务正在进行例行维护。", "zh-CN: 信贷服务正在例行维护，请稍后再试。")
    [change] = pinned_diff(SHIPPED, load(), "2026.03").changes
    assert (change.kind, change.subject, change.field) == ("rule-changed", "MW-WEEKLY", "message[zh-CN]")
    assert change.old == "信贷服务正在进行例行维护。" and change.new == "信贷服务正在例行维护，请稍后再试。"
    assert change.text == 'Rule MW-WEEKLY has a new message in zh-CN: "信贷服务正在例行维护，请稍后再试。" (was "信贷服务正在进行例行维护。").'


def test_a_new_condition_with_its_because_reads_as_the_condition_only(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / V2603, "when: credit_score < 600", "when: credit_score < 620")
    edit(root / V2603, "en: the credit score is below 600", "en: the credit score is below 620")
    fields = [c.field for c in pinned_diff(SHIPPED, load(), "2026.03").changes]
    assert fields == ["when"]


def test_event_catalog_changes_are_reported(loaded: tuple[Path, Any]) -> None:
    root, load = loaded
    edit(root / "bundle.yaml", "    fields: {channel: string}\n", "    fields: {channel: string, device: string}\n")
    edit(root / "bundle.yaml", "  tier_changed:\n", "  device_added: {}\n  tier_changed:\n")
    edit(root / "bundle.yaml", "fields: {method: string}", "fields: {method: {enum: [id_card, passport]}}")
    new = load()
    changes = [(c.kind, c.subject, c.field, c.text) for c in bundle_diff(SHIPPED, new).changes
               if c.kind.startswith("event-")]
    assert changes == [
        ("event-added", "device_added", None, "Event type device_added is now declared (no fields)."),
        ("event-redefined", "kyc_verified", "method",
         "Field kyc_verified.method now has type enum[id_card, passport] instead of string."),
        ("event-redefined", "password_reset", "device", "Field password_reset.device is now declared (string)."),
    ]
    back = [(c.kind, c.subject) for c in bundle_diff(new, SHIPPED).changes if c.kind.startswith("event-")]
    assert ("event-removed", "device_added") in back
