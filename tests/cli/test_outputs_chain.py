"""chronolex's own outputs feed its other commands and the tools CI hands them to:
``replay --output`` lines are a decision log for ``diff --decision-log``, and SARIF and
GitHub annotations name files from the repository root, wherever validate ran."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI
from tests.helpers.git import huabei_repo

EVENTS = str(HUABEI / "examples" / "events.jsonl")


def run_in(directory: Path, *args: str) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("known", [(), ("--as-known-at", "2026-03-01")])
def test_replay_output_is_a_decision_log_for_diff(tmp_path: Path, known: tuple[str, ...]) -> None:
    log = tmp_path / "decisions.jsonl"
    code, _, _ = run_in(tmp_path, "replay", "--bundle", str(HUABEI), "--at", "2026-03-16T10:00", "--events", EVENTS,
                        *known, "--output", str(log))
    assert code == 0
    code, out, err = run_in(tmp_path, "diff", f"{HUABEI}@2026.03", f"{HUABEI}@2026.06", "--no-semantic",
                            "--decision-log", str(log), "--events", EVENTS, "--format", "json")
    assert (code, err) == (0, "")
    [pair] = json.loads(out)["diffs"]
    assert pair["decision_log"]["records"] == 30


def test_a_replay_line_of_no_policy_reads_as_a_record_without_version(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    code, _, _ = run_in(tmp_path, "replay", "--bundle", str(HUABEI), "--at", "2020-01-01", "--events", EVENTS,
                        "--action", "open", "--output", str(log))
    assert code == 0 and json.loads(log.read_text(encoding="utf-8").splitlines()[0])["version"] is None
    code, _, err = run_in(tmp_path, "diff", f"{HUABEI}@2026.03", f"{HUABEI}@2026.06", "--no-semantic",
                          "--decision-log", str(log), "--events", EVENTS)
    assert (code, err) == (0, "")


def test_a_decision_document_with_a_malformed_policy_is_a_positioned_error(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    log.write_text('{"account": "a", "action": "open", "at": "2026-03-16", "decision": "allowed", "policy": 7}\n',
                   encoding="utf-8")
    code, _, err = run_in(tmp_path, "diff", f"{HUABEI}@2026.03", f"{HUABEI}@2026.06", "--no-semantic",
                          "--decision-log", str(log), "--events", EVENTS)
    assert code == 2 and "decisions.jsonl:1:1: bad-decision-log: 'policy' must be null or an object" in err


def _broken_repo(tmp_path: Path) -> Path:
    repo = huabei_repo(tmp_path)
    version = repo / "policies" / "huabei" / "versions" / "2026.06.yaml"
    version.write_text(version.read_text(encoding="utf-8") + "unexpected_key: 1\n", encoding="utf-8")
    (repo / "docs").mkdir()
    return repo


def test_sarif_paths_are_relative_to_the_repository_root_from_a_subdirectory(tmp_path: Path) -> None:
    repo = _broken_repo(tmp_path)
    code, out, _ = run_in(repo / "docs", "validate", "../policies", "--format", "sarif")
    assert code == 1
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"] for loc in r.get("locations", ())}
    assert "policies/huabei/versions/2026.06.yaml" in uris
    assert all(not uri.startswith(("..", "/")) for uri in uris)


def test_github_annotations_are_relative_to_the_repository_root_or_to_root(tmp_path: Path) -> None:
    repo = _broken_repo(tmp_path)
    code, out, _ = run_in(repo / "docs", "validate", "../policies", "--format", "github")
    assert code == 1 and "file=policies/huabei/versions/2026.06.yaml," in out
    code, out, _ = run_in(repo / "docs", "validate", "../policies", "--format", "github", "--root", "../policies")
    assert "file=huabei/versions/2026.06.yaml," in out
    code, _, err = run_in(repo / "docs", "validate", "../policies", "--format", "github", "--root", "missing")
    assert code == 2 and err == "chronolex: error: --root missing: no such directory\n"


def test_text_output_stays_relative_to_the_working_directory(tmp_path: Path) -> None:
    repo = _broken_repo(tmp_path)
    code, out, _ = run_in(repo / "docs", "validate", "../policies")
    assert code == 1 and "\n../policies/huabei/versions/2026.06.yaml:" in out
