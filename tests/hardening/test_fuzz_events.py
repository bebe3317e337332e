"""Fuzzing the event readers with random and mutated JSON Lines and CSV files.

Sources: arbitrary bytes, arbitrary Unicode text, and the shipped example history with
its records mutated (values replaced by hostile JSON, keys dropped or repeated, lines cut,
duplicated or swapped, CSV cells quoted, split or stuffed with separators). Each input is
read both as ``.jsonl`` and as ``.csv``, by :func:`~chronolex.events.files.read_events` and by
:func:`~chronolex.events.files.open_source`. For every input:

- only :class:`~chronolex.errors.ChronolexError` escapes, each finding naming the file, a
  line it has and a column from 1;
- what reads is data: events of the file with UTC instants, an account, a type, scalar
  fields and an origin line inside the file;
- nothing runs and every call ends within the hang guard (see ``support``).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from chronolex.errors import ChronolexError
from chronolex.events.files import open_source, read_events
from chronolex.events.event import Event
from tests.conftest import HUABEI
from tests.hardening.support import bounded, nothing_runs

ZONE = ZoneInfo("Asia/Shanghai")
EXAMPLES = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
SHIPPED = [json.loads(line) for line in (HUABEI / "examples" / "events.jsonl").read_text(encoding="utf-8").splitlines()
           if line.strip()]

HOSTILE_JSON = [
    "NaN", "Infinity", "-Infinity", "1e999999999999999999", "9" * 500, "-0", "0.1e-999999", "1e308", "[]", "{}",
    "[" * 300 + "]" * 300, '{"a": {"b": 1}}', "null", "true", '"\\ud800"', '"\\u0000"', '"\\ud83d\\ude00"', '""',
    '"2026-02-30"', '"2026-03-01T25:00"', '"9999-12-31"', '"0001-01-01"', '"2026-03-01T09:00+14:59"', '"P1D"',
    '"!!python/object/apply:os.system [\'touch X\']"', "\"'; DROP TABLE events; --\"", "01", "+1", ".5", "1.",
    "0x10", "'single'", "undefined",
]
#: Odd but valid JSON values: a mutation with one of these still reads.
ODD_JSON = [
    '"\\u0000"', '"' + "x" * 10_000 + '"', '"\\ud83d\\ude00"', "1e308", "-1e308", "-0", "0.10", "true", "null",
    '"=1+1"', "\"'; DROP TABLE events; --\"", '"\\u202e"', '"花呗"', "123456789012345678901234567890",
]


def _jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def _record_of(line: str) -> dict[str, Any] | None:
    """The record a line still holds after earlier edits, or None if it no longer holds one."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


@st.composite
def mutated_jsonl(draw: st.DrawFn) -> bytes:
    lines = [_jsonl_line(r) for r in draw(st.lists(st.sampled_from(SHIPPED), min_size=1, max_size=8))]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["value", "odd", "odd", "drop", "repeat", "cut", "duplicate", "swap", "junk",
                                     "array"]))
        record = _record_of(lines[at])
        if edit in ("value", "odd") and isinstance(record, dict):
            key = draw(st.sampled_from(sorted(record) + ["extra"]))
            record[key] = "\x00HOSTILE\x00"
            values = HOSTILE_JSON if edit == "value" else ODD_JSON
            lines[at] = _jsonl_line(record).replace('"\\u0000HOSTILE\\u0000"', draw(st.sampled_from(values)))
        elif edit == "drop" and isinstance(record, dict) and record:
            record.pop(draw(st.sampled_from(sorted(record))))
            lines[at] = _jsonl_line(record)
        elif edit == "repeat" and lines[at].endswith("}"):
            lines[at] = lines[at][:-1] + ', "type": "x"}'
        elif edit == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "junk":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.text(max_size=4)) + lines[at][column:]
        elif edit == "array":
            lines[at] = "[" + lines[at] + "]"
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    raw = end.join(lines).encode("utf-8", "surrogatepass")
    return (b"\xef\xbb\xbf" + raw) if draw(st.booleans()) else raw


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    records = draw(st.lists(st.sampled_from(SHIPPED), min_size=1, max_size=8))
    keys = sorted({key for record in records for key in record})
    if draw(st.integers(0, 3)) == 0:
        keys.remove(draw(st.sampled_from(keys)))
    if draw(st.integers(0, 3)) == 0:
        keys.insert(draw(st.integers(0, len(keys))), draw(st.sampled_from(keys + ["", "extra"])))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(keys)
    cells = st.one_of(st.sampled_from(["NaN", "1e999", "9" * 500, "", '"', ",", "\n", "\x00", "true", "null",
                                       "2026-02-30", "=1+1", "'; DROP TABLE events; --"]), st.text(max_size=6))
    for record in records:
        row = [str(record.get(key, "")) for key in keys]
        if draw(st.integers(0, 5)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        if draw(st.integers(0, 9)) == 0:
            row = row[:-1] if draw(st.booleans()) else [*row, "surplus"]
        writer.writerow(row)
    raw = out.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return (b"\xef\xbb\xbf" + raw) if draw(st.booleans()) else raw


RANDOM = st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def _line_count(raw: bytes) -> int:
    return raw.count(b"\n") + raw.count(b"\r") + 1


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, Decimal))


