"""Hostile event files (JSON Lines and CSV): refused with a clear error, or read as plain data.

Each case is checked through the reader and through ``chronolex why --events`` (exit 2,
one line naming file, line and column, no traceback), and, for content that is valid,
through the SQLite store, whose queries take every value as a parameter.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import chronolex
from chronolex.errors import ChronolexError
from chronolex.events.files import open_source, read_events
from chronolex.events.store import EventStore
from tests.conftest import HUABEI
from tests.hardening.support import (
    assert_no_traceback,
    bounded,
    run_chronolex,
    error_line,
    nothing_runs,
)

ZONE = ZoneInfo("Asia/Shanghai")
HEAD = '{"account": "acct-1", "at": "2026-03-01T09:00:00+08:00", "type": "credit_score_updated"'
CSV_HEADER = "account,at,type,score\n"
CSV_ROW = "acct-1,2026-03-01T09:00:00+08:00,credit_score_updated,"


@dataclass(frozen=True)
class Refused:
    name: str
    suffix: str
    raw: bytes
    code: str
    line: int
    column: int
    fragment: str


def _jsonl(*lines: str | bytes) -> bytes:
    return b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)


def _field(value: str) -> str:
    return f'{HEAD}, "score": {value}}}'


OK_LINE = _field("700")
REFUSED = [
    Refused("10000-deep-arrays", ".jsonl", _jsonl(OK_LINE, _field("[" * 10_000 + "]" * 10_000)),
            "event-syntax", 2, 1, "nested too deeply"),
    Refused("10000-deep-objects", ".jsonl", _jsonl('{"a": ' * 10_000 + "1" + "}" * 10_000),
            "event-syntax", 1, 1, "nested too deeply"),
    Refused("10000-digit-integer", ".jsonl", _jsonl(_field("9" * 10_000)),
            "event-syntax", 1, len(HEAD) + len(', "score": ') + 1, "is out of range"),
    Refused("10000-digit-decimal", ".jsonl", _jsonl(_field("9" * 10_000 + ".5")),
            "event-schema", 1, len(HEAD) + 3, "is out of range"),
    Refused("exponent-beyond-any-range", ".jsonl", _jsonl(_field("1e999999999999999999999")),
            "event-syntax", 1, len(HEAD) + len(', "score": ') + 1, "is out of range"),
    Refused("NaN", ".jsonl", _jsonl(_field("NaN")),
            "event-syntax", 1, len(HEAD) + len(', "score": ') + 1, "NaN is not a number in JSON"),
    Refused("Infinity", ".jsonl", _jsonl(_field("Infinity")),
            "event-syntax", 1, len(HEAD) + len(', "score": ') + 1, "Infinity is not a number in JSON"),
    Refused("minus-Infinity", ".jsonl", _jsonl(OK_LINE, _field("-Infinity")),
            "event-syntax", 2, len(HEAD) + len(', "score": ') + 1, "-Infinity is not a number in JSON"),
    Refused("invalid-utf8", ".jsonl", _jsonl(OK_LINE, HEAD.encode() + b', "note": "caf\xe9"}'),
            "encoding", 2, len(HEAD) + len(', "note": "caf') + 1, "invalid UTF-8 (byte 0xe9)"),
    Refused("invalid-utf8-csv", ".csv", (CSV_HEADER + CSV_ROW).encode() + b"7\xff0\n",
            "encoding", 2, len(CSV_ROW) + 2, "invalid UTF-8 (byte 0xff)"),
    Refused("lone-surrogate", ".jsonl", _jsonl(HEAD + ', "note": "\\ud800"}'),
            "event-syntax", 1, 1, "unpaired"),
    Refused("repeated-key", ".jsonl", _jsonl(HEAD + ', "score": 1, "score": 2}'),
            "event-syntax", 1, len(HEAD) + len(', "score": 1, ') + 1, "appears twice"),
    Refused("crlf-line-ends-keep-positions", ".jsonl", (OK_LINE + "\r\n" + _field("NaN") + "\r\n").encode(),
            "event-syntax", 2, len(HEAD) + len(', "score": ') + 1, "NaN"),
    Refused("bom-keeps-positions", ".jsonl", b"\xef\xbb\xbf" + _jsonl(_field("NaN")),
            "event-syntax", 1, len(HEAD) + len(', "score": ') + 1, "NaN"),
    Refused("crlf-csv", ".csv", (CSV_HEADER + CSV_ROW + "1\r\nacct-1,2026-13-01,x,1\r\n").replace("\n", "\r\n").encode(),
            "invalid-date", 3, len("acct-1,") + 1, "2026-13-01"),
    Refused("10-MB-csv-cell", ".csv", (CSV_HEADER + CSV_ROW + "x" * (10 * 1024 * 1024) + "\n").encode(),
            "event-syntax", 2, 1, "field larger than field limit"),
    Refused("tab-separated-csv", ".csv", b"account\tat\ttype\nacct-1\t2026-03-01\tx\n",
            "event-schema", 1, 1, "the header row has no 'account', 'at', 'type' columns"),
    Refused("unclosed-quote-csv", ".csv", (CSV_HEADER + CSV_ROW + '"1\n' + "x\n" * 1000).encode(),
            "event-syntax", 2, 1, "bad CSV"),
    Refused("a-year-out-of-range", ".jsonl", _jsonl('{"account": "a", "at": "9999-12-31T23:00:00Z", "type": "x"}'),
            "invalid-date", 1, len('{"account": "a", ') + 1, "outside the supported years 1000-9000"),
    Refused("a-100000-character-type", ".jsonl", _jsonl('{"account": "a", "at": "2026-03-01", "type": "'
                                                       + "X" * 100_000 + '"}'),
            "event-schema", 1, len('{"account": "a", "at": "2026-03-01", ') + 1, "is not an event type"),
    Refused("a-100000-character-instant", ".jsonl", _jsonl('{"account": "a", "at": "' + "9" * 100_000
                                                           + '", "type": "x"}'),
            "invalid-date", 1, len('{"account": "a", ') + 1, "is not an ISO 8601 date"),
    Refused("a-json-array", ".jsonl", _jsonl("[" + OK_LINE + "]"),
            "event-schema", 1, 1, "expected an object"),
]
_IDS = [case.name for case in REFUSED]


@pytest.mark.parametrize("case", REFUSED, ids=_IDS)
def test_the_reader_refuses_it_at_its_line_and_column(case: Refused, tmp_path: Path) -> None:
    path = tmp_path / f"events{case.suffix}"
    path.write_bytes(case.raw)
    with bounded(case.name), nothing_runs(), pytest.raises(ChronolexError) as caught:
        read_events(path, ZONE)
    first = caught.value.diagnostics[0]
    assert first.span is not None
    assert (first.code, first.span.file, first.span.line, first.span.column) == (
        case.code, str(path), case.line, case.column)
    assert case.fragment in first.message
    assert "\n" not in first.message and len(first.message) < 300  # never the hostile value itself


@pytest.mark.parametrize("case", REFUSED, ids=_IDS)
def test_why_names_the_record_on_one_line_and_exits_2(case: Refused, tmp_path: Path) -> None:
    path = tmp_path / f"events{case.suffix}"
    path.write_bytes(case.raw)
    with bounded(case.name):
        outcome = run_chronolex("why", "acct-1", "--at", "2026-03-10", "--action", "open",
                            "--events", str(path), "--bundle", str(HUABEI))
    assert_no_traceback(outcome)
    assert outcome.exit_code == 2
    line = error_line(outcome)
    assert line.startswith(f"chronolex: error: {path.as_posix()}:{case.line}:{case.column}: {case.code}: ")
    assert case.fragment in line
    assert len(line) < 500


# -- read as plain data -----------------------------------------------------------------------


def test_a_10_mb_string_in_a_json_line_is_kept_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    note = "x" * (10 * 1024 * 1024)
    path.write_text(_jsonl(HEAD + f', "score": 700, "note": "{note}"}}').decode(), encoding="utf-8")
    with bounded("10 MB string"):
        [event] = read_events(path, ZONE)
    assert event.fields["note"] == note and event.fields["score"] == 700


def test_csv_text_that_only_looks_like_a_number_stays_text(tmp_path: Path) -> None:
    """CSV cells are typed as JSON scalars; NaN, Infinity and integers too long to convert are not."""
    path = tmp_path / "events.csv"
    long = "9" * 10_000
    path.write_text("account,at,type,a,b,c\n" + f"acct-1,2026-03-01,credit_score_updated,NaN,-Infinity,{long}\n")
    [event] = read_events(path, ZONE)
    assert dict(event.fields) == {"a": "NaN", "b": "-Infinity", "c": long}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_byte_order_mark_crlf_and_tabs_are_tolerated(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"events{suffix}"
    if suffix == ".jsonl":
        text = "\ufeff" + HEAD.replace(", ", ",\t") + ',\t"score":\t701}\r\n' + OK_LINE + "\r\n"
    else:
        text = "\ufeff" + CSV_HEADER.replace("\n", "\r\n") + CSV_ROW + "701\r\n" + CSV_ROW + "700\r\n"
    path.write_text(text, encoding="utf-8", newline="")
    events = read_events(path, ZONE)
    first = 1 if suffix == ".jsonl" else 2  # a CSV file's records start after its header
    assert [(e.fields["score"], e.origin.line if e.origin else None) for e in events] == [(701, first), (700, first + 1)]
    assert [e.account for e in events] == ["acct-1", "acct-1"]


HOSTILE_TEXT = [
    "!!python/object/apply:os.system ['touch SENTINEL']",
    "'; DROP TABLE events; --",
    "\" OR 1=1 --",
    "=cmd|' /C calc'!A0",
    "\x00\x01\x1b[31m",
    "$(touch SENTINEL)",
    "{{7*7}}",
    "../../etc/passwd",
]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_hostile_text_is_data_through_the_reader_and_the_store(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"events{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(
            json.dumps({"account": text, "at": "2026-03-01", "type": "profile_updated", "occupation": text}) + "\n"
            for text in HOSTILE_TEXT), encoding="utf-8")
    else:
        def quoted(text: str) -> str:
            return '"' + text.replace('"', '""') + '"'
        path.write_text("account,at,type,occupation\n" + "".join(
            f"{quoted(text)},2026-03-01,profile_updated,{quoted(text)}\n" for text in HOSTILE_TEXT), encoding="utf-8")
    with nothing_runs():
        source = open_source([path], ZONE)
    assert sorted(source.accounts()) == sorted(HOSTILE_TEXT)
    database = tmp_path / "events.db"
    with EventStore(database, create=True) as store:
        store.ingest(event for account in source.accounts() for event in source.history(account).events)
        assert sorted(store.accounts()) == sorted(HOSTILE_TEXT)
        for text in HOSTILE_TEXT:
            [event] = store.history(text).events
            assert (event.account, event.fields["occupation"]) == (text, text)
        assert store.history("x' OR '1'='1").events == ()
    with sqlite3.connect(database) as db:  # the table the injection names is still there, with every row
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (len(HOSTILE_TEXT),)
    assert not (tmp_path / "SENTINEL").exists() and not Path("SENTINEL").exists()


def test_hostile_but_valid_values_give_a_decision(tmp_path: Path) -> None:
    """Numbers at the edge of the range, megabyte strings and control characters are facts like any other."""
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in [
        {"account": "acct-1", "at": "2026-03-01", "type": "credit_score_updated", "score": int("9" * 300)},
        {"account": "acct-1", "at": "2026-03-01", "type": "profile_updated", "occupation": "\x00" + "x" * 1_000_000},
        {"account": "acct-1", "at": "2026-03-02", "type": "loan_disbursed", "amount": 1.7e308},
        {"account": "acct-1", "at": "2026-03-03", "type": "loan_disbursed", "amount": 1.7e308},
        {"account": "acct-1", "at": "2026-03-03", "type": "status_changed", "status": "not-an-enum-value"},
    ]), encoding="utf-8")
    bundle = chronolex.load_bundle(HUABEI)
    history = open_source([path], bundle.timezone).history("acct-1")
    at = chronolex.parse_instant("2026-03-10", bundle.timezone)
    with bounded("decide"):
        decision = chronolex.decide(bundle, history, "open", at)
        facts = chronolex.derive_facts(bundle, history, at)
    assert facts["borrowed_30d"].value == Decimal("1.7e308") * 2
    assert facts["credit_score"].value == int("9" * 300)
    assert decision.decision == "blocked"
    why = ("why", "acct-1", "--at", "2026-03-10", "--action", "open", "--events", str(path),
           "--bundle", str(HUABEI), "--format", "json")
    # The command line reads with the bundle's event catalog: the status outside its enum is bad input.
    refused = run_chronolex(*why)
    assert_no_traceback(refused)
    assert refused.exit_code == 2 and ":5:" in refused.stderr and "bad-field-value" in refused.stderr
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:4]), encoding="utf-8")
    outcome = run_chronolex(*why)
    assert_no_traceback(outcome)
    assert outcome.exit_code == 0
    assert json.loads(outcome.stdout)["decision"] == decision.decision
