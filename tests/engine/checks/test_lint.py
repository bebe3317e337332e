"""Warnings and infos about time: dead rules, versions never in force, overlapping windows, retroactive."""

from __future__ import annotations

from pathlib import Path

import chronolex
from chronolex import Severity
from tests.helpers.bundles import mini, version


def findings(root: Path) -> dict[str, chronolex.Diagnostic]:
    return {d.code: d for d in chronolex.check_bundle(root).diagnostics}


def test_retroactive_version_is_an_info_at_published_at(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-01-01", pub="2026-01-15T10:00:00+08:00")))
    d = findings(root)["retroactive"]
    assert d.severity is Severity.INFO
    assert d.span is not None and d.span.line == 3
    assert "14 days" in d.message


def test_version_never_in_force(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", eff="2026-01-01", pub="2025-12-01T00:00:00+08:00")),
        ("b.yaml", version("B", eff="2026-01-01", pub="2025-12-02T00:00:00+08:00")),
    )
    d = findings(root)["never-in-force"]
    assert d.severity is Severity.WARNING and "'A'" in d.message and "'B'" in d.message


def test_rule_active_outside_its_version_is_dead(tmp_path: Path) -> None:
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,"
             " active: {from: 2025-01-01, until: 2025-06-01}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-01-01", rules=rules)))
    d = findings(root)["dead-rule"]
    assert d.severity is Severity.WARNING and "'R1'" in d.message


def test_rule_active_in_a_later_version_that_inherits_it_is_not_dead(tmp_path: Path) -> None:
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,"
             " active: {from: 2026-03-01, until: 2026-04-01}}\n")
    root = mini(
        tmp_path,
        ("a.yaml", version("A", eff="2026-01-01", rules=rules)),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\n', rules=" []\n")),
    )
    assert "dead-rule" not in findings(root)


def test_window_wholly_outside_is_dead_too(tmp_path: Path) -> None:
    rules = ("  - {id: MW, category: maintenance, actions: [open],"
             " window: {start: '2025-03-08T01:00:00+08:00', end: '2025-03-08T05:00:00+08:00'}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-01-01", rules=rules)))
    assert "dead-rule" in findings(root)


def test_overlapping_one_off_maintenance_windows(tmp_path: Path) -> None:
    rules = (
        "  - {id: MW1, category: maintenance, actions: [open], window: {start: '2026-03-08T01:00', end: '2026-03-08T03:00'}}\n"
        "  - {id: MW2, category: maintenance, actions: [open], window: {start: '2026-03-08T02:59', end: '2026-03-08T05:00'}}\n"
        "  - {id: MW3, category: maintenance, actions: [open], window: {start: '2026-03-08T05:00', end: '2026-03-08T06:00'}}\n"
    )
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-01-01", rules=rules)))
    overlaps = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "overlapping-windows"]
    # MW2 and MW3 only touch: intervals are half-open
    assert len(overlaps) == 1 and "'MW1' and 'MW2'" in overlaps[0].message


def test_the_shipped_bundle_is_clean() -> None:
    from tests.conftest import HUABEI

    report = chronolex.check_bundle(HUABEI)
    assert [d.code for d in report.diagnostics if d.severity is not Severity.INFO] == []
    assert [d.code for d in report.diagnostics] == ["retroactive"]


NEW_YORK_BUNDLE = """\
bundle: ny
timezone: America/New_York
actions: [open]
facts:
  frozen: {type: bool, derive: {exists: frozen}}
"""


def test_an_offset_that_is_not_the_zones_on_that_date_is_a_warning_at_its_line(tmp_path: Path) -> None:
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,\n"
             "     window: {start: 2026-07-01T00:00:00-05:00, end: 2026-07-02T00:00:00-04:00}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-03-09T00:00:00-05:00", pub="2026-01-01T00:00:00-05:00",
                                             rules=rules)), bundle=NEW_YORK_BUNDLE)
    found = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "offset-mismatch"]
    assert [(d.severity, d.span.line if d.span else None) for d in found] == [
        (Severity.WARNING, 2), (Severity.WARNING, 6)]
    assert found[0].message == ("effective_from 2026-03-09T00:00:00-05:00 is written with offset -05:00, but "
                                "America/New_York is at -04:00 then: the instant is 2026-03-09T01:00:00-04:00 "
                                "in the bundle timezone")
    assert found[1].message.startswith("rule R1: window.start 2026-07-01T00:00:00-05:00")


def test_wall_times_matching_offsets_and_z_are_not_reported(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-03-09T00:00:00-04:00", pub="2026-01-01T05:00:00Z")),
                bundle=NEW_YORK_BUNDLE)
    assert "offset-mismatch" not in [d.code for d in chronolex.check_bundle(root).diagnostics]


def test_a_wall_time_in_a_dst_gap_or_fold_is_a_warning_saying_how_it_was_read(tmp_path: Path) -> None:
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,\n"
             "     window: {start: \"2026-11-01T01:30\", end: \"2026-11-01T03:00\"}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff='"2026-03-08T02:30"', pub="2026-01-01T00:00:00-05:00",
                                             rules=rules)), bundle=NEW_YORK_BUNDLE)
    found = [d for d in chronolex.check_bundle(root).diagnostics
             if d.code in ("nonexistent-wall-time", "ambiguous-wall-time")]
    assert [(d.code, d.severity, d.span.line if d.span else None) for d in found] == [
        ("nonexistent-wall-time", Severity.WARNING, 2), ("ambiguous-wall-time", Severity.WARNING, 6)]
    assert found[0].message == ("effective_from 2026-03-08T02:30 does not exist in America/New_York (the clocks "
                                "jump forward over it); read as 2026-03-08T03:30:00-04:00")
    assert found[1].message.startswith("rule R1: window.start 2026-11-01T01:30 happens twice in America/New_York")
    assert found[1].help == "write the occurrence meant with its offset: 2026-11-01T01:30:00-04:00 or " \
                            "2026-11-01T01:30:00-05:00"


def test_wall_times_that_exist_once_and_times_with_offsets_at_dst_changes_are_not_reported(tmp_path: Path) -> None:
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,\n"
             "     window: {start: \"2026-11-01T01:30:00-05:00\", end: \"2026-11-01T03:00\"}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff='"2026-03-08T03:30"', pub="2026-03-08T02:30:00-05:00",
                                             rules=rules)), bundle=NEW_YORK_BUNDLE)
    codes = [d.code for d in chronolex.check_bundle(root).diagnostics]
    assert "nonexistent-wall-time" not in codes and "ambiguous-wall-time" not in codes


def test_a_date_alone_is_the_start_of_its_day_even_where_midnight_is_skipped_or_repeated(tmp_path: Path) -> None:
    bundle = NEW_YORK_BUNDLE.replace("America/New_York", "America/Havana")
    rules = ("  - {id: R1, category: platform, actions: [open], when: frozen,\n"
             "     active: {from: 2026-11-01, until: 2027-03-14}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", eff="2026-03-08", pub="2026-01-01T00:00:00-05:00", rules=rules)),
                bundle=bundle)
    codes = [d.code for d in chronolex.check_bundle(root).diagnostics]
    assert "nonexistent-wall-time" not in codes and "ambiguous-wall-time" not in codes
