"""``chronolex log verify|show|replay|export`` through CliRunner, on a log of decisions made
as the service makes them (on the shipped huabei bundle and its example events)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator

import chronolex
from chronolex.cli.app import cli
from tests.conftest import HUABEI, ROOT
from chronolex.log.record import chain_hash
from tests.helpers.decisions import as_the_service_logs, raw

EXAMPLES = str(HUABEI / "examples" / "events.jsonl")
BUNDLE = str(HUABEI)
RECORD = Draft202012Validator(json.loads((ROOT / "schemas" / "decision-record.schema.json").read_text()))


def _difference_validator() -> Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text())
    log = schema["$defs"]["decision_log"]
    return Draft202012Validator({"$defs": schema["$defs"], **log["properties"]["differing"]["items"]})


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHRONOLEX_DB", "CHRONOLEX_BUNDLE", "CHRONOLEX_CHECK_STORE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four decisions as the service made them, each with what was published and recorded
    when its request arrived:

    1. acct-1001 open 2026-03-16 10:00: blocked by recent borrowing (still so today);
    2. acct-1006 open 2025-07-10: allowed under 2025.01; 2025.07, published on 15 July
       but in force from 1 July, blocks it (a retroactive version);
    3. acct-1009 open 2026-02-12: allowed with a score of 690; a score of 530 from
       10 February was recorded only on 14 February (events recorded late);
    4. acct-1001 open 2026-03-17 on facts the caller gave.
    """
    bundle = chronolex.load_bundle(HUABEI)
    source = chronolex.open_source([EXAMPLES], bundle.timezone, catalog=bundle.events)

    def at(text: str) -> Any:
        return chronolex.parse_instant(text, bundle.timezone)

    entries = [
        as_the_service_logs(bundle, source.history("acct-1001"), "open", at("2026-03-16T10:00"),
                            at("2026-03-16T10:00:00.004")),
        as_the_service_logs(bundle, source.history("acct-1006"), "open", at("2025-07-10T10:00"),
                            at("2025-07-10T10:00:01")),
        as_the_service_logs(bundle, source.history("acct-1009"), "open", at("2026-02-12T10:00"),
                            at("2026-02-12T10:00:01")),
        as_the_service_logs(bundle, source.history("acct-1001"), "open", at("2026-03-17T10:00"),
                            at("2026-03-17T10:00:01"), facts={"credit_score": 580, "kyc_verified": True}),
    ]
    path = tmp_path_factory.mktemp("log") / "decisions.db"
    with chronolex.DecisionLog(path, create=True) as log:
        log.append(entries)
    return path


