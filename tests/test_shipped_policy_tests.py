"""The shipped bundle's own policy tests pass, with every branch of every rule covered."""

from __future__ import annotations

import json

from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI


def test_the_shipped_policy_tests_pass_with_full_coverage() -> None:
    result = CliRunner().invoke(cli, ["test", str(HUABEI), "--threshold", "100", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (bundle,) = report["bundles"]
    assert bundle["cases"] and all(case["passed"] for case in bundle["cases"])
    uncovered = [(v["version"], r["rule"], r["status"]) for v in bundle["coverage"]["versions"]
                 for r in v["rules"] if r["status"] != "covered"]
    assert uncovered == []
