"""``chronolex diff`` on the command line: operands, formats, exit codes, accounts,
decision logs and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI, ROOT

EVENTS = str(HUABEI / "examples" / "events.jsonl")
LOG = str(ROOT / "tests" / "fixtures" / "decision-logs" / "recorded-2025.07.jsonl")
SCHEMA = json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["diff", *args])


def as_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    jsonschema.validate(document, SCHEMA)
    return document


def findings(document: dict[str, Any], action: str) -> list[dict[str, Any]]:
    (diff,) = document["diffs"]
    (entry,) = [a for a in diff["semantic"]["actions"] if a["action"] == action]
    return list(entry["findings"])


def test_the_score_floor_change_is_found_with_a_witness_and_its_region() -> None:
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "open")
    newly = [f for f in findings(document, "open") if f["kind"] == "newly-blocked" and f["rules"] == ["PLAT-SCORE-FLOOR"]]
    assert len(newly) == 1
    finding = newly[0]
    assert 'account_tier == "standard"' in finding["region"] and "credit_score in [550, 600)" in finding["region"]
    assert 550 <= finding["witness"]["facts"]["credit_score"] < 600
    assert finding["old"]["decision"] != "blocked" and finding["new"]["decision"] == "blocked"
    assert "PLAT-SCORE-FLOOR" in finding["new"]["rules"]


def test_the_structural_part_names_each_changed_field() -> None:
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--no-semantic")
    (diff,) = document["diffs"]
    assert diff["semantic"] is None and diff["meaning_changed"] is False
    changed = {(c["kind"], c["subject"], c["field"]) for c in diff["structural"]}
    assert ("rule-changed", "PLAT-SCORE-FLOOR", "when") in changed
    assert ("rule-changed", "PLAT-SCORE-FLOOR", "unless") in changed
    assert ("rule-added", "MW-WEEKLY", None) in changed


def test_a_version_against_itself_is_empty_and_exit_code_zero() -> None:
    result = run(f"{HUABEI}@2026.03", f"{HUABEI}@2026.03", "--exit-code")
    assert result.exit_code == 0, result.output
    assert "Text: no change" in result.output and "Meaning: no change" in result.output


def test_exit_code_one_when_the_meaning_changed() -> None:
    result = run(f"{HUABEI}@2025.01", f"{HUABEI}@2025.07", "--exit-code", "--action", "borrow")
    assert result.exit_code == 1, result.output
    assert "newly blocked by REG-MINORS" in result.output


def test_one_bundle_compares_its_consecutive_versions() -> None:
    document = as_json(str(HUABEI), "--no-semantic")
    pairs = [(d["old"]["version"], d["new"]["version"]) for d in document["diffs"]]
    assert pairs == [("2024.01", "2025.01"), ("2025.01", "2025.07"), ("2025.07", "2026.03"), ("2026.03", "2026.06")]


def test_markdown_starts_with_a_summary_table_then_details() -> None:
    result = run(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--format", "markdown", "--action", "open")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = lines.index(next(line for line in lines if line.startswith("| OLD | NEW")))
    first_details = lines.index(next(line for line in lines if line.startswith("<details>")))
    assert table < first_details
    assert result.output.count("<details>") == result.output.count("</details>")
    assert "PLAT-SCORE-FLOOR" in result.output


def test_accounts_are_replayed_and_the_affected_list_written(tmp_path: Path) -> None:
    affected = tmp_path / "affected.txt"
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--no-semantic", "--accounts", "--events", EVENTS,
                       "--at", "2026-03-16T10:00", "--list-affected", str(affected))
    impact = document["diffs"][0]["impact"]
    listed = affected.read_text(encoding="utf-8").split()
    assert listed == sorted(listed) == impact["affected"]
    open_flips = next(a for a in impact["actions"] if a["action"] == "open")["flips"]
    # acct-1001 borrowed 6,300 CNY in the last 30 days: over the new 5,000 floor, under the old 10,000
    assert "acct-1001" in open_flips["newly-blocked"]["examples"]


def test_a_decision_log_is_replayed_under_new() -> None:
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--no-semantic", "--events", EVENTS,
                       "--decision-log", LOG)
    log = document["diffs"][0]["decision_log"]
    assert log["differing_count"] == len(log["differing"]) > 0
    assert all(entry["recorded"]["decision"] != entry["now"]["decision"] or entry["recorded"].get("blocked_by")
               != entry["now"]["blocked_by"] for entry in log["differing"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((f"{HUABEI}@2025.07", str(HUABEI)), "bad-operand"),
        ((f"{HUABEI}@1999.01", f"{HUABEI}@2026.03"), "unknown-version"),
        ((f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--accounts"), "--accounts needs --at"),
        ((f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--list-affected", "x"), "go with --accounts"),
        ((f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "fly"), "unknown action"),
        (("no/such/bundle", f"{HUABEI}@2026.03"), "error"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_bad_decision_log_names_its_line(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"account": "acct-1001", "action": "open", "at": "2026-03-16T10:00", "decision": "blocked", '
                   '"version": "2025.07"}\n{not json\n', encoding="utf-8")
    result = run(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--no-semantic", "--events", EVENTS, "--decision-log", str(log))
    assert result.exit_code == 2
    assert "log.jsonl:2" in result.output and "bad-decision-log" in result.output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                   capture_output=True)


def test_a_bundle_at_a_git_revision_is_compared_with_the_working_copy(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(HUABEI, repo / "policies" / "huabei")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    version = repo / "policies" / "huabei" / "versions" / "2026.03.yaml"
    version.write_text(version.read_text(encoding="utf-8").replace("credit_score < 600", "credit_score < 620"),
                       encoding="utf-8")
    monkeypatch.chdir(repo)
    document = as_json("HEAD:policies/huabei", "policies/huabei", "--action", "open")
    (diff,) = document["diffs"]
    assert diff["old"]["label"] == "HEAD:policies/huabei"
    assert {c["subject"] for c in diff["structural"]} == {"PLAT-SCORE-FLOOR"}
    newly = [f for f in findings(document, "open") if f["kind"] == "newly-blocked"]
    assert any("credit_score in [600, 620)" in f["region"] for f in newly)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    assert status.stdout.strip() == "M policies/huabei/versions/2026.03.yaml"


def test_output_is_the_same_bytes_every_time() -> None:
    args = (f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--format", "json", "--action", "open")
    assert run(*args).output == run(*args).output


# -- a report a reviewer can read ----------------------------------------------------------------


def floor_raised(tmp_path: Path) -> Path:
    """A copy of the shipped bundle whose 2026.03 (inherited by 2026.06) raises the floor to 650."""
    copy = tmp_path / "huabei"
    shutil.copytree(HUABEI, copy)
    version = copy / "versions" / "2026.03.yaml"
    version.write_text(version.read_text(encoding="utf-8").replace("credit_score < 600", "credit_score < 650"),
                       encoding="utf-8")
    return copy


def test_a_witness_shows_only_the_facts_that_matter() -> None:
    result = run(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "open")
    assert result.exit_code == 0, result.output
    assert ('e.g. at 2026-03-01T00:00:00+08:00 with borrowed_30d=5000, other facts where nothing else decides it'
            in result.output)
    assert "e.g. at 2026-03-08T01:00:00+08:00, for any facts where nothing else decides it" in result.output
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "open")
    (borrowing,) = [f for f in findings(document, "open") if f["rules"] == ["PLAT-RECENT-BORROWING"]]
    assert borrowing["witness"]["matters"] == ["borrowed_30d"]
    assert len(borrowing["witness"]["facts"]) > 1  # the whole example the evaluator decided


def test_a_newly_blocking_window_is_shown_where_it_alone_blocks() -> None:
    document = as_json(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "open")
    for rule in ("MW-CORE-UPGRADE", "MW-WEEKLY"):
        (finding,) = [f for f in findings(document, "open") if f["kind"] == "newly-blocked" and f["rules"] == [rule]]
        assert finding["new"]["rules"] == [rule] and finding["new"]["blocked_by"] == ["maintenance"]


def test_two_sides_at_the_same_version_are_named_by_path(tmp_path: Path) -> None:
    copy = floor_raised(tmp_path)
    result = run(f"{HUABEI}@2026.03", f"{copy}@2026.03", "--action", "open")
    assert result.exit_code == 0, result.output
    assert f"{HUABEI}@2026.03: allowed → {copy}@2026.03: blocked (platform)" in result.output
    assert "2026.03: allowed → 2026.03:" not in result.output


def test_a_change_made_alike_in_several_versions_is_one_line(tmp_path: Path) -> None:
    copy = floor_raised(tmp_path)
    result = run(str(HUABEI), str(copy), "--no-semantic")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:3] == [
        "Text: 1 change",
        "  [2026.03, 2026.06] Rule PLAT-SCORE-FLOOR now applies when `credit_score < 650` instead of "
        "`credit_score < 600`.",
    ]
    document = as_json(str(HUABEI), str(copy), "--no-semantic")
    assert [c["version"] for c in document["diffs"][0]["structural"]] == ["2026.03", "2026.06"]


def test_no_two_findings_of_an_action_read_alike(tmp_path: Path) -> None:
    # REG-MINORS rewritten with years_between: inside the upgrade window the leading category
    # moves from regulation to maintenance for some accounts and to platform for others; blocks
    # that differ only behind the leading category are the same finding
    copy = tmp_path / "huabei"
    shutil.copytree(HUABEI, copy)
    version = copy / "versions" / "2026.03.yaml"
    version.write_text(version.read_text(encoding="utf-8").replace(
        "when: age < 18", "when: years_between(birth_date, now) < 18"), encoding="utf-8")
    result = run(f"{HUABEI}@2026.03", f"{copy}@2026.03", "--action", "borrow")
    assert result.exit_code == 0, result.output
    headlines = [line.split(", during")[0] for line in result.output.splitlines() if line.startswith("    - ")]
    assert len(headlines) == len(set(headlines)), headlines
    assert "    - blocked for another reason (REG-MINORS): regulation → maintenance" in headlines
    assert "    - blocked for another reason (REG-MINORS): regulation → platform" in headlines


def test_a_category_change_that_needs_a_recurring_window_says_so() -> None:
    result = run(f"{HUABEI}@2025.07", f"{HUABEI}@2026.03", "--action", "open")
    assert ("    - blocked for another reason (MW-WEEKLY, PLAT-SCORE-FLOOR): platform → maintenance, "
            "while its schedule runs, during ") in result.output
