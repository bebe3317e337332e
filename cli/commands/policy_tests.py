"""``chronolex test``: run a bundle's policy tests, with coverage and JUnit XML.
Arguments in, engine calls, rendering out."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

import chronolex
from chronolex.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    BadInput,
    emit,
    error_line,
    fail,
    write_atomically,
    writes_to_stdout,
)
from chronolex import Case, CaseResult, Coverage, PolicyRun, enclosing_bundle, load_cases, policy_test_files, run_cases


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-k", "patterns", multiple=True, metavar="PATTERN",
              help="Run only cases whose FILE::NAME contains PATTERN (case-insensitive; repeatable: any).")
@click.option("--coverage", is_flag=True, help="Report, per version, each rule as fired / false / never reached.")
@click.option("--threshold", metavar="PERCENT",
              help="Fail (exit 1) when coverage is below PERCENT (compared exactly; implies --coverage).")
@click.option("--junit", type=click.Path(dir_okay=False),
              help="Write JUnit XML to this file (- : standard output; the report then goes to standard error). "
                   "A run that cannot start replaces it with a report of one error.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def policy_test(paths: Sequence[str], patterns: Sequence[str], coverage: bool, threshold: str | None,
                junit: str | None, fmt: str) -> None:
    """Run policy tests: the cases in each bundle's tests/*.yaml.

    PATHS are bundle directories, test files, or directories with bundles below them
    (default: ./policies). Exit 0 when every case passes (and coverage meets
    --threshold), 1 otherwise, 2 for bad input.
    """
    try:
        _run(paths, patterns, coverage, threshold, junit, fmt)
    except (BadInput, chronolex.ChronolexError) as error:
        # A CI server publishes whatever JUnit file it finds: the report of an earlier
        # green run must not stand in for a run that could not start.
        if junit:
            message = error.format_message() if isinstance(error, BadInput) else error_line(error)
            try:
                write_atomically(Path(junit), _junit_error(message))
            except BadInput:
                pass  # the report cannot be written either: the first error is the one to show
        raise


def _run(paths: Sequence[str], patterns: Sequence[str], coverage: bool, threshold: str | None,
         junit: str | None, fmt: str) -> None:
    needed = _threshold(threshold)
    coverage = coverage or needed is not None
    targets = _targets(list(paths) or (["policies"] if Path("policies").is_dir() else ["."]))
    runs: list[tuple[chronolex.Bundle, PolicyRun]] = []
    for root, files in targets:
        bundle = chronolex.load_bundle(root)
        cases = load_cases(bundle, files or policy_test_files(root))
        chosen = [c for c in cases if _selected(c, patterns)]
        runs.append((bundle, run_cases(bundle, chosen)))
    if not any(r.results for _, r in runs):
        fail("no policy test cases found" + (" matching -k" if patterns else "") +
             " (write them in BUNDLE/tests/*.yaml; see docs/testing.md)")
    met = all(needed is None or run.coverage.ratio() * 100 >= needed for _, run in runs)
    report = json.dumps(_json(runs, coverage), indent=2, ensure_ascii=False) + "\n" if fmt == "json" \
        else _text(runs, coverage, needed)
    if junit and writes_to_stdout(junit):
        click.echo(report, err=True, nl=False)  # standard output carries the XML alone
    else:
        emit(report)
    if junit:
        write_atomically(Path(junit), _junit(runs))
    passed = all(run.passed for _, run in runs)
    sys.exit(EXIT_OK if passed and met else EXIT_FINDINGS)


def _threshold(text: str | None) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Fraction(Decimal(text.rstrip("%")))
    except (InvalidOperation, ValueError):
        fail(f"--threshold: {text!r} is not a number (write e.g. 100 or 95.5)")
    if not 0 <= value <= 100:
        fail(f"--threshold: {text} is not between 0 and 100")
    return value


def _targets(paths: list[str]) -> list[tuple[Path, list[Path]]]:
    """Each bundle to test, with the test files named (empty: all of its tests/*.yaml)."""
    found: dict[Path, list[Path]] = {}
    for text in paths:
        path = Path(text)
        if path.is_file():
            root = enclosing_bundle(path.parent)
            if root is None:
                fail(f"{text}: not inside a bundle (no bundle.yaml above it)")
            found.setdefault(root, []).append(path)
        elif path.is_dir():
            bundles = chronolex.find_bundles([path])
            if not bundles:
                fail(f"{text}: no bundle there (a bundle is a directory with bundle.yaml)")
            for root in bundles:
                found.setdefault(Path(root), [])
        else:
            fail(f"{text}: no such file or directory")
    return sorted(found.items())


def _selected(case: Case, patterns: Sequence[str]) -> bool:
    return not patterns or any(p.lower() in case.id.lower() for p in patterns)


def _percent(value: Fraction) -> str:
    """A percentage that never rounds up to 100: 99.996% shows as 99.99%."""
    hundredths = (value * 10000).numerator // (value * 10000).denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _failure_lines(result: CaseResult) -> list[str]:
    lines = [f"FAIL {result.case.id}"]
    by_check: dict[str, list[Any]] = {}
    for mismatch in result.mismatches:
        by_check.setdefault(mismatch.check, []).append(mismatch)
    for check, mismatches in by_check.items():
        lines.append(f"  {check}:")
        width = max(len(m.key) for m in mismatches) + 2
        column = max([len("expected")] + [len(m.expected) for m in mismatches]) + 2
        lines.append(f"    {'':<{width}}{'expected':<{column}}actual")
        for m in mismatches:
            lines.append(f"    {m.key + ':':<{width}}{m.expected:<{column}}{m.actual}")
        lines.append("    why it failed: " + "; ".join(f"{m.key} differs" for m in mismatches))
    for label, answer in result.actual:
        if label in by_check and "decision" in answer:
            reasons = ", ".join(answer["rules"]) or "no rule"
            lines.append(f"  actual ({label}): {answer['decision']} under version {answer['version']}; reasons: {reasons}")
    return lines


def _coverage_lines(coverage: Coverage) -> list[str]:
    lines = [f"coverage of {coverage.bundle.name}: {_percent(coverage.ratio())} of rule branches (fired, false)"]
    current = None
    for version, rule, has, seen in coverage.rows():
        if version != current:
            current = version
            lines.append(f"  version {version}: {_percent(coverage.ratio(version))}")
        mark = "✓" if seen == has else "✗"
        lines.append(f"    {mark} {rule.id:<28} {chronolex.branch_status(has, seen)}")
    return lines


def _text(runs: list[tuple[chronolex.Bundle, PolicyRun]], coverage: bool, needed: Fraction | None) -> str:
    out: list[str] = []
    total = failed = 0
    for bundle, run in runs:
        for result in run.results:
            total += 1
            if not result.passed:
                failed += 1
                out.extend(_failure_lines(result))
        if coverage:
            out.extend(_coverage_lines(run.coverage))
            if needed is not None and run.coverage.ratio() * 100 < needed:
                out.append(f"coverage {_percent(run.coverage.ratio())} is below the threshold {float(needed):g}%")
    out.append(f"{'ok' if failed == 0 else 'FAILED'}: {total} case{'s' if total != 1 else ''}, "
               f"{total - failed} passed, {failed} failed")
    return "\n".join(out) + "\n"


def _json(runs: list[tuple[chronolex.Bundle, PolicyRun]], coverage: bool) -> dict[str, Any]:
    bundles = []
    for bundle, run in runs:
        entry: dict[str, Any] = {
            "bundle": bundle.name,
            "cases": [
                {
                    "id": r.case.id,
                    "file": r.case.file,
                    "name": r.case.name,
                    "passed": r.passed,
                    "mismatches": [
                        {"check": m.check, "key": m.key, "expected": m.expected, "actual": m.actual}
                        for m in r.mismatches
                    ],
                    "actual": [{"check": label, **answer} for label, answer in r.actual],
                }
                for r in run.results
            ],
        }
        if coverage:
            entry["coverage"] = run.coverage.to_json()
        bundles.append(entry)
    return {"passed": all(run.passed for _, run in runs), "bundles": bundles}


def _junit(runs: list[tuple[chronolex.Bundle, PolicyRun]]) -> str:
    """JUnit XML as Jenkins, GitLab and GitHub test reporters read it: a suite per file."""
    root = ET.Element("testsuites", name="chronolex")
    for bundle, run in runs:
        by_file: dict[str, list[CaseResult]] = {}
        for result in run.results:
            by_file.setdefault(result.case.file, []).append(result)
        for file, results in sorted(by_file.items()):
            failures = sum(1 for r in results if not r.passed)
            suite = ET.SubElement(root, "testsuite", name=f"{bundle.name}:{file}", tests=str(len(results)),
                                  failures=str(failures), errors="0", skipped="0")
            for result in results:
                case = ET.SubElement(suite, "testcase", classname=f"{bundle.name}.{Path(file).stem}",
                                     name=result.case.name, file=file)
                if not result.passed:
                    message = "; ".join(f"{m.check}: {m.key} expected {m.expected}, got {m.actual}"
                                        for m in result.mismatches)
                    failure = ET.SubElement(case, "failure", message=message, type="ExpectationFailed")
                    failure.text = "\n".join(_failure_lines(result))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _junit_error(message: str) -> str:
    """JUnit XML for a run that could not start: one test case in error, with the message."""
    root = ET.Element("testsuites", name="chronolex", tests="1", failures="0", errors="1")
    suite = ET.SubElement(root, "testsuite", name="chronolex", tests="1", failures="0", errors="1", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="chronolex", name="policy tests could not run")
    error = ET.SubElement(case, "error", message=message, type="BadInput")
    error.text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
