"""`chronolex validate` through click's CliRunner: every format and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import FIXTURES, HUABEI

SARIF_SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def broken(case: str) -> str:
    return str(FIXTURES / "broken" / case)


def test_clean_bundle_exits_zero_with_a_summary() -> None:
    code, out, _ = run("validate", str(HUABEI))
    assert code == 0
    assert out.splitlines()[-1] == "ok: 1 bundle checked, 0 errors, 0 warnings, 1 info"


def test_text_format_is_gcc_style_with_source_and_caret() -> None:
    code, out, _ = run("validate", broken("unknown-fact"))
    assert code == 1
    lines = out.splitlines()
    head = next(line for line in lines if "error[unknown-fact]" in line)
    file, line, column = head.split(":")[:3]
    assert file.endswith("versions/1.yaml") and int(line) >= 1
    source_index = lines.index(head) + 1
    source = lines[source_index].split(" | ", 1)[1]
    caret_line = lines[source_index + 1].split(" | ", 1)[1]
    assert caret_line.index("^") == int(column) - 1
    unknown = head.split("unknown fact '")[1].split("'")[0]
    assert source[int(column) - 1 :].startswith(unknown)
    assert any(line.strip().startswith("= help: ") for line in lines)


def test_json_format() -> None:
    code, out, _ = run("validate", broken("enum-value"), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["passed"] is False
    [finding] = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert finding["code"] == "enum-value"
    assert {"file", "line", "column", "end_line", "end_column", "message", "help"} <= set(finding)


def test_sarif_validates_against_the_oasis_schema() -> None:
    code, out, _ = run("validate", str(FIXTURES / "broken"), "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, SARIF_SCHEMA)
    run_ = log["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(set(rule_ids))
    for result in run_["results"]:
        assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert {r["level"] for r in run_["results"]} == {"error", "warning", "note"}


def test_sarif_of_a_clean_run_is_valid_too() -> None:
    code, out, _ = run("validate", str(HUABEI), "--format", "sarif")
    assert code == 0
    jsonschema.validate(json.loads(out), SARIF_SCHEMA)


def test_github_workflow_commands() -> None:
    code, out, _ = run("validate", broken("duplicate-key"), "--format", "github")
    assert code == 1
    [command] = [line for line in out.splitlines() if line.startswith("::error ")]
    props, message = command[len("::error "):].split("::", 1)
    fields = dict(p.split("=", 1) for p in props.split(","))
    assert fields["file"].endswith("versions/1.yaml")
    assert int(fields["line"]) >= 1 and int(fields["col"]) >= 1
    assert "duplicate key" in message and "\n" not in message


def test_strict_fails_on_warnings() -> None:
    assert run("validate", broken("dead-rule"))[0] == 0
    assert run("validate", broken("dead-rule"), "--strict")[0] == 1


def test_missing_path_is_a_usage_error_with_one_line(tmp_path: Path) -> None:
    code, out, err = run("validate", str(tmp_path / "nope"))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "no such file" in err
    assert "Traceback" not in err


def test_unknown_format_is_a_usage_error() -> None:
    assert run("validate", str(HUABEI), "--format", "xml")[0] == 2


def test_output_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = run("validate", broken("syntax"), "--format", "sarif", "--output", str(target))
    assert code == 1 and out == ""
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), SARIF_SCHEMA)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_is_deterministic(fmt: str) -> None:
    assert run("validate", str(FIXTURES / "broken"), "--format", fmt) == run(
        "validate", str(FIXTURES / "broken"), "--format", fmt
    )


def test_default_path_is_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HUABEI.parent.parent)
    code, out, _ = run("validate")
    assert code == 0 and "1 bundle checked" in out


def test_files_passed_by_pre_commit_validate_their_bundle() -> None:
    code, out, _ = run("validate", str(HUABEI / "versions" / "2026.03.yaml"), str(HUABEI / "bundle.yaml"))
    assert code == 0 and "1 bundle checked" in out


def test_strict_verdict_agrees_with_the_exit_code() -> None:
    code, out, _ = run("validate", broken("dead-rule"), "--strict")
    assert code == 1 and out.splitlines()[-1].startswith("failed:")
    code, out, _ = run("validate", broken("dead-rule"), "--strict", "--format", "json")
    assert code == 1 and json.loads(out)["passed"] is False
    code, out, _ = run("validate", broken("dead-rule"), "--format", "json")
    assert code == 0 and json.loads(out)["passed"] is True


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    import shutil

    target = tmp_path / "b"
    shutil.copytree(FIXTURES / "broken" / "unknown-fact", target)
    (target / "versions" / "1.yaml").rename(target / "versions" / "v 1#rev%1.yaml")
    code, out, _ = run("validate", str(target), "--format", "sarif")
    log = json.loads(out)
    jsonschema.validate(log, SARIF_SCHEMA)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("versions/v%201%23rev%251.yaml")


def test_file_names_that_are_not_utf8_do_not_break_the_output(tmp_path: Path) -> None:
    import os
    import shutil

    target = tmp_path / "b"
    shutil.copytree(FIXTURES / "broken" / "unknown-fact", target)
    os.rename(target / "versions" / "1.yaml", os.path.join(os.fsencode(target / "versions"), b"\xff.yaml"))
    for fmt in ("json", "sarif", "text", "github"):
        code, out, _ = run("validate", str(target), "--format", fmt)
        assert code == 1
        if fmt in ("json", "sarif"):
            json.loads(out)
    report_file = tmp_path / "r.json"
    assert run("validate", str(target), "--format", "json", "--output", str(report_file))[0] == 1
    json.loads(report_file.read_text(encoding="utf-8"))


def test_text_caret_keeps_tabs(tmp_path: Path) -> None:
    from chronolex.cli.render.findings import _caret_prefix

    assert _caret_prefix("\twhen: x", 8) == "\t      "