@pytest.fixture
def copy(logged: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    with sqlite3.connect(logged) as db:  # one file: the write-ahead log folded in
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(logged, target)
    return target


# -- verify ------------------------------------------------------------------------------


def test_verify_a_whole_log_exits_0_with_one_line(logged: Path) -> None:
    result = run("log", "verify", str(logged))
    assert result.exit_code == 0, result.output
    with chronolex.DecisionLog(logged) as log:
        last = list(log.records())[-1].hash
    assert result.stdout == f"{logged}: whole (4 records; every hash and link verified; last hash {last})\n"


def test_verify_a_changed_record_exits_1_naming_it(copy: Path) -> None:
    db = raw(copy)
    db.execute("UPDATE decisions SET decision = 'allowed', blocked_by = '[]', rules = '[]' WHERE seq = 1")
    db.close()
    result = run("log", "verify", str(copy))
    assert result.exit_code == 1
    assert result.stdout == (f"{copy}: broken at record 1: record 1 was changed: its fields no longer give its hash "
                             "(0 records before it verified)\n")


def test_verify_a_deleted_record_exits_1_naming_where_it_was(copy: Path) -> None:
    db = raw(copy)
    db.execute("DELETE FROM decisions WHERE seq = 2")
    db.close()
    result = run("log", "verify", str(copy))
    assert result.exit_code == 1
    assert "broken at record 2: record 2 is missing (deleted): record 3 follows record 1" in result.stdout


def test_verify_with_an_anchor_finds_a_log_rewritten_with_every_hash_recomputed(copy: Path) -> None:
    with chronolex.DecisionLog(copy) as log:
        anchor = list(log.records())[2].hash
    held = run("log", "verify", str(copy), "--anchor", anchor)
    assert held.exit_code == 0 and f"; anchor {anchor[:12]}… is record 3; last hash" in held.stdout
    db = raw(copy)  # change record 2 and recompute every hash after it, and the head, as a forger would
    db.execute("UPDATE decisions SET decision = 'blocked', blocked_by = '[\"platform\"]' WHERE seq = 2")
    with chronolex.DecisionLog(copy) as log:
        records = list(log.records())
    previous = records[0].hash
    for record in records[1:]:
        digest = chain_hash(previous, record.seq, record.entry)
        db.execute("UPDATE decisions SET prev_hash = ?, hash = ?, decision_id = ? WHERE seq = ?",
                   (previous, digest, digest[:32], record.seq))
        previous = digest
    db.execute("UPDATE head SET last_hash = ?", (previous,))
    db.close()
    assert run("log", "verify", str(copy)).exit_code == 0  # the chain alone cannot tell
    rewritten = run("log", "verify", str(copy), "--anchor", anchor)
    assert rewritten.exit_code == 1
    assert rewritten.stdout.startswith(f"{copy}: rewritten: no record has the hash {anchor} kept elsewhere")


@pytest.mark.parametrize("content", [b"", b'{"account": "acct-1001"}\n', None])
def test_what_is_not_a_log_exits_2_without_a_traceback(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "decisions.db"
    if content is not None:
        path.write_bytes(content)
    for command in (["verify", str(path)], ["show", str(path), "acct-1001"], ["export", str(path), "-"],
                    ["replay", str(path), BUNDLE, "--events", EXAMPLES]):
        result = run("log", *command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith("chronolex: error: log-error: ")
        assert ("no decision log here" if content is None else "is not a chronolex decision log") in result.stderr
        assert "Traceback" not in result.output
    assert content is not None or not path.exists()  # reading never creates a log


# -- show --------------------------------------------------------------------------------


def test_show_lists_what_was_decided_for_the_account_in_log_order(logged: Path) -> None:
    result = run("log", "show", str(logged), "acct-1001")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{logged}: 2 decisions for acct-1001"
    assert lines[1] == "  record 1  2026-03-16T10:00:00+08:00  open: blocked (platform) under huabei@2026.03"
    assert lines[2] == "    rules: PLAT-RECENT-BORROWING"
    assert lines[3].startswith("    received 2026-03-16T10:00:00.004000+08:00; facts derived from the event store; id ")
    assert lines[4].startswith("  record 4  2026-03-17T10:00:00+08:00  open: blocked")
    assert "facts given by the caller" in lines[6]


def test_show_json_is_the_record_documents_and_the_range_is_half_open(logged: Path) -> None:
    result = run("log", "show", str(logged), "acct-1001", "--from", "2026-03-16T10:00", "--to", "2026-03-17T10:00",
                 "--tz", "Asia/Shanghai", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["from"], document["to"], document["count"]) == ("2026-03-16T10:00:00+08:00",
                                                                     "2026-03-17T10:00:00+08:00", 1)
    (record,) = document["decisions"]
    RECORD.validate(record)
    assert record["seq"] == 1 and record["facts"]["borrowed_30d"] == 6300
    same = run("log", "show", str(logged), "acct-1001", "--from", "2026-03-16T02:00Z", "--to", "2026-03-17T02:00Z",
               "--format", "json")
    assert json.loads(same.stdout)["decisions"] == document["decisions"]
    by_bundle = run("log", "show", str(logged), "acct-1001", "--from", "2026-03-17", "--bundle", BUNDLE)
    assert [line.split()[1] for line in by_bundle.stdout.splitlines()[1:] if "record" in line] == ["4"]


def test_show_says_when_there_is_nothing_to_show(logged: Path) -> None:
    assert run("log", "show", str(logged), "acct-0000").stdout == f"{logged}: no decisions for acct-0000\n"
    empty = run("log", "show", str(logged), "acct-1001", "--to", "2026-01-01T00:00Z", "--format", "json")
    assert json.loads(empty.stdout)["decisions"] == [] and empty.exit_code == 0


def test_show_needs_a_zone_for_a_time_without_offset(logged: Path) -> None:
    result = run("log", "show", str(logged), "acct-1001", "--from", "2026-03-16T10:00")
    assert result.exit_code == 2
    assert "--from 2026-03-16T10:00: a time without a UTC offset needs a zone" in result.stderr
    assert run("log", "show", str(logged), "acct-1001", "--tz", "Mars/Olympus", "--from", "2026").exit_code == 2


def test_show_flags_a_record_changed_after_it_was_logged(copy: Path) -> None:
    db = raw(copy)
    db.execute("UPDATE decisions SET decision = 'allowed' WHERE seq = 1")
    db.close()
    result = run("log", "show", str(copy), "acct-1001")
    assert result.exit_code == 0
    assert "record 1  2026-03-16T10:00:00+08:00  open: allowed (platform) under huabei@2026.03  [changed after it " \
           "was logged]" in result.stdout
    assert "warning: 1 record shown (1) no longer match their hash" in result.stderr


def test_a_record_that_cannot_be_read_is_a_clear_error(copy: Path) -> None:
    db = raw(copy)
    db.execute("UPDATE decisions SET facts = '{not json' WHERE seq = 4")
    db.close()
    result = run("log", "show", str(copy), "acct-1001")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "record 4 cannot be read (Expecting property name" in result.stderr
    assert "it was changed after it was logged (help: run 'chronolex log verify' on the log)" in result.stderr
    assert run("log", "verify", str(copy)).stdout.startswith(f"{copy}: broken at record 4: record 4 cannot be read")


# -- replay ------------------------------------------------------------------------------


def test_replay_names_a_retroactive_version_and_events_recorded_late(logged: Path) -> None:
    result = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{logged}: 4 decisions decided again with today's knowledge, 2 now differ"
    assert lines[1] == ("  record 2: acct-1006 open at 2025-07-10T10:00:00+08:00: allowed under 2025.01 → now blocked "
                        "(regulation) under 2025.07 [retroactive-version]")
    assert lines[2] == ("    retroactive version: 2025.07 was published 2025-07-15T10:00:00+08:00, after this decision "
                        "was made (2025-07-10T10:00:01+08:00), and is in force at 2025-07-10T10:00:00+08:00")
    assert lines[4].startswith("  record 3: acct-1009 open at 2026-02-12T10:00:00+08:00: allowed under 2025.07 → now "
                               "blocked (platform) under 2025.07 [late-events, changed-facts]")
    assert ("    events recorded late: 1 event that happened before the decision was recorded after it was made "
            "(2026-02-12T10:00:01+08:00): credit_score_updated of 2026-02-10T06:00:00+08:00 recorded "
            "2026-02-14T09:00:00+08:00") in lines
    assert "    changed facts: credit_score was 690 when decided, now 530" in lines


def test_replay_json_from_the_store_and_since(logged: Path, tmp_path: Path) -> None:
    store = tmp_path / "events.db"
    assert run("ingest", "--db", str(store), "--bundle", BUNDLE, EXAMPLES).exit_code == 0
    result = run("log", "replay", str(logged), BUNDLE, "--db", str(store), "--since", "2026-01-01", "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert (document["records"], document["replayed"], document["differing_count"]) == (3, 3, 1)
    (difference,) = document["differing"]
    _difference_validator().validate(difference)
    assert (difference["seq"], difference["causes"]) == (3, ["late-events", "changed-facts"])
    assert difference["recorded"] == {"decision": "allowed", "version": "2025.07", "blocked_by": [], "rules": []}
    assert difference["now"]["reasons"] == [{"rule": "PLAT-SCORE-FLOOR", "category": "platform", "state": "restricts"}]


def test_replay_of_given_facts_needs_no_events_and_exits_0_when_nothing_differs(logged: Path) -> None:
    result = run("log", "replay", str(logged), BUNDLE, "--since-seq", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{logged}: 1 decision decided again with today's knowledge, 0 now differ\n"
    needs_events = run("log", "replay", str(logged), BUNDLE, "--since-seq", "3")
    assert needs_events.exit_code == 2 and "no events" in needs_events.stderr


def test_replay_names_rules_edited_in_the_bundle_files(logged: Path, huabei_copy: Path) -> None:
    version = huabei_copy / "versions" / "2026.03.yaml"
    version.write_text(version.read_text().replace("borrowed_30d >= 5000", "borrowed_30d >= 50000"))
    result = run("log", "replay", str(logged), str(huabei_copy), "--events", EXAMPLES, "--since-seq", "1",
                 "--format", "json")
    document = json.loads(result.stdout)
    first = document["differing"][0]
    assert (first["seq"], first["causes"], first["now"]["decision"]) == (1, ["changed-rules"], "allowed")
    assert first["because"] == ["no longer blocked by PLAT-RECENT-BORROWING",
                                "2026.03 itself now decides allowed, not blocked: its rules in the bundle files were "
                                "changed after the decision was made"]


def test_replay_refuses_a_pinned_version_and_notes_other_bundles(logged: Path, tmp_path: Path) -> None:
    pinned = run("log", "replay", str(logged), BUNDLE + "@2026.03", "--events", EXAMPLES)
    assert pinned.exit_code == 2 and "not BUNDLE@VERSION" in pinned.stderr
    other = tmp_path / "other"
    shutil.copytree(HUABEI, other)
    manifest = other / "bundle.yaml"
    manifest.write_text(manifest.read_text().replace("bundle: huabei", "bundle: other", 1))
    result = run("log", "replay", str(logged), str(other), "--events", EXAMPLES)
    assert result.exit_code == 0, result.output
    assert "note: 4 records of bundle 'huabei' not replayed" in result.stderr


# -- export ------------------------------------------------------------------------------


def test_export_jsonl_round_trips_and_the_chain_can_be_checked_from_it(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "decisions.jsonl"
    result = run("log", "export", str(logged), str(out))
    assert result.exit_code == 0 and result.stdout == f"{out}: 4 records exported\n"
    documents = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    with chronolex.DecisionLog(logged) as log:
        assert documents == [r.document() for r in log.records()]
    previous = "0" * 64
    for document in documents:
        RECORD.validate(document)
        fields = {k: v for k, v in document.items() if k not in ("decision_id", "prev_hash", "hash")}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert document["prev_hash"] == previous
        assert hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest() == document["hash"]
        previous = document["hash"]
    # the export is a decision log for diff --decision-log as well
    assert len(chronolex.read_decision_log(out, chronolex.load_bundle(HUABEI).timezone)) == 4
    again = tmp_path / "again.jsonl"
    assert run("log", "export", str(logged), str(again)).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_export_parquet_is_deterministic_and_holds_every_record(logged: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert run("log", "export", str(logged), str(first)).exit_code == 0
    assert run("log", "export", str(logged), str(second), "--format", "parquet").exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    rows = pq.read_table(first).to_pylist()
    with chronolex.DecisionLog(logged) as log:
        documents = [r.document() for r in log.records()]
    assert [{**row, "facts": json.loads(row["facts"])} for row in rows] == documents
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_needs_a_format_it_can_tell(logged: Path, tmp_path: Path) -> None:
    result = run("log", "export", str(logged), str(tmp_path / "decisions.txt"))
    assert result.exit_code == 2 and "cannot tell the format" in result.stderr
    assert not (tmp_path / "decisions.txt").exists()
    assert run("log", "export", str(logged), "-", "--format", "parquet").exit_code == 2


# -- diff --decision-log -----------------------------------------------------------------


def test_diff_reads_the_sqlite_log_and_names_records_by_seq(logged: Path) -> None:
    result = run("diff", BUNDLE + "@2026.03", BUNDLE + "@2026.06", "--no-semantic", "--decision-log", str(logged),
                 "--events", EXAMPLES, "--format", "json")
    assert result.exit_code == 0, result.output
    (pair,) = json.loads(result.stdout)["diffs"]
    log = pair["decision_log"]
    assert log["records"] == 4
    causes = {d["seq"]: d["causes"] for d in log["differing"]}
    assert causes == {2: ["new-version"], 3: ["late-events", "changed-facts"]}
    text = run("diff", BUNDLE + "@2026.03", BUNDLE + "@2026.06", "--no-semantic", "--decision-log", str(logged),
               "--events", EXAMPLES)
    assert "  record 2: acct-1006 open at 2025-07-10T10:00:00+08:00: allowed (2025.01) → blocked (2026.06)" \
        in text.stdout.splitlines()


# -- --lang ------------------------------------------------------------------------------


def _english_left(text: str) -> list[str]:
    """English words left in ``text`` once the data it names is taken out: the event
    catalog's titles, rule ids, fact and event type names, accounts, actions, versions,
    cause codes and the log's file name."""
    bundle = chronolex.load_bundle(HUABEI)
    for kind in (bundle.events or {}).values():
        if kind.title:
            text = text.replace(kind.title, "")
    text = re.sub(r"\[[a-z, -]+\]|\S*decisions\.db|[A-Z][A-Z0-9]*(-[A-Z0-9]+)+|[a-z0-9]+(_[a-z0-9]+)+|acct-\d+"
                  r"|\bopen\b|huabei@|\b[0-9a-f]{32}\b", "", text)
    return re.findall(r"[A-Za-z]{3,}", text)


def test_replay_lang_zh_says_every_reason_in_chinese(logged: Path) -> None:
    result = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES, "--lang", "zh-CN")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{logged}：按今天已知的信息重新判定了4个决定，其中2个现在不同"
    assert lines[1] == ("  记录 2：acct-1006 open，北京时间2025年7月10日 10:00：当时不受限制，版本 2025.01 → 现在受限（监管规定），"
                        "版本 2025.07 [retroactive-version]")
    reasons = [line.strip() for line in lines if line.startswith("    ")]
    assert reasons[0] == ("追溯生效的版本：2025.07 发布于北京时间2025年7月15日 10:00，晚于作出此决定的时间（北京时间2025年7月10日 "
                          "10:00:01），但在北京时间2025年7月10日 10:00已经生效")
    assert reasons[1] == "现在受规则 REG-CREDIT-CONSENT（监管规定）限制：REG-CREDIT-CONSENT 是 2025.07 新增的（2025.01 中没有）"
    assert ("迟到记录的事件：1个事件发生在决定之前，却在作出决定（北京时间2026年2月12日 10:00:01）之后才记录："
            "Credit score received（北京时间2026年2月10日 06:00，记录于北京时间2026年2月14日 09:00）") in reasons
    assert "事实有变化：credit_score 决定时为 690，现在为 530" in reasons
    assert ("2025.07 本身现在的决定是“受限”（平台策略），而不是“不受限制”：作出决定之后，该账户的事件（或已知的事件）有变化"
            in reasons)
    english = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES)
    assert len(reasons) == len([line for line in english.stdout.splitlines() if line.startswith("    ")])
    assert _english_left(result.stdout) == []


def test_replay_lang_zh_says_edited_rules_in_chinese(logged: Path, huabei_copy: Path) -> None:
    version = huabei_copy / "versions" / "2026.03.yaml"
    version.write_text(version.read_text().replace("borrowed_30d >= 5000", "borrowed_30d >= 50000"))
    result = run("log", "replay", str(logged), str(huabei_copy), "--events", EXAMPLES, "--since-seq", "1",
                 "--lang", "zh-CN")
    lines = result.stdout.splitlines()
    assert lines[2:4] == ["    不再受规则 PLAT-RECENT-BORROWING限制",
                          "    2026.03 本身现在的决定是“不受限制”，而不是“受限”：作出决定之后，政策包文件中的规则被修改过"]
    assert _english_left(result.stdout) == []


def test_replay_lang_en_is_the_english_text_and_json_keeps_codes(logged: Path) -> None:
    english = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES)
    assert run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES, "--lang", "en").stdout == english.stdout
    plain = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES, "--format", "json")
    document = json.loads(plain.stdout)
    zh = run("log", "replay", str(logged), BUNDLE, "--events", EXAMPLES, "--format", "json", "--lang", "zh-CN")
    assert json.loads(zh.stdout) == document  # JSON is codes and values whatever the language
    first, second = document["differing"]
    for difference in (first, second):
        _difference_validator().validate(difference)
        assert len(difference["why"]) == len(difference["because"])
    assert first["why"][0] == {"code": "retroactive-version", "values": {
        "version": "2025.07", "published_at": "2025-07-15T10:00:00+08:00",
        "received_at": "2025-07-10T10:00:01+08:00", "at": "2025-07-10T10:00:00+08:00"}}
    assert [w["code"] for w in second["why"]] == ["late-events", "changed-facts", "now-blocked",
                                                  "recorded-version-decides"]
    assert second["why"][0]["values"] == {"received_at": "2026-02-12T10:00:01+08:00", "count": 1, "events": [
        {"event_type": "credit_score_updated", "event_at": "2026-02-10T06:00:00+08:00",
         "recorded_at": "2026-02-14T09:00:00+08:00"}]}
    assert second["why"][1]["values"] == {"facts": [{"name": "credit_score", "logged": 690, "now": 530}]}


def test_show_lang_zh_says_the_decisions_in_chinese(logged: Path) -> None:
    result = run("log", "show", str(logged), "acct-1001", "--lang", "zh-CN", "--bundle", BUNDLE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{logged}：acct-1001共有2个决定"
    assert lines[1] == "  记录 1  2026-03-16T10:00:00+08:00  open：受限（平台策略），依据 huabei@2026.03"
    assert lines[2] == "    规则：PLAT-RECENT-BORROWING"
    assert lines[3].startswith("    收到请求 2026-03-16T10:00:00.004000+08:00；来自事件库的事实；编号 ")
    assert "调用方提供的事实" in lines[6]
    assert _english_left(result.stdout) == []
    without_bundle = run("log", "show", str(logged), "acct-1001", "--lang", "zh_cn")
    assert without_bundle.stdout.splitlines()[1] == "  记录 1  2026-03-16T10:00:00+08:00  open：受限（platform），依据 huabei@2026.03"
    assert run("log", "show", str(logged), "acct-0000", "--lang", "zh-CN").stdout == f"{logged}：acct-0000没有决定\n"
    english = run("log", "show", str(logged), "acct-1001")
    assert run("log", "show", str(logged), "acct-1001", "--lang", "en").stdout == english.stdout
    json_zh = run("log", "show", str(logged), "acct-1001", "--lang", "zh-CN", "--format", "json")
    assert json.loads(json_zh.stdout) == json.loads(run("log", "show", str(logged), "acct-1001", "--format",
                                                        "json").stdout)


@pytest.mark.parametrize("command", [("show", "acct-1001"), ("replay", BUNDLE, "--events", EXAMPLES),
                                     ("show", "acct-1001", "--bundle", BUNDLE)])
def test_an_unknown_lang_is_refused_as_why_refuses_it(logged: Path, command: tuple[str, ...]) -> None:
    result = run("log", command[0], str(logged), *command[1:], "--lang", "fr")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "unknown-locale" in result.stderr and "'fr'" in result.stderr
    why = run("why", "acct-1001", "--at", "2026-03-16T10:00", "--events", EXAMPLES, "--bundle", BUNDLE, "--lang", "fr")
    assert why.exit_code == 2 and "unknown-locale" in why.stderr
