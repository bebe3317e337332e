"""Deliberately broken bundles, each pinned to the exact finding it must produce.

Every directory under ``tests/fixtures/broken/`` is a small, complete bundle with
exactly ONE defect. ``EXPECTED`` says which finding that defect must produce: its code,
severity, file (relative to the case directory), line and column (1-based; the column
of the offending token: for a key the key, for a value the value, for a condition
error the offending name or operator inside the YAML file, for a missing field the
start of the mapping that lacks it). Besides that finding a case may have no other
error, so each case tests one thing. The warning and info cases have no error at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import chronolex
from tests.conftest import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "broken"

E, W, I = "error", "warning", "info"

# (case, code, severity, file, line, column)
EXPECTED: list[tuple[str, str, str, str, int, int]] = [
    # -- reading YAML -------------------------------------------------------------------
    ("yaml-syntax", "yaml-syntax", E, "versions/1.yaml", 7, 4),  # the mis-indented key `actions`
    ("yaml-syntax-duplicate-anchor", "yaml-syntax", E, "versions/1.yaml", 11, 14),  # second `&acts`
    ("duplicate-key", "duplicate-key", E, "versions/1.yaml", 9, 5),  # second `when` key
    ("yaml-tag", "yaml-tag", E, "versions/1.yaml", 7, 12),  # `!!python/object/apply:os.system`
    ("yaml-limit", "yaml-limit", E, "versions/1.yaml", 14, 7),  # `&f`: first node expanding past the limit
    ("encoding", "encoding", E, "versions/1.yaml", 2, 9),  # byte 0xe9 after "# 花呗 caf" (8 characters)
    ("non-finite", "non-finite", E, "bundle.yaml", 13, 16),  # `.nan`
    # -- schema ---------------------------------------------------------------------------
    ("unknown-field", "unknown-field", E, "versions/1.yaml", 7, 5),  # `tittle`
    ("missing-field", "missing-field", E, "versions/1.yaml", 5, 5),  # rule mapping without `id`
    ("missing-actions", "missing-actions", E, "versions/1.yaml", 5, 5),  # rule mapping without `actions`
    ("missing-source", "missing-source", E, "versions/1.yaml", 5, 5),  # regulation rule without `source`
    ("schema", "schema", E, "versions/1.yaml", 1, 10),  # `version: 2026.03` is a number
    ("window-and-schedule", "window-and-schedule", E, "versions/1.yaml", 9, 5),  # the second of the two keys
    ("invalid-duration", "invalid-duration", E, "versions/1.yaml", 10, 17),  # `2 hours`
    ("invalid-text", "invalid-text", E, "versions/1.yaml", 9, 14),  # a message that is a list
    ("invalid-locale", "invalid-locale", E, "bundle.yaml", 3, 17),  # `default_locale: chinese`
    # -- conditions -------------------------------------------------------------------------
    ("unknown-fact", "unknown-fact", E, "versions/1.yaml", 10, 10),  # `overdue_days`, 2nd line of `when: |`
    ("type-mismatch", "type-mismatch", E, "versions/1.yaml", 8, 26),  # `"600"`, a string for an int fact
    ("enum-value", "enum-value", E, "versions/1.yaml", 8, 29),  # `"frozn"`
    ("syntax", "syntax", E, "versions/1.yaml", 8, 30),  # `&&`
    ("forbidden-construct", "forbidden-construct", E, "versions/1.yaml", 8, 11),  # `os.system`
    ("unknown-function", "unknown-function", E, "versions/1.yaml", 8, 11),  # `sqrt`
    # -- model ------------------------------------------------------------------------------
    ("unknown-action", "unknown-action", E, "versions/1.yaml", 7, 21),  # `lend`
    ("unknown-category", "unknown-category", E, "versions/1.yaml", 6, 15),  # `platfrom`
    ("duplicate-rule-id", "duplicate-rule-id", E, "versions/1.yaml", 9, 9),  # second `PLAT-SCORE-FLOOR`
    ("empty-window", "empty-window", E, "versions/1.yaml", 10, 12),  # `end` before `start`
    ("invalid-rrule", "invalid-rrule", E, "versions/1.yaml", 9, 14),  # `"FREQ=FORTNIGHTLY;…"`
    ("invalid-date", "invalid-date", E, "versions/1.yaml", 2, 17),  # `2026-02-30`
    ("invalid-timezone", "invalid-timezone", E, "bundle.yaml", 2, 11),  # `Asia/Shanghia`
    ("fact-cycle", "fact-cycle", E, "bundle.yaml", 10, 11),  # `score_b + 1` (score_a <-> score_b)
    # -- versions ---------------------------------------------------------------------------
    ("duplicate-version", "duplicate-version", E, "versions/2.yaml", 1, 10),  # second `"1"`
    ("version-conflict", "version-conflict", E, "versions/2.yaml", 3, 15),  # same dates as version "1"
    ("bad-extends", "bad-extends", E, "versions/2.yaml", 2, 10),  # `extends: "1.0"`, no such version
    ("bad-extends-cycle", "bad-extends", E, "versions/2.yaml", 2, 10),  # 1 extends 2 extends 1
    ("missing-locale", "missing-locale", E, "versions/1.yaml", 10, 13),  # remedy in en only, message in en and zh-CN
    # -- warnings and infos (these bundles have no error) ------------------------------------
    ("dead-rule", "dead-rule", W, "versions/1.yaml", 9, 13),  # `active` wholly before effective_from
    ("never-in-force", "never-in-force", W, "versions/1.yaml", 1, 10),  # "2" has the same start, published later
    ("overlapping-windows", "overlapping-windows", W, "versions/1.yaml", 12, 13),  # the later window
    ("retroactive", "retroactive", I, "versions/1.yaml", 3, 15),  # published after effective_from
]

CASES = [row[0] for row in EXPECTED]


def _relative(case_dir: Path, file: str) -> str:
    path = Path(file)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        return path.resolve().relative_to(case_dir.resolve()).as_posix()
    except ValueError:
        return file


def _describe(case_dir: Path, diagnostics: tuple[chronolex.Diagnostic, ...]) -> str:
    lines = []
    for d in diagnostics:
        where = f"{_relative(case_dir, d.span.file)}:{d.span.line}:{d.span.column}" if d.span else "<no span>"
        lines.append(f"  {where}: {d.severity.value}[{d.code}]: {d.message}")
    return "\n".join(lines) or "  (no diagnostics)"


@pytest.mark.parametrize(("case", "code", "severity", "file", "line", "column"), EXPECTED, ids=CASES)
def test_broken_bundle_finding(case: str, code: str, severity: str, file: str, line: int, column: int) -> None:
    case_dir = FIXTURES / case
    report = chronolex.check_bundle(case_dir)
    found = report.diagnostics

    def is_expected(d: chronolex.Diagnostic) -> bool:
        return (
            d.code == code
            and d.severity.value == severity
            and d.span is not None
            and _relative(case_dir, d.span.file) == file
            and (d.span.line, d.span.column) == (line, column)
        )

    listing = _describe(case_dir, found)
    assert any(is_expected(d) for d in found), (
        f"{case}: expected {file}:{line}:{column}: {severity}[{code}], got:\n{listing}"
    )
    others = [d for d in found if d.severity is chronolex.Severity.ERROR and not is_expected(d)]
    assert not others, f"{case}: errors other than the expected one:\n{_describe(case_dir, tuple(others))}"


@pytest.mark.parametrize("case", CASES)
def test_broken_bundle_spans_are_real(case: str) -> None:
    case_dir = FIXTURES / case
    report = chronolex.check_bundle(case_dir)
    assert report.diagnostics, f"{case}: no diagnostics at all"
    for d in report.diagnostics:
        assert d.span is not None, f"{case}: {d} has no span"
        assert d.span.line >= 1 and d.span.column >= 1, f"{case}: {d} has a position before 1:1"
        path = Path(d.span.file)
        if not path.is_absolute():
            path = Path.cwd() / path
        assert path.is_file(), f"{case}: {d} names a file that does not exist"


def test_every_fixture_is_in_the_table() -> None:
    on_disk = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert on_disk == sorted(CASES)
    assert len(set(CASES)) == len(CASES)
