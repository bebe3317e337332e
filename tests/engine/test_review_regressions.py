"""Regressions found by review: each input once crashed, hung, or gave a wrong finding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import chronolex
from chronolex import Limits
from chronolex.lang import types as t
from tests.helpers.bundles import MINI_BUNDLE, codes, mini, version, write


def findings(root: Path) -> list[chronolex.Diagnostic]:
    """The findings but the catalog warning, which every mini bundle without events gets."""
    return [d for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]


@pytest.mark.parametrize("when", ["0001-01-01", "9999-12-31T23:00:00-05:00"])
def test_dates_at_the_ends_of_the_calendar_are_invalid_not_a_crash(tmp_path: Path, when: str) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", eff=f"'{when}'")))
    assert codes(root) == ["invalid-date"]


@pytest.mark.parametrize("zone", ["Asia", "localtime", "Factory"])
def test_region_directories_and_host_aliases_are_not_timezones(tmp_path: Path, zone: str) -> None:
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=MINI_BUNDLE.replace("Asia/Shanghai", zone))
    assert codes(root) == ["invalid-timezone"]


@pytest.mark.parametrize(
    "rrule",
    ["FREQ=WEEKLY;INTERVAL=0;BYDAY=SU", "FREQ=WEEKLY;BYMONTH=13", "FREQ=DAILY;UNTIL=2026", "FREQ=MINUTELY",
     "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "FREQ=DAILY;COUNT=-1", "FREQ=WEEKLY;BYDAY=XX"],
)
def test_rrules_that_dateutil_would_misread_are_errors(tmp_path: Path, rrule: str) -> None:
    rules = f"  - id: MW\n    category: maintenance\n    actions: [open]\n    schedule: {{rrule: '{rrule}', duration: PT1H}}\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    assert codes(root) == ["invalid-rrule"]


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A")))
    (root / "versions" / "big.yaml").write_bytes(b"x" * 5000)
    report = chronolex.check_bundle(root, limits=Limits(max_bytes=1000))
    assert [d.code for d in report.diagnostics if d.code != "no-event-catalog"] == ["file-too-large"]


def test_many_values_without_aliases_hit_the_value_limit(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A")))
    (root / "versions" / "b.yaml").write_text("x: [" + ",".join(["1"] * 3000) + "]\n", encoding="utf-8")
    [d] = [d for d in chronolex.check_bundle(root, limits=Limits(max_nodes=1000)).diagnostics
           if d.code != "no-event-catalog"]
    assert d.code == "yaml-limit" and "values in one file" in d.message


def test_a_correction_published_after_the_start_leaves_the_original_in_force(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", eff="2026-01-01", pub="2025-12-01T00:00:00+08:00")),
        ("b.yaml", version("B", eff="2026-01-01", pub="2026-01-10T00:00:00+08:00")),
    )
    assert "never-in-force" not in codes(root)


def test_a_conflict_is_not_also_reported_as_never_in_force(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", eff="2026-01-01", pub="2025-12-01T00:00:00+08:00")),
        ("b.yaml", version("B", eff="2026-01-01", pub="2025-12-01T00:00:00+08:00")),
    )
    assert codes(root) == ["version-conflict"]


def test_a_broken_base_does_not_make_its_extension_complain(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", extra="colour: red\n")),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\nremove: [R1]\n', rules=" []\n")),
    )
    assert codes(root) == ["unknown-field"]


def test_a_removed_rule_that_failed_in_its_base_is_not_reported_twice(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", rules="  - {id: R1, category: platform, actions: [open], when: sc < 1}\n")),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\nremove: [R1]\n', rules=" []\n")),
    )
    assert codes(root) == ["unknown-fact"]


def test_enum_expr_facts_stay_inside_their_enum(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + (
        "  occupation: {type: string, derive: {latest: p.occupation}}\n"
        "  tier2: {type: {enum: [standard, pilot]}, expr: '\"platinum\"'}\n"
        "  tier3: {type: {enum: [standard, pilot]}, expr: occupation}\n"
    )
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    assert sorted(codes(root)) == ["enum-value", "type-mismatch"]


def test_coalesce_of_an_enum_and_a_string_is_a_string() -> None:
    catalog = {"status": t.enum_of(["active", "frozen"]), "occupation": t.STRING}
    compiled = chronolex.compile_condition('coalesce(status, occupation) == "student"', catalog)
    (call,) = [node for node in [compiled.ast.left] if isinstance(node, chronolex.lang.nodes.Call)]
    assert call.type == t.STRING
    ctx = chronolex.Context({"status": chronolex.UNKNOWN, "occupation": "student"}, None, None)  # type: ignore[arg-type]
    assert compiled.evaluate(ctx) is True


def test_overlapping_windows_are_reported_once_however_often_inherited(tmp_path: Path) -> None:
    rules = (
        "  - {id: M1, category: maintenance, actions: [open], window: {start: '2026-03-08T01:00', end: '2026-03-08T03:00'}}\n"
        "  - {id: M2, category: maintenance, actions: [open], window: {start: '2026-03-08T02:00', end: '2026-03-08T04:00'}}\n"
    )
    root = mini(
        tmp_path,
        ("a.yaml", version("A", eff="2026-03-01", rules=rules)),
        ("b.yaml", version("B", eff="2026-03-05", extra='extends: "A"\n', rules=" []\n")),
    )
    assert codes(root).count("overlapping-windows") == 1


def test_an_unclosed_bracket_is_reported_where_it_opens(tmp_path: Path) -> None:
    rules = "  - id: R1\n    category: platform\n    actions: [open]\n    when: 'frozen and (score < 600'\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    [d] = findings(root)
    assert d.code == "syntax" and d.span is not None and (d.span.line, d.span.column) == (8, 23)
    assert "never closed" in d.message


def test_cr_only_line_ends_keep_positions(tmp_path: Path) -> None:
    text = version("A", rules="  - id: R1\n    category: platform\n    actions: [open]\n    when: scor < 1\n")
    root = mini(tmp_path)
    write(root / "versions" / "a.yaml", "")
    (root / "versions" / "a.yaml").write_bytes(text.replace("\n", "\r").encode())
    [d] = findings(root)
    assert d.code == "unknown-fact" and d.span is not None and (d.span.line, d.span.column) == (8, 11)


def test_every_misspelled_key_is_reported(tmp_path: Path) -> None:
    rules = "  - {id: R1, category: platform, actions: [open], titel: x, mesage: y, remdy: z}\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    assert codes(root) == ["unknown-field"] * 3


def test_rules_that_are_not_mappings_get_one_finding_each(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", rules="  - a\n  - 1\n")))
    assert codes(root) == ["schema", "schema"]


def test_empty_actions_and_source_have_their_own_codes(tmp_path: Path) -> None:
    rules = "  - {id: R1, category: regulation, actions: [], source: }\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    assert sorted(codes(root)) == ["missing-actions", "missing-source"]


def test_a_long_extends_chain_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # each version extends the next one, so resolving the first walks the whole chain
    files = [("v129.yaml", version("V129", eff="'2026-01-01T00:02:09'"))]
    for i in range(129):
        files.append((f"v{i:03d}.yaml", version(f"V{i}", eff=f"'2026-01-01T00:{i // 60:02d}:{i % 60:02d}'",
                                                extra=f'extends: "V{i + 1}"\n', rules=" []\n")))
    root = mini(tmp_path, *files)
    assert "bad-extends" in codes(root)


def test_a_symlinked_bundle_is_checked_once(tmp_path: Path) -> None:
    root = mini(tmp_path / "real", ("a.yaml", version("A")))
    os.symlink(root, tmp_path / "link")
    assert len(chronolex.find_bundles([root, tmp_path / "link"])) == 1


def test_non_ascii_identifiers_are_refused() -> None:
    with pytest.raises(chronolex.ConditionError) as info:
        chronolex.parse("ｃredit_score > 1")
    assert "ASCII" in info.value.problems[0].message


def test_run_time_faults_of_any_kind_are_evaluation_errors() -> None:
    from datetime import datetime, timezone
    from decimal import Decimal

    catalog = {"amount": t.DECIMAL}
    compiled = chronolex.compile_condition("amount * 1e999999 > 0", catalog)
    with pytest.raises(chronolex.EvaluationError):
        compiled.evaluate(chronolex.Context({"amount": Decimal(6300)}, datetime(2026, 1, 1, tzinfo=timezone.utc), timezone.utc))
    # a duration over 900 years is refused where it is written; sums of shorter ones can still leave the calendar
    with pytest.raises(chronolex.ChronolexError, match="invalid-duration"):
        chronolex.compile_condition('now + duration("P99999Y") > now', catalog)
    far = chronolex.compile_condition("now" + ' + duration("P900Y")' * 9 + " > now", catalog)
    with pytest.raises(chronolex.EvaluationError):
        far.evaluate(chronolex.Context({}, datetime(2026, 1, 1, tzinfo=timezone.utc), timezone.utc))
