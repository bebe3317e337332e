"""``chronolex test``: running policy test cases, reporting failures side by side,
coverage with an exact threshold, JUnit XML, -k selection and bad input."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli

STUDENT = """\
  - name: a student cannot open
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: student, birth_date: "2000-01-01"}
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
    at: 2026-04-01T09:00
    expect:
      decision: blocked
      blocked_by: [regulation]
      rules: [REG-STUDENT-LENDING]
      version: "2026.03"
"""

WINDOW = """\
  - name: the core upgrade window lifts at five
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: engineer, birth_date: "1990-01-01"}
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
    at: 2026-03-08T01:30
    expect:
      decision: blocked
      blocked_by: [maintenance]
      lifts: {MW-CORE-UPGRADE: 2026-03-08T05:00}
      next_change: {at: 2026-03-08T02:00}
"""

WRONG = """\
  - name: wrong on purpose
    action: open
    at: 2026-04-01T09:00
    expect: {decision: allowed, version: "2025.07"}
"""


@pytest.fixture
def huabei_copy(huabei_copy: Path) -> Path:
    """The shipped bundle without its own tests/, so each test runs only the cases it writes."""
    shutil.rmtree(huabei_copy / "tests", ignore_errors=True)
    return huabei_copy


def _bundle(tmp: Path, huabei_copy: Path, *cases: str, name: str = "cases.yaml") -> Path:
    tests = huabei_copy / "tests"
    tests.mkdir(exist_ok=True)
    (tests / name).write_text("cases:\n" + "".join(cases), encoding="utf-8")
    return huabei_copy


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["test", *args])


def test_passing_cases_exit_zero(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WINDOW)
    result = run(str(bundle))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ok: 2 cases, 2 passed, 0 failed")


def test_a_failure_shows_expected_and_actual_side_by_side(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WRONG)
    result = run(str(bundle))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("FAIL ") and line.endswith("::wrong on purpose") for line in lines)
    decision_line = next(line for line in lines if line.strip().startswith("decision:"))
    assert decision_line.split()[1:] == ["allowed", "undetermined"] or decision_line.split()[1:3] == ["allowed",
                                                                                                    "blocked"]
    assert any("version:" in line and "2025.07" in line and "2026.03" in line for line in lines)
    assert any(line.strip().startswith("why it failed: decision differs; version differs") for line in lines)
    assert "FAILED: 2 cases, 1 passed, 1 failed" in result.output


def test_k_selects_cases_by_file_and_name(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WRONG)
    assert run(str(bundle), "-k", "STUDENT").exit_code == 0
    assert run(str(bundle), "-k", "wrong").exit_code == 1
    result = run(str(bundle), "-k", "no such case")
    assert result.exit_code == 2 and "no policy test cases found matching -k" in result.output


def test_coverage_reports_each_rule_per_version(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WINDOW)
    result = run(str(bundle), "--format", "json", "--coverage")
    assert result.exit_code == 0, result.output
    coverage = json.loads(result.output)["bundles"][0]["coverage"]
    by_version = {v["version"]: {r["rule"]: r for r in v["rules"]} for v in coverage["versions"]}
    assert set(by_version) == {"2024.01", "2025.01", "2025.07", "2026.03", "2026.06"}
    student = by_version["2026.03"]["REG-STUDENT-LENDING"]
    assert student["seen"] == ["false", "fired"] and student["status"] == "covered"  # engineer: false
    assert by_version["2026.03"]["MW-CORE-UPGRADE"]["branches"] == ["fired"]
    assert by_version["2026.03"]["MW-CORE-UPGRADE"]["status"] == "covered"
    assert by_version["2024.01"]["REG-STUDENT-LENDING"]["status"] == "never reached"
    assert 0 < coverage["percent"] < 100


@pytest.mark.parametrize(("threshold", "code"), [("100", 1), ("99.99", 1), ("0", 0), ("5", 0)])
def test_the_threshold_is_compared_exactly(tmp_path: Path, huabei_copy: Path, threshold: str, code: int) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WINDOW)
    result = run(str(bundle), "--threshold", threshold)
    assert result.exit_code == code, result.output
    if code:
        assert f"below the threshold {threshold}" in result.output


def test_percentages_never_round_up_to_a_hundred() -> None:
    from fractions import Fraction

    from chronolex.cli.commands.policy_tests import _percent

    assert _percent(Fraction(99999, 100000)) == "99.99%"
    assert _percent(Fraction(1)) == "100.00%"


def test_junit_xml_has_a_suite_per_file_and_a_failure_per_failed_case(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT, WRONG)
    report = tmp_path / "junit.xml"
    assert run(str(bundle), "--junit", str(report)).exit_code == 1
    root = ET.parse(report).getroot()
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["a student cannot open"].find("failure") is None
    failure = cases["wrong on purpose"].find("failure")
    assert failure is not None and "decision expected allowed" in (failure.get("message") or "")


def test_a_single_test_file_may_be_named(tmp_path: Path, huabei_copy: Path) -> None:
    bundle = _bundle(tmp_path, huabei_copy, STUDENT)
    _bundle(tmp_path, huabei_copy, WRONG, name="other.yaml")
    assert run(str(bundle / "tests" / "cases.yaml")).exit_code == 0
    assert run(str(bundle)).exit_code == 1


def test_a_timeline_expectation_is_compared_interval_by_interval(tmp_path: Path, huabei_copy: Path) -> None:
    case = """\
  - name: the night of the upgrade
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: engineer, birth_date: "1990-01-01"}
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
    timeline:
      from: 2026-03-08T00:00
      to: 2026-03-08T06:00
      expect:
        - {from: 2026-03-08T00:00, to: 2026-03-08T01:00, decision: allowed}
        - {from: 2026-03-08T01:00, to: 2026-03-08T02:00, decision: blocked, rules: [MW-CORE-UPGRADE]}
        - {from: 2026-03-08T02:00, to: 2026-03-08T04:00, decision: blocked, blocked_by: [maintenance],
           rules: [MW-CORE-UPGRADE, MW-WEEKLY]}
        - {from: 2026-03-08T04:00, to: 2026-03-08T05:00, decision: blocked, rules: [MW-CORE-UPGRADE]}
        - {from: 2026-03-08T05:00, to: 2026-03-08T06:00, decision: allowed}
