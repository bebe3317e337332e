"""The validate findings that need a solver: dead conditions, exemptions that always
hold, redundant rules and versions that mean the same as their predecessor."""

from __future__ import annotations

from pathlib import Path

import pytest

import chronolex
from chronolex.errors import Severity

VERSION_2026_09 = """\
version: "2026.09"
extends: "2026.06"
effective_from: 2026-09-01
published_at: 2026-08-20T10:00:00+08:00
rules:
{rules}
"""


def _add_version(bundle: Path, rules: str, name: str = "2026.09", body: str = VERSION_2026_09) -> None:
    (bundle / "versions" / f"{name}.yaml").write_text(body.format(rules=rules), encoding="utf-8")


def _findings(bundle: Path, code: str) -> list[chronolex.Diagnostic]:
    report = chronolex.check_bundle(bundle, solver=True)
    assert report.ok, [str(d) for d in report.diagnostics if d.severity is Severity.ERROR]
    return [d for d in report.diagnostics if d.code == code]


def test_the_shipped_bundle_has_no_solver_findings() -> None:
    report = chronolex.check_bundle("policies/huabei", solver=True)
    codes = {d.code for d in report.diagnostics}
    assert not codes & {"dead-rule", "exemption-always-holds", "redundant-rule", "same-meaning"}


def test_a_condition_that_can_never_hold_is_a_dead_rule(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-IMPOSSIBLE
    category: platform
    actions: [open]
    when: credit_score < 500 and credit_score > 700
""")
    found = _findings(huabei_copy, "dead-rule")
    assert [d.severity for d in found] == [Severity.WARNING]
    assert "PLAT-IMPOSSIBLE" in found[0].message and "cannot hold" in found[0].message
    assert found[0].span is not None and found[0].span.file.endswith("2026.09.yaml")
    assert found[0].span.line == 6  # the rule's first line


def test_a_satisfiable_condition_is_not_dead(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-NARROW
    category: platform
    actions: [open]
    when: credit_score > 500 and credit_score < 502
""")
    assert _findings(huabei_copy, "dead-rule") == []


def test_an_exemption_that_always_holds_is_reported(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-EXEMPT-ALL
    category: platform
    actions: [open]
    when: credit_score < 500
    unless: credit_score < 650
""")
    found = _findings(huabei_copy, "exemption-always-holds")
    assert len(found) == 1 and "PLAT-EXEMPT-ALL" in found[0].message
    assert _findings(huabei_copy, "dead-rule") == []


def test_an_exemption_that_sometimes_fails_is_fine(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-EXEMPT-SOME
    category: platform
    actions: [open]
    when: credit_score < 500
    unless: account_tier == "pilot"
""")
    assert _findings(huabei_copy, "exemption-always-holds") == []


def test_a_rule_covered_by_another_of_the_same_category_and_actions_is_redundant(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-WIDE
    category: platform
    actions: [borrow]
    when: overdue_days_max_12m > 10
  - id: PLAT-NARROWER
    category: platform
    actions: [borrow]
    when: overdue_days_max_12m > 20 and overdue_days_max_12m < 90
""")
    found = _findings(huabei_copy, "redundant-rule")
    assert len(found) == 1
    assert "'PLAT-NARROWER'" in found[0].message.split(" is redundant")[0]
    assert "'PLAT-WIDE'" in found[0].message


@pytest.mark.parametrize(
    ("category", "actions"),
    [("regulation", "[borrow]"), ("platform", "[borrow, open]")],
)
def test_a_different_category_or_action_set_is_not_redundancy(huabei_copy: Path, category: str, actions: str) -> None:
    _add_version(huabei_copy, f"""\
  - id: PLAT-WIDE
    category: platform
    actions: [borrow]
    when: overdue_days_max_12m > 10
  - id: OTHER-NARROWER
    category: {category}
    actions: {actions}
    source: {{authority: Example, document: Example rules}}
    when: overdue_days_max_12m > 20
""")
    assert _findings(huabei_copy, "redundant-rule") == []


def test_of_two_equivalent_rules_only_the_later_id_is_redundant(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-A
    category: platform
    actions: [borrow]
    when: credit_score < 500
  - id: PLAT-B
    category: platform
    actions: [borrow]
    when: not (credit_score >= 500)
""")
    found = _findings(huabei_copy, "redundant-rule")
    assert len(found) == 1 and found[0].message.startswith("rule 'PLAT-B' is redundant")


