"""Policy tests (``chronolex.testing``): ``policy_test_files``, ``load_cases``, ``run_cases``.

What is checked:

- the shipped bundle's ``policies/huabei/tests/`` suite: its files, its 67 cases (inline
  events and ``events_file`` histories), every case passing, and 100% branch coverage
  kept as an exact fraction;
- a failing case written in ``tmp_path`` reports each expectation that did not hold,
  expected against actual (decision, version, ``rules_include``, ``lifts``,
  ``next_change``, timeline intervals), and only the keys the case states are compared;
  instants compare as instants and category lists as sets;
- ``load_cases`` reports every problem of every file at once, positioned (unknown
  action, impossible instant, missing or outside ``events_file``, schema errors);
- coverage of a partial suite: which branches were seen, per rule and version, and that
  a block settled by ``on_unknown: block`` is not a fired branch.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import chronolex
from chronolex import ChronolexError, load_cases, policy_test_files, run_cases
from tests.conftest import HUABEI
from tests.helpers.bundles import MINI_BUNDLE, mini, version, write

CLEAN = """\
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-05, type: profile_updated, occupation: engineer, birth_date: "1990-01-01"}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
"""


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def shipped(huabei: chronolex.Bundle) -> chronolex.PolicyRun:
    return run_cases(huabei, load_cases(huabei, policy_test_files(HUABEI)))


def run_text(bundle: chronolex.Bundle, path: Path, text: str) -> chronolex.PolicyRun:
    write(path, text)
    return run_cases(bundle, load_cases(bundle, [path]))


def mismatches(run: chronolex.PolicyRun, name: str) -> list[tuple[str, str, str, str]]:
    (result,) = [r for r in run.results if r.case.name == name]
    return [(m.check, m.key, m.expected, m.actual) for m in result.mismatches]


def load_problems(bundle: chronolex.Bundle, *paths: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ChronolexError) as caught:
        load_cases(bundle, paths)
    return [(d.code, d.span.line if d.span else None, d.message) for d in caught.value.diagnostics]


# -- the shipped suite ---------------------------------------------------------------------------


def test_policy_test_files_are_the_yaml_files_of_the_tests_directory_sorted(tmp_path: Path) -> None:
    assert [p.name for p in policy_test_files(HUABEI)] == [
        "all-rules-at-once.yaml", "maintenance.yaml", "platform.yaml", "regulation.yaml",
        "tables-and-timelines.yaml", "versions-and-knowledge.yaml",
    ]  # not the histories/ directory next to them
    write(tmp_path / "tests" / "b.yml", "cases: []\n")
    write(tmp_path / "tests" / "a.yaml", "cases: []\n")
    write(tmp_path / "tests" / "notes.txt", "not a test\n")
    (tmp_path / "tests" / "dir.yaml").mkdir()
    assert [p.name for p in policy_test_files(tmp_path)] == ["a.yaml", "b.yml"]
    assert policy_test_files(tmp_path / "elsewhere") == []


def test_the_shipped_cases_load_with_their_histories(huabei: chronolex.Bundle) -> None:
    cases = load_cases(huabei, policy_test_files(HUABEI))
    assert len(cases) == 67
    assert len({c.id for c in cases}) == 67
    first = cases[0]
    assert first.id == f"{HUABEI / 'tests' / 'all-rules-at-once.yaml'}::{first.name}"
    # the first case reads its events from tests/histories/breaks-every-rule.jsonl
    assert first.history.account == "breaks-every-rule" and first.history.events
    assert {c.action for c in cases} <= set(huabei.actions)
    assert all(c.checks or c.timeline is not None for c in cases)


def test_every_shipped_case_passes(shipped: chronolex.PolicyRun) -> None:
    assert shipped.passed
    assert len(shipped.results) == 67
    assert [r.case.name for r in shipped.results if not r.passed] == []


def test_the_shipped_suite_covers_every_branch_exactly(shipped: chronolex.PolicyRun, huabei: chronolex.Bundle) -> None:
    assert shipped.coverage.ratio() == Fraction(1)
    for version in huabei.versions:
        assert shipped.coverage.ratio(version.id) == 1
    rows = shipped.coverage.rows()
    assert len(rows) == sum(len(v.rules) for v in huabei.versions)
    assert all(seen == has for _, _, has, seen in rows)
    report = shipped.coverage.to_json()
    assert report["percent"] == 100.0
    assert {r["status"] for v in report["versions"] for r in v["rules"]} == {"covered"}


# -- failing cases -------------------------------------------------------------------------------


def test_a_failing_case_reports_expected_against_actual(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", """\
cases:
  - name: wrong on purpose
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: student, birth_date: "2000-01-01"}
    at: 2026-04-01T09:00
    expect: {decision: allowed, version: "2025.07", rules_include: [REG-STUDENT-LENDING, PLAT-X]}