def _is_event(event: Event, file: str, raw: bytes) -> bool:
    return (
        isinstance(event, Event) and event.at.utcoffset() == timedelta(0) and event.recorded_at.utcoffset() == timedelta(0)
        and isinstance(event.account, str) and event.account != "" and isinstance(event.type, str)
        and all(isinstance(k, str) and _scalar(v) for k, v in event.fields.items())
        and event.origin is not None and event.origin.file == file and 1 <= event.origin.line <= _line_count(raw)
    )


def read_both_ways(workdir: Path, raw: bytes, suffix: str) -> None:
    path = workdir / f"events{suffix}"
    path.write_bytes(raw)
    file = str(path)
    with bounded(repr(raw[:60])), nothing_runs():
        try:
            events = read_events(path, ZONE)
        except ChronolexError as error:
            event(f"refused ({suffix})")
            assert error.diagnostics
            for d in error.diagnostics:
                assert d.span is not None and d.span.file == file, d
                assert 1 <= d.span.line <= _line_count(raw) and d.span.column >= 1, d
                assert "\n" not in d.message and len(d.message) < 400, d
            with pytest.raises(ChronolexError):
                open_source([path], ZONE)
            return
        source = open_source([path], ZONE)
    event(f"read ({suffix})")
    assert all(_is_event(event, file, raw) for event in events)
    histories = [source.history(account) for account in source.accounts()]
    assert sum(len(h.events) for h in histories) <= len(events)
    assert {e.account for e in events} == {h.account for h in histories}


@EXAMPLES
@given(raw=RANDOM, suffix=st.sampled_from([".jsonl", ".csv"]))
def test_random_bytes_and_text(workdir: Path, raw: bytes, suffix: str) -> None:
    note(repr(raw[:400]))
    read_both_ways(workdir, raw, suffix)


@EXAMPLES
@given(raw=mutated_jsonl(), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_mutated_json_lines(workdir: Path, raw: bytes, suffix: str) -> None:
    note(repr(raw[:400]))
    read_both_ways(workdir, raw, suffix)


@EXAMPLES
@given(raw=mutated_csv(), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_mutated_csv(workdir: Path, raw: bytes, suffix: str) -> None:
    note(repr(raw[:400]))
    read_both_ways(workdir, raw, suffix)


def test_the_mutations_start_from_a_readable_history(workdir: Path) -> None:
    """Were the shipped history not readable, every mutation would only prove that errors are errors."""
    path = workdir / "shipped.jsonl"
    path.write_bytes(b"".join(_jsonl_line(r).encode() + b"\n" for r in SHIPPED))
    assert len(read_events(path, ZONE)) == len(SHIPPED)
    out = io.StringIO()
    keys = sorted({key for record in SHIPPED for key in record})
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    writer.writerows([[str(r.get(k, "")) for k in keys] for r in SHIPPED])
    (workdir / "shipped.csv").write_text(out.getvalue(), encoding="utf-8")
    assert len(read_events(workdir / "shipped.csv", ZONE)) == len(SHIPPED)