def test_a_rule_that_is_only_undetermined_where_the_other_is_not_is_not_redundant(huabei_copy: Path) -> None:
    # PLAT-LOOSE restricts wherever PLAT-STRICT does, but with the score unknown PLAT-STRICT
    # is undetermined and PLAT-LOOSE (on_unknown: allow) is not: dropping it changes a decision.
    _add_version(huabei_copy, """\
  - id: PLAT-LOOSE
    category: platform
    actions: [borrow]
    when: credit_score < 500
    on_unknown: allow
  - id: PLAT-STRICT
    category: platform
    actions: [borrow]
    when: credit_score < 400
""")
    assert _findings(huabei_copy, "redundant-rule") == []


def test_a_version_that_only_rewrites_conditions_means_the_same(huabei_copy: Path) -> None:
    # 2026.09 rewrites the score floor equivalently and changes a message only.
    _add_version(huabei_copy, """\
  - id: PLAT-SCORE-FLOOR
    category: platform
    actions: [raise_limit, open]
    when: not (credit_score >= 600)
    unless: account_tier == "pilot"
    message: {en: Reworded., zh-CN: 已改写。}
""")
    found = _findings(huabei_copy, "same-meaning")
    assert len(found) == 1 and found[0].severity is Severity.INFO
    assert "'2026.09'" in found[0].message and "'2026.06'" in found[0].message


def test_a_version_that_changes_a_threshold_does_not_mean_the_same(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-SCORE-FLOOR
    category: platform
    actions: [open, raise_limit]
    when: credit_score < 601
    unless: account_tier == "pilot"
""")
    assert _findings(huabei_copy, "same-meaning") == []


def test_validate_reports_solver_findings_and_strict_fails_on_them(huabei_copy: Path) -> None:
    _add_version(huabei_copy, """\
  - id: PLAT-IMPOSSIBLE
    category: platform
    actions: [open]
    when: credit_score < 500 and credit_score > 700
""")
    result = chronolex.validate([huabei_copy])
    assert "dead-rule" in {d.code for d in result.diagnostics}
    assert result.passed(strict=False) and not result.passed(strict=True)


SNIPPETS = [
    """\
  - id: PLAT-IMPOSSIBLE
    category: platform
    actions: [open]
    when: credit_score < 500 and credit_score > 700
  - id: PLAT-EXEMPT-ALL
    category: platform
    actions: [open]
    when: credit_score < 500
    unless: credit_score < 650
""",
    """\
  - id: PLAT-WIDE
    category: platform
    actions: [borrow]
    when: overdue_days_max_12m > 10
  - id: PLAT-NARROWER
    category: platform
    actions: [borrow]
    when: overdue_days_max_12m > 20 and overdue_days_max_12m < 90
  - id: PLAT-UNKNOWN-ONLY
    category: platform
    actions: [borrow]
    when: is_unknown(login_failures_24h)
""",
]


@pytest.mark.parametrize("rules", SNIPPETS)
def test_samples_only_save_time_they_never_change_a_finding(huabei_copy: Path, rules: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from chronolex.checks import solver as smtlint

    _add_version(huabei_copy, rules)
    with_samples = chronolex.check_bundle(huabei_copy, solver=True).diagnostics
    monkeypatch.setattr(smtlint._Samples, "applies_somewhere", lambda self, rule: False)
    monkeypatch.setattr(smtlint._Samples, "may_cover", lambda self, cover, covered: True)
    solver_only = chronolex.check_bundle(huabei_copy, solver=True).diagnostics
    assert with_samples == solver_only
    assert {d.code for d in solver_only} >= {"dead-rule"} or {d.code for d in solver_only} >= {"redundant-rule"}
