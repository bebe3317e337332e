"""The stages of a bundle check (``chronolex.checks.stages``): load, lint, solver.

What is checked:

- ``STAGES`` lists the stages after loading in the order they run: lint, the solver,
  then the policy tests, the last two on a bundle without errors;
- the policy tests stage reports what ``chronolex test`` would refuse, the very
  diagnostics ``load_cases`` raises (one reader for both);
- ``check_bundle`` reports the load and lint findings; the solver's findings only with
  ``solver=True``, and only on a bundle without errors (lint still runs on a bundle
  whose model was built despite an error); ``bundle`` is the model, or None on errors;
- a bundle whose files cannot be read raises ``io-error``; bad content never raises;
- in a fresh interpreter, ``import chronolex`` and ``check_bundle(..., solver=False)``
  do not import ``z3``; ``solver=True`` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import chronolex
from chronolex import ChronolexError, Severity, check_bundle
from chronolex.checks.stages import STAGES
from tests.conftest import HUABEI, ROOT
from tests.helpers.bundles import mini, version

DEAD = "  - {id: R1, category: platform, actions: [open], when: score < 5 and score > 10}\n"
PAST_WINDOW = "  - {id: M1, category: maintenance, actions: [open], window: {start: 2020-01-01, end: 2020-01-02}}\n"


def findings(report: chronolex.BundleReport) -> list[tuple[str, Severity]]:
    """The findings but the catalog warning, which every mini bundle without events gets."""
    return [(d.code, d.severity) for d in report.diagnostics if d.code != "no-event-catalog"]


def test_the_stages_after_loading_are_lint_then_solver_then_tests() -> None:
    assert [stage.name for stage in STAGES] == ["lint", "solver", "tests"]
    assert [stage.needs_no_errors for stage in STAGES] == [False, True, True]


def test_the_shipped_bundle_passes_with_its_lint_info_only() -> None:
    report = check_bundle(HUABEI)
    assert report.ok and findings(report) == [("retroactive", Severity.INFO)]
    assert report.bundle is not None and report.bundle.name == "huabei"
    assert report.files[0] == str(HUABEI / "bundle.yaml")
    assert {str(p) for p in (HUABEI / "versions").glob("*.yaml")} <= set(report.files)


def test_solver_findings_come_only_when_asked_for(tmp_path: Path) -> None:
    root = mini(tmp_path, ("v1.yaml", version("v1", rules=DEAD)))
    assert findings(check_bundle(root)) == []
    assert findings(check_bundle(root, solver=False)) == []
    with_solver = check_bundle(root, solver=True)
    assert findings(with_solver) == [("dead-rule", Severity.WARNING)]
    assert "can never apply" in next(d for d in with_solver.diagnostics if d.code != "no-event-catalog").message
    assert with_solver.ok and with_solver.bundle is not None  # a warning keeps the bundle


def test_lint_and_solver_findings_are_reported_together(tmp_path: Path) -> None:
    root = mini(tmp_path, ("v1.yaml", version("v1", eff="2026-01-01", pub="2026-02-01T00:00:00+08:00", rules=DEAD)))
    assert findings(check_bundle(root)) == [("retroactive", Severity.INFO)]
    assert sorted(findings(check_bundle(root, solver=True))) == sorted(
        [("retroactive", Severity.INFO), ("dead-rule", Severity.WARNING)])


def test_the_solver_does_not_run_on_a_bundle_with_errors_but_lint_does(tmp_path: Path) -> None:
    # two versions with the same effective_from and published_at: a version-conflict error,
    # found after the model is built, so the lint stage still has a model to read
    root = mini(tmp_path / "conflict", ("v1.yaml", version("v1", rules=DEAD)), ("v2.yaml", version("v2", rules=DEAD)))
    report = check_bundle(root, solver=True)
    assert findings(report) == [("version-conflict", Severity.ERROR)]  # no dead-rule from the solver
    assert not report.ok and report.bundle is None
    linted = mini(tmp_path / "lint", ("v1.yaml", version("v1", rules=PAST_WINDOW)),
                  ("v2.yaml", version("v2", rules=PAST_WINDOW)))
    assert findings(check_bundle(linted)) == [("version-conflict", Severity.ERROR), ("dead-rule", Severity.WARNING)]


def test_a_bundle_that_does_not_load_reports_only_its_load_errors(tmp_path: Path) -> None:
    broken = DEAD + "  - {id: R2, category: platform, actions: [open], when: scor < 5}\n"
    report = check_bundle(mini(tmp_path, ("v1.yaml", version("v1", rules=broken))), solver=True)
    assert findings(report) == [("unknown-fact", Severity.ERROR)]
    assert report.bundle is None and not report.ok


def test_only_unreadable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(ChronolexError) as caught:
        check_bundle(tmp_path / "missing")
    assert caught.value.diagnostics[0].code == "io-error"


def _modules_after(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout.strip()


def test_checking_without_the_solver_never_imports_z3() -> None:
    code = ("import sys, chronolex\n"
            "report = chronolex.check_bundle('policies/huabei', solver=False)\n"
            "print(report.ok, 'z3' in sys.modules)")
    assert _modules_after(code) == "True False"


def test_the_solver_stage_imports_z3_when_it_runs() -> None:
    code = ("import sys, chronolex\n"
            "report = chronolex.check_bundle('policies/huabei', solver=True)\n"
            "print(report.ok, 'z3' in sys.modules)")
    assert _modules_after(code) == "True True"


BAD_CASES = """\
cases:
  - name: an action the bundle lacks
    action: fly
    at: 2026-01-01
    expect: {decision: allowed}
  - name: an events file that is not there
    action: open
    events_file: histories/nope.jsonl
    at: 2026-01-01
    expect: {decision: allowed}
  - name: a day that does not exist
    action: open
    at: 2026-02-30
    expect: {decision: allowed}
"""


def test_validate_reports_what_the_test_command_refuses_with_the_same_diagnostics(huabei_copy: Path) -> None:
    (huabei_copy / "tests" / "bad.yaml").write_text(BAD_CASES, encoding="utf-8")
    report = check_bundle(huabei_copy)
    found = [d for d in report.diagnostics if d.span is not None and d.span.file.endswith("bad.yaml")]
    assert [(d.code, d.span.line if d.span else 0) for d in found] == [
        ("unknown-action", 3), ("io-error", 8), ("invalid-date", 13)]
    assert not report.ok
    bundle = chronolex.load_bundle(huabei_copy)
    with pytest.raises(ChronolexError) as refused:
        chronolex.load_cases(bundle, chronolex.policy_test_files(huabei_copy))
    assert list(refused.value.diagnostics) == found


def test_the_shipped_tests_read_cleanly_in_validate() -> None:
    assert [d.code for d in check_bundle(HUABEI).diagnostics if "/tests/" in (d.span.file if d.span else "")] == []
