"""``chronolex diff --accounts`` at scale: the engines agree, ``--notify`` writes what a
notification system needs, ``replay --changed-since`` lists who a version treats otherwise,
and bad input is a clear error with no file left behind."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from chronolex.cli.app import cli
from tests.conftest import HUABEI

EVENTS = str(HUABEI / "examples" / "events.jsonl")
OLD, NEW = f"{HUABEI}@2024.01", f"{HUABEI}@2026.06"
AT = "2026-03-15T12:00:00"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def accounts_report(*extra: str, old: str = OLD, new: str = NEW) -> Any:
    return run("diff", old, new, "--no-semantic", "--accounts", "--events", EVENTS, "--at", AT, "--format", "json",
               *extra)


def test_duckdb_and_python_give_the_same_report_and_notifications(tmp_path: Path) -> None:
    batch = accounts_report("--engine", "duckdb", "--notify", str(tmp_path / "a.jsonl"))
    python = accounts_report("--engine", "python", "--notify", str(tmp_path / "b.jsonl"))
    assert batch.exit_code == 0 and python.exit_code == 0, batch.output + python.output
    assert json.loads(batch.stdout) == json.loads(python.stdout)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert json.loads(batch.stdout)["diffs"][0]["impact"]["affected_count"] == 3


def test_notify_rows_name_the_rules_with_their_message_and_remedy(tmp_path: Path) -> None:
    target = tmp_path / "notify.jsonl"
    assert accounts_report("--notify", str(target)).exit_code == 0
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(r["account"], r["action"]) for r in rows] == [
        ("acct-1001", "open"), ("acct-1008", "open"), ("acct-1008", "borrow"), ("acct-1008", "raise_limit"),
        ("acct-1010", "open"), ("acct-1010", "raise_limit")]
    first = rows[0]
    assert first["change"] == "newly-blocked"
    assert (first["old_decision"], first["new_decision"], first["rules"]) == ("allowed", "blocked",
                                                                              ["PLAT-RECENT-BORROWING"])
    assert first["messages"][0].startswith("You have borrowed a large amount")
    assert first["remedies"][0].startswith("The block lifts once less than 5,000 CNY")


def test_notify_in_another_locale_and_every_format_holds_the_same_rows(tmp_path: Path) -> None:
    for name in ("n.jsonl", "n.csv", "n.parquet"):
        result = accounts_report("--notify", str(tmp_path / name), "--lang", "zh-CN")
        assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "n.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines[0]["messages"][0].startswith("您近30天内")
    assert pq.read_table(tmp_path / "n.parquet").to_pylist() == lines
    with (tmp_path / "n.csv").open(encoding="utf-8", newline="") as handle:
        from_csv = [{k: json.loads(v) if k in ("rules", "messages", "remedies") else v for k, v in row.items()}
                    for row in csv.DictReader(handle)]
    assert from_csv == lines
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    for name in ("1.parquet", "2.parquet"):
        assert accounts_report("--notify", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "1.parquet").read_bytes() == (tmp_path / "2.parquet").read_bytes()


@pytest.mark.parametrize("args, message", [
    (("--notify", "out.txt"), "must end in .jsonl, .csv, .parquet"),
    (("--lang", "en"), "--lang goes with --notify"),
    (("--notify", "n.jsonl", "--lang", "fr"), "no texts in 'fr'"),
])
def test_bad_notify_options_are_exit_2_and_write_nothing(tmp_path: Path, args: tuple[str, ...],
                                                         message: str) -> None:
    fixed = tuple(str(tmp_path / a) if a.startswith(("out.", "n.")) else a for a in args)
    result = accounts_report(*fixed)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_notify_and_engine_need_accounts(tmp_path: Path) -> None:
    result = run("diff", OLD, NEW, "--no-semantic", "--notify", str(tmp_path / "n.jsonl"))
    assert result.exit_code == 2 and "go with --accounts" in result.output


def _without_catalog(tmp_path: Path) -> Path:
    bundle = tmp_path / "huabei"
    shutil.copytree(HUABEI, bundle)
    manifest = yaml.safe_load((bundle / "bundle.yaml").read_text(encoding="utf-8"))
    del manifest["events"]
    (bundle / "bundle.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return bundle


def test_a_side_with_no_plan_falls_back_to_the_per_account_engine_with_a_note(tmp_path: Path) -> None:
    bundle = _without_catalog(tmp_path)
    expected = accounts_report()
    result = accounts_report("--notify", str(tmp_path / "n.jsonl"), old=f"{bundle}@2024.01", new=f"{bundle}@2026.06")
    assert result.exit_code == 0, result.output
    assert "note: diff --accounts decided account by account" in result.stderr
    assert "catalog" in result.stderr
    impact = json.loads(result.stdout)["diffs"][0]["impact"]
    assert impact["actions"] == json.loads(expected.stdout)["diffs"][0]["impact"]["actions"]
    assert len((tmp_path / "n.jsonl").read_text(encoding="utf-8").splitlines()) == 6


def test_duckdb_asked_for_and_impossible_is_exit_2_naming_the_cause(tmp_path: Path) -> None:
    bundle = _without_catalog(tmp_path)
    result = accounts_report("--engine", "duckdb", "--notify", str(tmp_path / "n.jsonl"),
                             old=f"{bundle}@2024.01", new=f"{bundle}@2026.06")
    assert result.exit_code == 2
    assert "catalog" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "n.jsonl").exists()


def test_replay_changed_since_lists_the_accounts_a_version_decides_otherwise(tmp_path: Path) -> None:
    target = tmp_path / "changed.jsonl"
    result = run("replay", "--bundle", str(HUABEI), "--events", EVENTS, "--at", AT, "--changed-since", "2024.01",
                 "--output", str(target))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert {r["account"] for r in rows} == {"acct-1001", "acct-1008", "acct-1010"}
    assert rows[0]["newly_restricting"] == ["PLAT-RECENT-BORROWING"]
    assert "decided otherwise by 2024.01 than by 2026.03" in result.output
    same = run("replay", "--bundle", str(HUABEI), "--events", EVENTS, "--at", AT, "--changed-since", "2026.03")
    assert same.exit_code == 0 and same.stdout == ""
    assert "0 account(s)" in same.stderr


def test_replay_changed_since_an_unknown_version_is_exit_2() -> None:
    result = run("replay", "--bundle", str(HUABEI), "--events", EVENTS, "--at", AT, "--changed-since", "1999.01")
    assert result.exit_code == 2
    assert "no such version" in result.output


def test_diff_accounts_reads_parquet_events_and_notifies_the_same_rows(tmp_path: Path) -> None:
    parquet = tmp_path / "events.parquet"
    runner = CliRunner()
    converted = runner.invoke(cli, ["events", "convert", str(HUABEI / "examples" / "events.jsonl"),
                                    str(parquet), "--bundle", str(HUABEI)])
    assert converted.exit_code == 0, converted.output
    written = []
    for events in (str(HUABEI / "examples" / "events.jsonl"), str(parquet)):
        target = tmp_path / f"notify-{len(written)}.jsonl"
        result = runner.invoke(cli, ["diff", f"{HUABEI}@2025.07", f"{HUABEI}@2026.03",
                                     "--no-semantic", "--accounts", "--at", "2026-03-16T10:00", "--events", events,
                                     "--notify", str(target), "--format", "json"])
        assert result.exit_code == 0, result.output
        written.append(target.read_bytes())
    assert written[0] == written[1] and written[0]
    refused = runner.invoke(cli, ["diff", f"{HUABEI}@2025.07", f"{HUABEI}@2026.03",
                                  "--no-semantic", "--accounts", "--at", "2026-03-16T10:00", "--events", str(parquet),
                                  "--engine", "python"])
    assert refused.exit_code == 2 and "Parquet events are read by the batch engine only" in refused.stderr


def test_changed_since_reads_parquet_events_with_the_same_answer(tmp_path: Path) -> None:
    parquet = tmp_path / "events.parquet"
    runner = CliRunner()
    events = str(HUABEI / "examples" / "events.jsonl")
    assert runner.invoke(cli, ["events", "convert", events, str(parquet), "--bundle", str(HUABEI)]).exit_code == 0
    answers = [runner.invoke(cli, ["replay", "--bundle", str(HUABEI), "--at", "2026-03-16T10:00", "--changed-since",
                                   "2025.07", "--events", source])
               for source in (events, str(parquet))]
    assert all(a.exit_code == 0 for a in answers)
    assert answers[0].stdout == answers[1].stdout and answers[0].stdout.count("\n") == 3