""")
    assert not run.passed
    assert mismatches(run, "wrong on purpose") == [
        ("at 2026-04-01T09:00", "decision", "allowed", "blocked"),
        ("at 2026-04-01T09:00", "rules_include", "[PLAT-X, REG-STUDENT-LENDING]",
         "[PLAT-SCORE-FLOOR, REG-CREDIT-CONSENT, REG-REAL-NAME, REG-STUDENT-LENDING]"),
        ("at 2026-04-01T09:00", "version", "2025.07", "2026.03"),
    ]
    (result,) = run.results
    (label, actual), = result.actual
    assert label == "at 2026-04-01T09:00"
    assert actual["decision"] == "blocked" and actual["version"] == "2026.03"


def test_only_the_keys_a_case_states_are_compared(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", f"""\
cases:
  - name: decision only
    action: open
    events:
{CLEAN}    at: 2026-03-08T01:30
    expect: {{decision: blocked}}
  - name: sets and instants
    action: open
    events:
{CLEAN}    at: 2026-03-08T02:30
    expect:
      blocked_by: [maintenance]
      rules: [MW-WEEKLY, MW-CORE-UPGRADE]
      lifts: {{MW-CORE-UPGRADE: "2026-03-07T21:00:00Z", MW-WEEKLY: 2026-03-08T04:00:00+08:00}}
""")
    assert run.passed, [r.mismatches for r in run.results]


def test_lifts_and_next_change_mismatches(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", f"""\
cases:
  - name: wrong lifts
    action: open
    events:
{CLEAN}    at: 2026-03-08T01:30
    expect:
      lifts: {{MW-CORE-UPGRADE: 2026-03-08T06:00, MW-WEEKLY: 2026-03-08T04:00}}
      next_change: {{at: 2026-03-08T03:00, decision: allowed, blocked_by: []}}
""")
    assert mismatches(run, "wrong lifts") == [
        ("at 2026-03-08T01:30", "lifts.MW-CORE-UPGRADE", "2026-03-08T06:00", "2026-03-08T05:00:00+08:00"),
        ("at 2026-03-08T01:30", "lifts.MW-WEEKLY", "2026-03-08T04:00", "not among the reasons"),
        ("at 2026-03-08T01:30", "next_change.at", "2026-03-08T03:00", "2026-03-08T02:00:00+08:00"),
        ("at 2026-03-08T01:30", "next_change.decision", "allowed", "blocked"),
        ("at 2026-03-08T01:30", "next_change.blocked_by", "[]", "[maintenance]"),
    ]


def test_a_timeline_mismatch_names_the_interval_and_the_key(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", f"""\
cases:
  - name: the upgrade night
    action: open
    events:
{CLEAN}    timeline:
      from: 2026-03-08T00:00
      to: 2026-03-08T06:00
      expect:
        - {{from: 2026-03-08T00:00, to: 2026-03-08T01:00, decision: allowed}}
        - {{from: 2026-03-08T01:00, to: 2026-03-08T06:00, decision: blocked, rules: [MW-CORE-UPGRADE]}}