"""
    bundle = _bundle(tmp_path, huabei_copy, case)
    result = run(str(bundle))
    assert result.exit_code == 0, result.output
    (bundle / "tests" / "cases.yaml").write_text("cases:\n" + case.replace("T06:00, decision: allowed",
                                                                           "T06:00, decision: blocked"), "utf-8")
    result = run(str(bundle))
    assert result.exit_code == 1 and "timeline interval 5" in result.output


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("cases:\n  - name: x\n    action: fly\n    at: 2026-01-01\n    expect: {decision: allowed}\n", "unknown-action"),
        ("cases:\n  - name: x\n    action: open\n    at: 2026-02-30\n    expect: {decision: allowed}\n", "invalid-date"),
        ("cases:\n  - name: x\n    action: open\n    expect: {decision: allowed}\n", "missing-field"),
        ("cases:\n  - name: x\n    action: open\n    at: 2026-01-01\n    events_file: missing.jsonl\n"
         "    expect: {decision: allowed}\n", "io-error"),
        ("cases:\n  - name: x\n    action: open\n    at: 2026-01-01\n    events_file: ../../../../etc/hostname\n"
         "    expect: {decision: allowed}\n", "lies outside the bundle"),
    ],
)
def test_bad_test_files_are_reported_with_position_and_exit_two(huabei_copy: Path, body: str, code: str) -> None:
    tests = huabei_copy / "tests"
    tests.mkdir()
    (tests / "bad.yaml").write_text(body, encoding="utf-8")
    result = run(str(huabei_copy))
    assert result.exit_code == 2, result.output
    assert "bad.yaml:" in result.output and code in result.output
    assert "Traceback" not in result.output
