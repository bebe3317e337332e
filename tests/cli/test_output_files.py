"""Every option that names an output file: ``-`` is standard output (no file named ``-``
appears), and a ``test --junit`` run that cannot start replaces an earlier report with one
that says so, so that a CI server never publishes a stale green report."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory holding a copy of the shipped bundle under ./policies."""
    shutil.copytree(HUABEI, tmp_path / "policies" / "huabei")
    return tmp_path


def run_in(directory: Path, *args: str) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("args", "start"), [
    (("validate", "policies", "-o", "-"), "retroactive"),
    (("validate", "policies", "--format", "sarif", "--output", "-"), "{"),
    (("diff", "policies/huabei@2025.07", "policies/huabei@2026.03", "--no-semantic", "--output", "-"), "huabei@2025.07"),
    (("diff", "policies/huabei@2025.07", "policies/huabei@2026.03", "--no-semantic", "-o", "-", "--format", "json"), "{"),
    (("test", "policies", "--junit", "-"), '<?xml version="1.0"'),
    (("replay", "--at", "2026-03-16T10:00", "--events", EVENTS, "--output", "-"), '{"account": "acct-1001"'),
])
def test_dash_is_standard_output_for_every_output_file_option(workdir: Path, args: tuple[str, ...], start: str) -> None:
    code, out, _ = run_in(workdir, *args)
    assert code in (0, 1)
    assert start in out
    assert not (workdir / "-").exists()


def test_junit_on_standard_output_is_xml_alone_and_the_report_goes_to_stderr(workdir: Path) -> None:
    code, out, err = run_in(workdir, "test", "policies", "--junit", "-")
    assert code == 0
    assert ET.fromstring(out.split("\n", 1)[1]).tag == "testsuites"
    assert err.startswith("ok: ")


def test_the_affected_accounts_may_go_to_standard_output_with_the_report_in_a_file(workdir: Path) -> None:
    operands = ("diff", "policies/huabei@2025.07", "policies/huabei@2026.03", "--no-semantic", "--accounts",
                "--at", "2026-03-16T10:00", "--events", EVENTS)
    code, out, _ = run_in(workdir, *operands, "--list-affected", "-", "--output", "report.txt")
    assert code == 0 and (workdir / "report.txt").is_file()
    assert out.splitlines() and all(line.startswith("acct-") for line in out.splitlines())
    code, out, err = run_in(workdir, *operands, "--list-affected", "-")
    assert (code, out) == (2, "") and "both go to standard output" in err


@pytest.mark.parametrize("broken", [
    ("--threshold", "abc"),
    ("-k", "no case has this name"),
])
def test_a_junit_report_of_a_run_that_could_not_start_replaces_the_earlier_one(workdir: Path,
                                                                               broken: tuple[str, str]) -> None:
    report = workdir / "out.xml"
    assert run_in(workdir, "test", "policies", "--junit", "out.xml")[0] == 0
    assert ET.parse(report).getroot().find("testsuite/testcase/error") is None
    code, _, err = run_in(workdir, "test", "policies", "--junit", "out.xml", *broken)
    assert code == 2
    root = ET.parse(report).getroot()
    assert root.get("errors") == "1" and len(root.findall("testsuite")) == 1
    error = root.find("testsuite/testcase/error")
    assert error is not None and err == f"chronolex: error: {error.get('message')}\n"
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".out.xml")] == []


def test_a_junit_report_of_a_broken_test_file_names_its_position(workdir: Path) -> None:
    (workdir / "policies" / "huabei" / "tests" / "broken.yaml").write_text(
        "cases:\n  - name: x\n    action: fly\n    at: 2026-01-01\n    expect: {decision: allowed}\n", encoding="utf-8")
    code, _, err = run_in(workdir, "test", "policies", "--junit", "out.xml")
    assert code == 2 and "unknown-action" in err
    error = ET.parse(workdir / "out.xml").getroot().find("testsuite/testcase/error")
    assert error is not None and "broken.yaml:3:" in (error.get("message") or "")