""")
    assert mismatches(run, "the upgrade night") == [
        ("timeline", "intervals", "2 intervals", "5 intervals"),
        ("timeline interval 2", "to", "2026-03-08T06:00", "2026-03-08T02:00:00+08:00"),
    ]
    (result,) = run.results
    ((label, actual),) = result.actual
    assert label == "timeline" and [i["from"] for i in actual["intervals"]] == [
        "2026-03-08T00:00:00+08:00", "2026-03-08T01:00:00+08:00", "2026-03-08T02:00:00+08:00",
        "2026-03-08T04:00:00+08:00", "2026-03-08T05:00:00+08:00"]


def test_table_rows_take_their_own_knowledge_instant(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", """\
cases:
  - name: retroactive consent rule
    action: open
    as_known_at: 2025-07-10
    events:
      - {at: 2025-05-20T15:00, type: kyc_verified}
      - {at: 2025-05-20T15:04, type: profile_updated, birth_date: "1985-08-30", occupation: shop_owner}
      - {at: 2025-05-21T06:00, type: credit_score_updated, score: 690}
    table:
      - {at: 2025-07-08T10:00, expect: {decision: allowed, version: "2025.01"}}
      - {at: 2025-07-08T10:00, as_known_at: 2025-07-16, expect: {decision: allowed}}
""")
    assert mismatches(run, "retroactive consent rule") == [
        ("table row 2 (at 2025-07-08T10:00)", "decision", "allowed", "blocked"),
    ]


# -- problems found while loading ------------------------------------------------------------------


def test_every_loading_problem_of_every_file_is_reported_at_once(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    first = tmp_path / "tests" / "a.yaml"
    write(first, """\
cases:
  - name: unknown action
    action: opne
    at: 2026-03-01
    expect: {decision: allowed}
  - name: impossible instant
    action: open
    at: 2026-02-30T10:00
    expect: {decision: allowed}
  - name: missing history
    action: open
    events_file: histories/none.jsonl
    at: 2026-03-01
    expect: {decision: allowed}
""")
    second = tmp_path / "tests" / "b.yaml"
    write(second, "cases:\n  - name: no action\n    at: 2026-03-01\n    expect: {decision: allowed}\n")
    with pytest.raises(ChronolexError) as caught:
        load_cases(huabei, [first, second])
    found = [(d.code, Path(d.span.file).name, d.span.line, d.message) for d in caught.value.diagnostics if d.span]
    assert found == [
        ("unknown-action", "a.yaml", 3, "unknown action 'opne'"),
        ("invalid-date", "a.yaml", 8,
         "'2026-02-30T10:00' is not a valid date or date-time (day is out of range for month)"),
        ("io-error", "a.yaml", 12, "events_file 'histories/none.jsonl': no such file"),
        ("missing-field", "b.yaml", 2, "missing required field 'action' in cases[0]"),
    ]
    assert len(caught.value.diagnostics) == 4


def test_an_events_file_outside_the_bundle_is_refused(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    write(tmp_path / "secret.jsonl", '{"account": "x", "at": "2026-01-01T00:00:00+08:00", "type": "kyc_verified"}\n')
    path = tmp_path / "bundle" / "tests" / "a.yaml"
    write(path, "cases:\n  - name: escape\n    action: open\n    events_file: ../../secret.jsonl\n"
                "    at: 2026-03-01\n    expect: {decision: allowed}\n")
    ((code, line, message),) = load_problems(huabei, path)
    assert (code, line) == ("io-error", 4)
    assert message == "events_file '../../secret.jsonl' lies outside the bundle; refused"



def test_a_cases_event_in_a_dst_gap_is_refused_as_an_events_file_refuses_it(tmp_path: Path) -> None:
    """The same record inline and in an events file means the same event: a recorded wall time
    the zone skips needs its offset in both, instead of moving an hour on one path only."""
    root = mini(tmp_path / "b", ("a.yaml", version("A", eff="2026-01-01")),
                bundle=MINI_BUNDLE.replace("Asia/Shanghai", "America/New_York"))
    bundle = chronolex.load_bundle(root)
    path = root / "tests" / "a.yaml"
    write(path, """\
