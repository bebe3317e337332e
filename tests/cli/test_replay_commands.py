"""`why`, `timeline`, `evaluate` and `replay` through CliRunner, on the shipped bundle and examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chronolex.cli.app import cli
from chronolex.bundle.schemas import validator
from tests.conftest import HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def why(*args: str) -> tuple[int, str, str]:
    return run("why", *args, "--events", EVENTS, "--bundle", BUNDLE)


def test_why_details_open_with_the_verdict_line() -> None:
    code, out, _ = why("acct-1002", "--action", "open", "--at", "2026-03-08T01:30", "--details")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "Blocked — maintenance: MW-CORE-UPGRADE until 05:00"
    assert any(line.strip().startswith("lifts: 2026-03-08T05:00:00+08:00") for line in lines)
    assert lines[-1].startswith("next change: 2026-03-08T02:00:00+08:00")


def test_why_cites_the_regulation_source() -> None:
    code, out, _ = why("acct-1003", "--action", "open", "--at", "2026-04-01T09:00", "-v")
    assert code == 0
    assert "Blocked — regulation: REG-STUDENT-LENDING" in out
    assert "source: Consumer Credit Authority, CCA Notice 2021-28, Art. 2" in out


def test_why_json_is_a_valid_decision_document() -> None:
    code, out, _ = why("acct-1001", "--action", "open", "--at", "2026-03-16T10:00", "--format", "json")
    assert code == 0
    document = json.loads(out)
    validator("decision").validate(document)
    assert document["decision"] == "blocked" and document["blocked_by"] == ["platform"]
    [reason] = document["reasons"]
    assert reason["rule"] == "PLAT-RECENT-BORROWING"
    assert reason["lifts"]["at"] == "2026-03-27T14:30:00+08:00"
    [evidence] = reason["evidence"]
    assert evidence["fact"] == "borrowed_30d" and evidence["value"] == 6300
    assert [e["type"] for e in evidence["from_events"]] == ["loan_disbursed"] * 3


def test_why_without_action_answers_every_action() -> None:
    code, out, _ = why("acct-1007", "--at", "2026-04-20T15:00", "--format", "json")
    assert code == 0
    documents = json.loads(out)
    assert [d["action"] for d in documents] == ["open", "borrow", "raise_limit"]
    assert {d["decision"] for d in documents} == {"allowed"}


def test_as_known_at_says_what_differs_from_today() -> None:
    code, out, _ = why("acct-1006", "--action", "open", "--at", "2025-07-08T10:00", "--as-known-at", "2025-07-10",
                       "--details")
    assert code == 0
    assert out.splitlines()[1] == "Allowed"
    assert "2025.07" in out and "with everything known today the decision is blocked (regulation)" in out


def test_exit_code_flag() -> None:
    assert why("acct-1003", "--action", "open", "--at", "2026-04-01T09:00", "--exit-code")[0] == 1
    assert why("acct-1007", "--action", "open", "--at", "2026-04-20T15:00", "--exit-code")[0] == 0


def test_why_output_is_deterministic() -> None:
    args = ("acct-1001", "--at", "2026-03-08T02:30", "--format", "json")
    assert why(*args) == why(*args)


@pytest.mark.parametrize(
    "args",
    [
        ("why", "acct-1001", "--at", "not-a-time", "--events", EVENTS, "--bundle", BUNDLE),
        ("why", "acct-1001", "--at", "2026-03-01", "--bundle", BUNDLE),
        ("why", "acct-1001", "--at", "2026-03-01", "--events", "/nonexistent.jsonl", "--bundle", BUNDLE),
        ("why", "acct-1001", "--at", "2026-03-01", "--action", "fly", "--events", EVENTS, "--bundle", BUNDLE),
        ("timeline", "acct-1001", "--from", "2026-03-02", "--to", "2026-03-01", "--events", EVENTS, "--bundle", BUNDLE),
        ("replay", "--at", "2026-03-01", "--db", "/nonexistent.db", "--bundle", BUNDLE),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = run(*args, env={"CHRONOLEX_DB": ""})
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_bad_event_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "events.jsonl"
    bad.write_text('{"account": "a", "at": "2026-01-01", "type": "kyc_verified"}\n{"account": "a", "at": "nope", '
                   '"type": "x"}\n', encoding="utf-8")
    code, _, err = run("why", "a", "--at", "2026-03-01", "--events", str(bad), "--bundle", BUNDLE)
    assert code == 2 and f"{bad.name}:2:" in err


def test_timeline_intervals_are_consecutive_and_cover_the_range() -> None:
    code, out, _ = run("timeline", "acct-1001", "--action", "open", "--from", "2026-03-01", "--to", "2026-04-01",
                       "--events", EVENTS, "--bundle", BUNDLE, "--format", "json")
    assert code == 0
    intervals = json.loads(out)["timelines"]["open"]
    assert intervals[0]["from"] == "2026-03-01T00:00:00+08:00"
    assert intervals[-1]["to"] == "2026-04-01T00:00:00+08:00"
    assert all(a["to"] == b["from"] for a, b in zip(intervals, intervals[1:]))
    assert all((a["decision"], a["rules"]) != (b["decision"], b["rules"]) for a, b in zip(intervals, intervals[1:]))
    blocked = [i for i in intervals if i["rules"] == ["PLAT-RECENT-BORROWING"]]
    assert blocked[0]["from"] == "2026-03-05T20:10:00+08:00"
    assert blocked[-1]["to"] == "2026-03-27T14:30:00+08:00"


def test_timeline_text() -> None:
    code, out, _ = run("timeline", "acct-1002", "--action", "open", "--from", "2026-03-08", "--to", "2026-03-09",
                       "--events", EVENTS, "--bundle", BUNDLE, "--details")
    assert code == 0
    lines = out.splitlines()[1:]
    assert lines[0].startswith("[2026-03-08T00:00:00+08:00, 2026-03-08T01:00:00+08:00)  allowed")
    assert "MW-CORE-UPGRADE" in lines[1]


def test_evaluate_with_given_facts(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"credit_score": 580, "kyc_verified": True, "credit_report_consent": True,
                                 "occupation": "engineer", "birth_date": "1990-01-01"}), encoding="utf-8")
    code, out, _ = run("evaluate", "--facts", str(facts), "--at", "2026-04-01T09:00", "--action", "open",
                       "--bundle", BUNDLE, "--format", "json")
    assert code == 0
    document = json.loads(out)
    validator("decision").validate(document)
    assert document["account"] is None
    assert [r["rule"] for r in document["reasons"]] == ["PLAT-SCORE-FLOOR"]
    assert document["reasons"][0]["lifts"] == {"at": None, "when": 'credit_score >= 600 or account_tier == "pilot"'}


def test_evaluate_rejects_unknown_facts_and_bad_values(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("risk_score: 3\n", encoding="utf-8")
    code, _, err = run("evaluate", "--facts", str(facts), "--at", "2026-04-01", "--action", "open", "--bundle", BUNDLE)
    assert code == 2 and "unknown fact 'risk_score'" in err
    facts.write_text("credit_score: high\n", encoding="utf-8")
    code, _, err = run("evaluate", "--facts", str(facts), "--at", "2026-04-01", "--action", "open", "--bundle", BUNDLE)
    assert code == 2 and "credit_score" in err


def test_replay_writes_json_lines_and_a_summary(tmp_path: Path) -> None:
    output = tmp_path / "decisions.jsonl"
    code, out, _ = run("replay", "--at", "2026-04-15T08:00", "--action", "open", "--events", EVENTS,
                       "--bundle", BUNDLE, "--output", str(output))
    assert code == 0
    documents = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    for document in documents:
        validator("replay-row").validate(document)
    accounts = [d["account"] for d in documents]
    assert accounts == sorted(accounts) and len(accounts) == 10
    blocked = sum(1 for d in documents if d["decision"] == "blocked")
    assert out.splitlines()[0] == "10 accounts"
    assert f"blocked {blocked}" in out.splitlines()[1]
    assert "PLAT-LOGIN-FAILURES" in out


def test_replay_to_stdout_keeps_the_summary_on_stderr() -> None:
    code, out, err = run("replay", "--at", "2026-04-15T08:00", "--action", "open", "--events", EVENTS,
                         "--bundle", BUNDLE)
    assert code == 0
    assert len(out.splitlines()) == 10 and all(line.startswith("{") for line in out.splitlines())
    assert err.startswith("10 accounts")


# -- replay --output: standard output, whole files, clear errors ----------------------------


def _replay(*extra: str) -> Result:
    return CliRunner().invoke(cli, ["replay", "--at", "2026-04-15T08:00", "--bundle", str(HUABEI), "--events",
                                    str(HUABEI / "examples" / "events.jsonl"), *extra])


def test_replay_output_dash_writes_the_decisions_to_standard_output(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _replay("--output", "-")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 30 and all(json.loads(line)["action"] for line in lines)
    assert not (tmp_path / "-").exists()


def test_replay_output_to_a_missing_folder_is_bad_input_without_a_traceback(tmp_path: Path) -> None:
    result = _replay("--output", str(tmp_path / "missing" / "decisions.jsonl"))
    assert result.exit_code == 2
    assert "cannot write" in result.output and "No such file or directory" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_replay_output_appears_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "decisions.jsonl"
    result = _replay("--output", str(target))
    assert result.exit_code == 0, result.output
    assert len(target.read_text(encoding="utf-8").splitlines()) == 30
    assert [p.name for p in tmp_path.iterdir()] == ["decisions.jsonl"]


def test_evaluate_reads_facts_as_yaml_1_2_so_yes_is_not_a_boolean(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("kyc_verified: yes\n", encoding="utf-8")
    code, out, err = run("evaluate", "--facts", str(facts), "--action", "open", "--at", "2026-03-16", "--bundle", BUNDLE)
    assert (code, out) == (2, "")
    assert err == (f"chronolex: error: {facts}:1:1: bad-fact-value: fact 'kyc_verified': 'yes' is not a bool "
                   "(help: give a bool (null: unknown))\n")
