"""Loading bundles: the model, spans, extends resolution, catalog checks, and positions on every error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.lang import types as t
from tests.conftest import HUABEI
from tests.examples import examples
from tests.helpers.bundles import MINI_BUNDLE, codes, mini, version





def test_the_shipped_bundle_loads_into_an_immutable_model() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    assert bundle.name == "huabei"
    assert bundle.timezone.key == "Asia/Shanghai"
    assert bundle.actions == ("open", "borrow", "raise_limit")
    assert [bundle.categories[c].precedence for c in ("regulation", "platform", "maintenance")] == [1, 2, 3]
    assert bundle.facts["age"].expr is not None and bundle.facts["age"].type == t.INT
    assert bundle.facts["borrowed_30d"].derive is not None
    assert bundle.facts["borrowed_30d"].derive.window == chronolex.Duration(days=30)
    with pytest.raises(TypeError):
        bundle.facts["x"] = bundle.facts["age"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        bundle.name = "other"  # type: ignore[misc]


def test_versions_are_sorted_and_resolved() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    assert [v.id for v in bundle.versions] == sorted(v.id for v in bundle.versions)
    extended = [v for v in bundle.versions if v.extends]
    assert extended, "the shipped bundle has a version built with extends"
    for version in extended:
        base = bundle.version(version.extends or "")
        assert base is not None
        own_ids = {r.id for r in version.rules if r.declared_in == version.id}
        inherited = [r.id for r in base.rules if r.id not in version.removed and r.id not in own_ids]
        assert [r.id for r in version.rules if r.id in inherited] == inherited
        assert not set(version.removed) & {r.id for r in version.rules}


def test_spans_point_into_the_version_file() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    rule = bundle.versions[-1].rules[0]
    assert rule.span is not None and rule.span.file.endswith(".yaml")
    line = Path(rule.span.file).read_text(encoding="utf-8").splitlines()[rule.span.line - 1]
    assert rule.id in line





def test_extends_replaces_in_place_appends_and_removes(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", rules=(
            "  - {id: R1, category: platform, actions: [open], when: score < 600}\n"
            "  - {id: R2, category: platform, actions: [open], when: frozen}\n"
            "  - {id: R3, category: platform, actions: [borrow], when: frozen}\n"))),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\nremove: [R3]\n', rules=(
            "  - {id: R1, category: platform, actions: [open], when: score < 650}\n"
            "  - {id: R4, category: platform, actions: [borrow], when: score < 1}\n"))),
    )
    bundle = chronolex.load_bundle(root)
    b = bundle.version("B")
    assert b is not None
    assert [r.id for r in b.rules] == ["R1", "R2", "R4"]
    assert b.rules[0].when is not None and b.rules[0].when.text == "score < 650"
    assert b.rules[1].declared_in == "A"


def test_extends_of_an_unknown_version_points_at_extends(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", extra='extends: "Z"\n')))
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "bad-extends"]
    assert d.span is not None and d.span.line == 4 and d.span.column == 10


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A", extra='extends: "B"\n')),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\n')),
    )
    report = chronolex.check_bundle(root)
    assert any(d.code == "bad-extends" and "cycle" in d.message for d in report.diagnostics)
    assert report.bundle is None


def test_removing_a_rule_the_base_lacks_is_an_error(tmp_path: Path) -> None:
    root = mini(
        tmp_path,
        ("a.yaml", version("A")),
        ("b.yaml", version("B", eff="2026-02-01", extra='extends: "A"\nremove: [R9]\n')),
    )
    assert "bad-extends" in codes(root)


def test_fact_types_of_derivations_are_checked(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + "  n: {type: bool, derive: {count: login_failed}}\n  s: {type: string, derive: {sum: loan.amount}}\n"
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    assert codes(root).count("type-mismatch") == 2


def test_default_must_match_the_fact_type(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + (
        "  st: {type: {enum: [active, frozen]}, derive: {latest: s.status, default: actve}}\n"
        "  n: {type: int, derive: {max: o.days, default: none}}\n"
    )
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    found = {d.code: d for d in chronolex.check_bundle(root).diagnostics}
    assert found["enum-value"].help == "did you mean 'active'?"
    assert "type-mismatch" in found


def test_expr_fact_cycle_is_reported_once(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + "  a: {type: int, expr: 'b + 1'}\n  b: {type: int, expr: 'c + 1'}\n  c: {type: int, expr: 'a + 1'}\n"
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    cycles = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "fact-cycle"]
    assert len(cycles) == 1
    assert "a -> b -> c -> a" in cycles[0].message


def test_where_condition_is_parsed(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + "  big: {type: int, derive: {count: loan, where: 'amount >>= 3'}}\n"
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    assert "syntax" in codes(root)


def test_unknown_timezone_with_suggestion(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=MINI_BUNDLE.replace("Asia/Shanghai", "Asia/Shanghia"))
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "invalid-timezone"]
    assert d.help == "did you mean `Asia/Shanghai`?"


def test_a_bundle_with_errors_yields_no_bundle(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", rules="  - {id: R1, category: platform, actions: [open], when: sc < 1}\n")))
    with pytest.raises(chronolex.ChronolexError) as info:
        chronolex.load_bundle(root)
    assert info.value.diagnostics[0].code == "unknown-fact"


def test_missing_bundle_file_is_an_io_error(tmp_path: Path) -> None:
    with pytest.raises(chronolex.ChronolexError) as info:
        chronolex.check_bundle(tmp_path)
    assert info.value.diagnostics[0].code == "io-error"


def test_no_versions_is_an_error(tmp_path: Path) -> None:
    root = mini(tmp_path)
    assert codes(root) == ["no-versions"]


def test_schedule_defaults_to_the_version_start(tmp_path: Path) -> None:
    rules = "  - id: MW\n    category: maintenance\n    actions: [open]\n    schedule: {rrule: 'FREQ=DAILY;BYHOUR=2', duration: PT1H}\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    bundle = chronolex.load_bundle(root)
    schedule = bundle.versions[0].rules[0].schedule
    assert schedule is not None and schedule.start == bundle.versions[0].effective_from
    assert schedule.duration == chronolex.Duration(hours=1)


def _mutations() -> st.SearchStrategy[tuple[int, int, str]]:
    return st.tuples(st.integers(0, 10_000), st.integers(0, 8),
                     st.sampled_from(["", ":", " ", "\n", "- ", "[", "{", "'", '"', "&a", "*a", "!!", "\t", "x", "#"]))


# the test rewrites the one mutated file on every example, so sharing the copy is safe
# each example checks the whole shipped bundle (about a second): 20 on every run, 200 at night
@settings(max_examples=examples(20, 200), suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(_mutations(), min_size=1, max_size=4))
def test_every_loader_error_carries_a_position(huabei_tmp: Path, edits: list[tuple[int, int, str]]) -> None:
    target = huabei_tmp / "versions" / "2026.03.yaml"
    original = (HUABEI / "versions" / "2026.03.yaml").read_text(encoding="utf-8")
    text = original
    for position, length, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + length:]
    target.write_text(text, encoding="utf-8")
    report = chronolex.check_bundle(huabei_tmp)
    for d in report.diagnostics:
        assert d.span is not None and d.span.line >= 1 and d.span.column >= 1, d


@pytest.fixture
def huabei_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    target = tmp_path_factory.mktemp("mutated") / "huabei"
    shutil.copytree(HUABEI, target)
    return target


def test_invalid_datetime_literal_is_caught_at_load(tmp_path: Path) -> None:
    rules = "  - {id: R1, category: platform, actions: [open], when: 'now < datetime(\"2026-13-01T00:00\")'}\n"
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    assert codes(root) == ["invalid-date"]


def test_datetime_default_is_checked(tmp_path: Path) -> None:
    bundle = MINI_BUNDLE + "  seen: {type: datetime, derive: {latest: x.at, default: 'not a time'}}\n"
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=bundle)
    assert codes(root) == ["invalid-date"]


def test_remove_without_extends_points_at_remove(tmp_path: Path) -> None:
    root = mini(tmp_path, ("a.yaml", version("A", extra="remove: [R1]\n")))
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]
    assert d.code == "bad-extends" and d.span is not None and (d.span.line, d.span.column) == (4, 1)
    assert "extends" in d.message


@pytest.mark.parametrize("name", ["none", "true", "if", "is", "now", "lambda"])
def test_reserved_words_are_not_fact_names(tmp_path: Path, name: str) -> None:
    root = mini(tmp_path, ("a.yaml", version("A")), bundle=MINI_BUNDLE + f"  {name}: {{type: int, expr: '1'}}\n")
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]
    assert d.code == "schema" and d.span is not None and d.span.line == 7 and name in d.message


def test_rrule_until_in_utc_is_read_as_an_instant(tmp_path: Path) -> None:
    rules = ("  - id: MW\n    category: maintenance\n    actions: [open]\n"
             "    schedule: {rrule: 'FREQ=DAILY;BYHOUR=2;UNTIL=20260301T000000Z', duration: PT1H}\n")
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    assert codes(root) == []


def test_rrule_that_ends_before_it_starts_is_a_dead_rule(tmp_path: Path) -> None:
    rules = ("  - id: MW\n    category: maintenance\n    actions: [open]\n"
             "    schedule: {rrule: 'FREQ=DAILY;UNTIL=20250101T000000Z', duration: PT1H}\n")
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]
    assert (d.code, d.severity) == ("dead-rule", chronolex.Severity.WARNING)


def test_empty_window_message_uses_the_bundle_timezone(tmp_path: Path) -> None:
    rules = ("  - {id: MW, category: maintenance, actions: [open],"
             " window: {start: '2026-03-02T00:00', end: '2026-03-01T00:00'}}\n")
    root = mini(tmp_path, ("a.yaml", version("A", rules=rules)))
    [d] = [d for d in chronolex.check_bundle(root).diagnostics if d.code != "no-event-catalog"]
    assert d.code == "empty-window" and "2026-03-01T00:00:00+08:00" in d.message