cases:
  - name: gap
    action: open
    events:
      - {at: "2026-03-08T02:30", type: hit}
      - {at: "2026-03-08T01:30", type: hit, recorded_at: "2026-03-08T02:10"}
      - {at: "2026-03-08T02:30-05:00", type: hit, recorded_at: "2026-11-01T01:30"}
    at: 2026-03-09
    expect: {decision: allowed}
""")
    assert load_problems(bundle, path) == [
        ("invalid-date", 5, "2026-03-08T02:30 does not exist in America/New_York: the clocks jump forward over it "
                            "(from 02:00 to 03:00); a recorded time there needs its UTC offset, e.g. "
                            "2026-03-08T02:30-05:00 if it was read before the change"),
        ("invalid-date", 6, "2026-03-08T02:10 does not exist in America/New_York: the clocks jump forward over it "
                            "(from 02:00 to 03:00); a recorded time there needs its UTC offset, e.g. "
                            "2026-03-08T02:10-05:00 if it was read before the change"),
    ]


# -- coverage of a partial suite --------------------------------------------------------------------


def test_coverage_records_which_branches_the_cases_saw(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", """\
cases:
  - name: a student
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: student, birth_date: "2000-01-01"}
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
    at: 2026-04-01T09:00
    expect: {decision: blocked, rules: [REG-STUDENT-LENDING]}
""")
    assert run.passed
    status = {(v["version"], r["rule"]): r["status"] for v in run.coverage.to_json()["versions"] for r in v["rules"]}
    assert status[("2026.03", "REG-STUDENT-LENDING")] == "fired, never false"
    assert status[("2026.03", "REG-REAL-NAME")] == "evaluated and false, never fired"
    assert status[("2026.03", "MW-WEEKLY")] == "never reached"  # not inside its window at 09:00
    assert status[("2026.03", "PLAT-RESET-COOLDOWN")] == "never reached"  # raise_limit only
    assert status[("2025.07", "REG-STUDENT-LENDING")] == "never reached"  # counts under the deciding version only
    coverage = run.coverage
    assert 0 < coverage.ratio("2026.03") < 1 and coverage.ratio("2025.07") == 0
    rows = {(v, r.id): (has, seen) for v, r, has, seen in coverage.rows()}
    assert rows[("2026.03", "MW-WEEKLY")] == (frozenset({"fired"}), frozenset())
    assert rows[("2026.03", "REG-STUDENT-LENDING")] == (frozenset({"fired", "false"}), frozenset({"fired"}))
    total = sum(len(has) for has, _ in rows.values())
    assert coverage.ratio() == Fraction(sum(len(seen) for _, seen in rows.values()), total)


def test_a_block_settled_by_on_unknown_is_not_a_fired_branch(huabei: chronolex.Bundle, tmp_path: Path) -> None:
    run = run_text(huabei, tmp_path / "tests" / "cases.yaml", """\
cases:
  - name: no birth date
    action: open
    events:
      - {at: 2026-01-05, type: profile_updated, occupation: engineer}
      - {at: 2026-01-05, type: kyc_verified}
      - {at: 2026-01-05, type: credit_consent_changed, granted: true}
      - {at: 2026-01-06, type: credit_score_updated, score: 700}
    at: 2026-04-01T09:00
    expect: {decision: blocked, rules: [REG-MINORS]}
""")
    assert run.passed
    rows = {(v, r.id): seen for v, r, _, seen in run.coverage.rows()}
    assert rows[("2026.03", "REG-MINORS")] == frozenset()  # restricted, but only because age was unknown
