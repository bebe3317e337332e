"""Reading event files (engine/events/files.py): typing, time zones, tolerated and refused input.

Every bad record must come back as a :class:`ChronolexError` whose diagnostics name
the file, the physical line and the column; nothing else may escape, whatever the bytes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chronolex.errors import ChronolexError, Diagnostic
from chronolex.events.files import MAX_REPORTED, open_source, read_csv, read_events, read_event_files, read_jsonl
from chronolex.events.event import Event
from tests.conftest import FIXTURES

EVENTS = FIXTURES / "events"
UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def problems(paths: list[Path] | Path, zone: ZoneInfo = SHANGHAI) -> tuple[Diagnostic, ...]:
    with pytest.raises(ChronolexError) as caught:
        read_event_files(paths if isinstance(paths, list) else [paths], zone)
    return caught.value.diagnostics


def where(diagnostics: tuple[Diagnostic, ...]) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.code) for d in diagnostics if d.span]


def typed(event: Event) -> dict[str, tuple[str, str]]:
    """The fields with their Python type, so that 1 == True == Decimal("1.0") cannot hide a difference."""
    return {k: (type(v).__name__, str(v)) for k, v in event.fields.items()}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- JSON Lines -------------------------------------------------------------------------


def test_jsonl_keeps_exact_numbers_and_scalar_types() -> None:
    events = read_jsonl(EVENTS / "mixed.jsonl", SHANGHAI)
    assert [e.origin.line for e in events if e.origin] == [1, 2, 3, 4, 5, 7, 8, 9]  # the blank line 6 is skipped
    loan = events[2]
    assert typed(loan) == {"amount": ("Decimal", "1200.50"), "fee": ("Decimal", "0.10"), "rate": ("Decimal", "0.015")}
    assert typed(events[4]) == {"granted": ("bool", "True"), "note": ("NoneType", "None")}
    assert typed(events[7]) == {
        "amount": ("Decimal", "-0.00"), "big": ("int", "123456789012345678901234567890"),
        "exp": ("Decimal", "1E+3"), "granted": ("bool", "False"),
    }
    assert typed(events[5])["occupation"] == ("str", "教师")
    assert events[5].id == "evt-0001"


def test_jsonl_instants_are_utc_and_recorded_at_defaults_to_at() -> None:
    events = read_jsonl(EVENTS / "mixed.jsonl", SHANGHAI)
    assert events[0].at == utc(2026, 3, 1, 1)                       # +08:00 offset
    assert events[1].at == utc(2026, 2, 28, 16)                     # a date alone: start of day in the zone
    assert events[2].at == utc(2026, 3, 2, 2)                       # no offset: wall time in the zone
    assert events[5].at == utc(2026, 3, 4, 4, 30)                   # "YYYY-MM-DD HH:MM"
    assert events[3].recorded_at == utc(2026, 3, 5, 8) and events[3].at == utc(2026, 3, 3, 8)
    assert all(e.recorded_at == e.at for i, e in enumerate(events) if i != 3)
    assert all(e.at.utcoffset() == e.recorded_at.utcoffset() == timezone.utc.utcoffset(None) for e in events)


def test_the_zone_only_matters_without_an_offset() -> None:
    in_utc = read_jsonl(EVENTS / "mixed.jsonl", ZoneInfo("UTC"))
    in_shanghai = read_jsonl(EVENTS / "mixed.jsonl", SHANGHAI)
    moved = [i for i, (a, b) in enumerate(zip(in_utc, in_shanghai)) if a.at != b.at]
    assert moved == [1, 2, 5]
    assert all(a.at - b.at == timedelta(hours=8) for a, b in zip(in_utc, in_shanghai) if a.at != b.at)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
@pytest.mark.parametrize(("wall", "expected"), [
    ("2026-03-08T01:30", utc(2026, 3, 8, 6, 30)),    # EST, before the gap
    ("2026-03-08T03:30", utc(2026, 3, 8, 7, 30)),    # EDT: the same instant
    ("2026-11-01T01:30", utc(2026, 11, 1, 5, 30)),   # ambiguous: the first occurrence (EDT)
    ("2026-03-08", utc(2026, 3, 8, 5)),              # start of the day, EST
    ("2026-03-08T02:30-05:00", utc(2026, 3, 8, 7, 30)),
])
def test_wall_times_in_new_york_across_dst(tmp_path: Path, suffix: str, wall: str, expected: datetime) -> None:
    if suffix == ".jsonl":
        path = write(tmp_path / "e.jsonl", json.dumps({"account": "a", "at": wall, "type": "x"}) + "\n")
    else:
        path = write(tmp_path / "e.csv", f"account,at,type\na,{wall},x\n")
    [event] = read_events(path, NEW_YORK)
    assert event.at == expected


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_recorded_wall_time_in_the_gap_is_refused_at_its_line_and_column(tmp_path: Path, suffix: str) -> None:
    # 02:30 on 8 March 2026 is skipped in New York: the record lost its offset (docs/reference/time.md)
    if suffix == ".jsonl":
        path = write(tmp_path / "e.jsonl", json.dumps({"account": "a", "at": "2026-03-08T02:30", "type": "x"}) + "\n")
    else:
        path = write(tmp_path / "e.csv", "account,at,type\na,2026-03-08T02:30,x\n")
    [problem] = problems(path, NEW_YORK)
    assert problem.code == "invalid-date"
    assert (problem.span.line, problem.span.column) == ((1, 18) if suffix == ".jsonl" else (2, 3))
    assert "2026-03-08T02:30 does not exist in America/New_York" in problem.message


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_at_their_column(tmp_path: Path, token: str) -> None:
    line = f'{{"account": "a", "at": "2026-03-01", "type": "x", "n": {token}}}\n'
    [problem] = problems(write(tmp_path / "e.jsonl", line))
    assert (problem.span.line, problem.span.column) == (1, line.index(token) + 1)  # type: ignore[union-attr]
    assert problem.code == "event-syntax" and "finite" in problem.message


def test_nan_inside_a_string_is_just_text(tmp_path: Path) -> None:
    [event] = read_events(write(tmp_path / "e.jsonl", '{"account": "a", "at": "2026-03-01", "type": "x", '
                                                      '"n": "NaN"}\n'), UTC)
    assert event.fields["n"] == "NaN"


def test_every_bad_record_is_reported_with_file_line_and_column() -> None:
    found = problems(EVENTS / "bad.jsonl")
    assert {d.span.file for d in found if d.span} == {str(EVENTS / "bad.jsonl")}
    assert where(found) == [
        (2, 23, "invalid-date"),     # 2026-02-30, at the "at" key
        (3, 1, "event-schema"),      # missing "at"
        (5, 43, "event-schema"),     # "Kyc-Verified" is not an event type
        (6, 66, "event-syntax"),     # NaN
        (7, 56, "event-schema"),     # a nested object as a field value
        (8, 55, "event-syntax"),     # trailing comma
        (9, 1, "event-schema"),      # an array, not an object
        (10, 56, "event-syntax"),    # "type" twice: at the second one
        (11, 56, "event-schema"),    # 1e400 is beyond a double
    ]
    messages = {d.span.line: d.message for d in found if d.span}
    assert "missing required field 'at'" in messages[3]
    assert "key 'type' appears twice" in messages[10]
    assert "out of range" in messages[11]


@pytest.mark.parametrize("text", ['[\n{"account": "a", "at": "2026-03-01", "type": "x"}\n]\n',
                                  '[{"account": "a", "at": "2026-03-01", "type": "x"}]\n'])
def test_a_json_array_file_gets_a_hint(tmp_path: Path, text: str) -> None:
    problem = problems(write(tmp_path / "e.json", text))[0]
    assert problem.span and problem.span.line == 1
    assert problem.help and "JSON Lines" in problem.help


@pytest.mark.parametrize(("value", "code"), [
    ('"2026-02-29"', "invalid-date"), ('"2026-3-1"', "invalid-date"), ('"yesterday"', "invalid-date"),
    ('"9999-12-31T23:59:59-23:59"', "invalid-date"), ("20260301", "event-schema"),
])
def test_bad_instants_are_invalid_dates(tmp_path: Path, value: str, code: str) -> None:
    line = f'{{"account": "a", "type": "x", "at": {value}}}\n'
    [problem] = problems(write(tmp_path / "e.jsonl", line))
    assert problem.code == code
    assert problem.span and problem.span.column == line.index('"at"') + 1


@pytest.mark.parametrize("number", ["1e400", "-2.5E+99999999999999999999", "1e-99999999999999999999"])
def test_numbers_out_of_range_are_refused_at_their_column(tmp_path: Path, number: str) -> None:
    line = f'{{"account": "a", "at": "2026-03-01", "type": "x", "note": "{number}", "n": {number}}}\n'
    [problem] = problems(write(tmp_path / "e.jsonl", line))
    assert "out of range" in problem.message
    assert problem.span and problem.span.column in (line.rindex(number) + 1, line.index('"n"') + 1)


def test_an_integer_too_long_to_read_is_reported(tmp_path: Path) -> None:
    line = '{"account": "a", "at": "2026-03-01", "type": "x", "n": ' + "9" * 5000 + "}\n"
    [problem] = problems(write(tmp_path / "e.jsonl", line))
    assert (problem.code, problem.span and problem.span.line) == ("event-syntax", 1)


def test_unpaired_surrogate_escape_is_refused(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path / "e.jsonl", '{"account": "a\\ud800", "at": "2026-03-01", "type": "x"}\n'))
    assert problem.code == "event-syntax" and "surrogate" in problem.message


# -- BOM, CRLF, encoding ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mixed.jsonl", "typed.csv"])
def test_bom_and_crlf_are_tolerated(tmp_path: Path, name: str) -> None:
    original = (EVENTS / name).read_bytes()
    variant = write(tmp_path / name, b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n"))
    plain, tolerated = read_events(EVENTS / name, SHANGHAI), read_events(variant, SHANGHAI)
    assert tolerated == plain
    assert [typed(e) for e in tolerated] == [typed(e) for e in plain]
    assert [e.origin.line for e in tolerated if e.origin] == [e.origin.line for e in plain if e.origin]


def test_crlf_inside_a_quoted_csv_cell_is_kept(tmp_path: Path) -> None:
    [event] = read_events(write(tmp_path / "e.csv", 'account,at,type,note\r\na,2026-03-01,x,"two\r\nlines"\r\n'), UTC)
    assert event.fields["note"] == "two\r\nlines"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_invalid_utf8_is_reported_with_its_line_and_column(tmp_path: Path, suffix: str) -> None:
    good = '{"account": "a", "at": "2026-03-01", "type": "x"}' if suffix == ".jsonl" else "a,2026-03-01,x"
    head = "" if suffix == ".jsonl" else "account,at,type\n"
    raw = (head + good + "\n").encode() + b'{"bad": "\xff\xfe"}\n' + (good + "\n").encode()
    [problem] = problems(write(tmp_path / f"e{suffix}", raw))
    expected_line = 2 if suffix == ".jsonl" else 3
    assert (problem.code, problem.span and problem.span.line, problem.span and problem.span.column) == (
        "encoding", expected_line, 10)
    assert "0xff" in problem.message


def test_a_csv_header_that_is_not_utf8_stops_that_file_only(tmp_path: Path) -> None:
    broken = write(tmp_path / "a.csv", b"account,at,typ\xe9\na,2026-03-01,x\nb,2026-03-01,y\n")
    other = write(tmp_path / "b.jsonl", '{"account": "a", "at": "2026-03-01"}\n')
    found = problems([broken, other])
    assert [(Path(d.span.file).name, d.span.line, d.code) for d in found if d.span] == [
        ("a.csv", 1, "encoding"), ("b.jsonl", 1, "event-schema")]  # no row of a.csv is taken for its header


# -- CSV ----------------------------------------------------------------------------------


def test_csv_cells_are_typed_as_json_scalars() -> None:
    events = read_csv(EVENTS / "typed.csv", SHANGHAI)
    assert [typed(e) for e in events] == [
        {"score": ("int", "701")},
        {"amount": ("Decimal", "1200.50"), "note": ("str", "first, of two"), "code": ("str", "007")},
        {"granted": ("bool", "True"), "note": ("str", "null"), "code": ("str", "+7")},
        {"amount": ("Decimal", "-1E+3"), "granted": ("bool", "False"), "note": ("str", "True"), "code": ("int", "0")},
    ]
    assert [e.id for e in events] == [None, "42", None, None]   # reserved keys stay strings
    assert events[0].at == utc(2026, 3, 1, 1)                    # no offset: Asia/Shanghai


@pytest.mark.parametrize(("cell", "value"), [
    ("true", True), ("false", False), ("TRUE", "TRUE"), ("0", 0), ("-7", -7), ("12.50", Decimal("12.50")),
    ("1e3", Decimal("1E+3")), ("1.", "1."), (".5", ".5"), ("0x10", "0x10"), (" 1", " 1"), ("NaN", "NaN"),
    ("Infinity", "Infinity"), ("null", "null"), ("x y", "x y"),
])
def test_csv_cell_typing(tmp_path: Path, cell: str, value: object) -> None:
    [event] = read_events(write(tmp_path / "e.csv", f'account,at,type,v\na,2026-03-01,x,"{cell}"\n'), UTC)
    assert type(event.fields["v"]) is type(value) and event.fields["v"] == value


def test_csv_empty_cell_means_absent_even_for_recorded_at_and_id(tmp_path: Path) -> None:
    [event] = read_events(write(tmp_path / "e.csv", "account,at,type,recorded_at,id,v\na,2026-03-01,x,,,\n"), UTC)
    assert (event.recorded_at, event.id, dict(event.fields)) == (event.at, None, {})


def test_csv_header_without_type_is_refused_once(tmp_path: Path) -> None:
    rows = "".join(f"a,2026-03-0{i},x\n" for i in range(1, 8))
    [problem] = problems(write(tmp_path / "e.csv", "account,at,kind\n" + rows))
    assert (problem.code, problem.span and problem.span.line) == ("event-schema", 1)
    assert "'type'" in problem.message


@pytest.mark.parametrize(("header", "column", "text"), [
    ("account,at,type,at", 17, "appears twice"), ("account,,at,type", 9, "no name"),
])
def test_csv_header_problems(tmp_path: Path, header: str, column: int, text: str) -> None:
    [problem] = problems(write(tmp_path / "e.csv", header + "\na,,2026-03-01,x\n"))
    assert problem.span and (problem.span.line, problem.span.column) == (1, column)
    assert text in problem.message


def test_every_bad_csv_row_is_reported_with_line_and_cell_column() -> None:
    found = problems(EVENTS / "bad.csv")
    assert where(found) == [
        (3, 8, "invalid-date"),      # 2026-13-01, the second cell
        (4, 19, "event-schema"),     # "Bad Type", the third cell
        (5, 34, "event-syntax"),     # a cell too many: at the first extra cell
        (6, 1, "event-schema"),      # empty account: the key is absent
        (7, 1, "event-syntax"),      # a quote left open to the end of the file
    ]


def test_csv_column_counts_quoted_commas(tmp_path: Path) -> None:
    line = 'a,"x, ""y""",2026-99-01,x'
    [problem] = problems(write(tmp_path / "e.csv", "account,note,at,type\n" + line + "\n"))
    assert problem.span and problem.span.column == line.index("2026") + 1


def test_an_empty_csv_file_has_no_events(tmp_path: Path) -> None:
    assert read_events(write(tmp_path / "e.csv", ""), UTC) == []
    assert read_events(write(tmp_path / "e.csv", "account,at,type\r\n"), UTC) == []


# -- several files, the cap ---------------------------------------------------------------


def test_many_bad_records_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "e.jsonl", "".join(f'{{"account": "a", "at": "2026-03-{i % 28 + 1:02}"}}\n'
                                               for i in range(MAX_REPORTED + 70)))
    found = problems(path)
    assert len(found) == MAX_REPORTED + 1
    assert [d.span.line for d in found[:-1] if d.span] == list(range(1, MAX_REPORTED + 1))
    marker = found[-1]
    assert marker.code == "too-many-errors" and marker.message.startswith("70 more problems")
    assert marker.span and marker.span.line == MAX_REPORTED + 1


def test_the_cap_counts_over_all_files_and_the_marker_sorts_last(tmp_path: Path) -> None:
    bad = '{"account": "a", "at": "2026-03-01"}\n'
    later = write(tmp_path / "z.jsonl", bad * 40)    # read first, sorts last by name
    earlier = write(tmp_path / "a.jsonl", bad * 30)
    found = problems([later, earlier])
    assert found[-1].code == "too-many-errors" and found[-1].message.startswith("20 more problems")
    assert [d.code for d in found[:-1]] == ["event-schema"] * MAX_REPORTED
    assert found[0].span and Path(found[0].span.file).name == "a.jsonl"


def test_unreadable_files_are_reported_with_the_problems_of_the_others(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl", '{"account": "a", "at": "2026-03-01"}\n')
    (tmp_path / "dir.jsonl").mkdir()
    found = problems([tmp_path / "missing.jsonl", tmp_path / "events.txt", bad, tmp_path / "dir.jsonl"])
    assert sorted(d.code for d in found) == ["event-format", "event-schema", "io-error", "io-error"]
    assert all(d.span for d in found)


def test_read_files_keeps_file_order_and_every_record() -> None:
    events = read_event_files([EVENTS / "typed.csv", EVENTS / "mixed.jsonl"], SHANGHAI)
    assert [e.origin.file.rsplit("/", 1)[-1] for e in events if e.origin] == ["typed.csv"] * 4 + ["mixed.jsonl"] * 8


# -- open_source: the file side of "the same histories as the store" ------------------------


def test_open_source_counts_the_same_event_once(tmp_path: Path) -> None:
    first = write(tmp_path / "a.jsonl",
                  '{"account": "a", "at": "2026-03-01T09:00", "type": "x", "v": 1.10}\n'
                  '{"account": "a", "at": "2026-03-01T09:00", "type": "x", "v": 1.0}\n'
                  '{"account": "a", "at": "2026-03-02", "type": "x", "id": "e-1", "v": 1}\n')
    second = write(tmp_path / "b.csv",
                   "account,at,type,v,id\n"
                   "a,2026-03-01T01:00:00Z,x,1.1,\n"           # the first record again (same instant, 1.1 == 1.10)
                   "a,2026-03-01T01:00:00Z,x,1,\n"             # an int is not the decimal 1.0
                   "b,2026-04-01,y,2,e-1\n")                   # the id e-1 again: the same event, first one kept
    source = open_source([first, second], SHANGHAI)
    history = source.history("a")
    assert list(source.accounts()) == ["a"]
    # the first three tie on (at, recorded_at, type, id): their order is the store's, by key
    assert sorted(str(typed(e)) for e in history.events[:3]) == sorted(
        str(v) for v in ({"v": ("Decimal", "1.10")}, {"v": ("Decimal", "1.0")}, {"v": ("int", "1")}))
    assert (history.events[3].id, typed(history.events[3])) == ("e-1", {"v": ("int", "1")})
    assert len(source) == 4


def test_open_source_order_of_ties_does_not_depend_on_file_order(tmp_path: Path) -> None:
    lines = ['{"account": "a", "at": "2026-03-01", "type": "score", "v": %d}\n' % v for v in (3, 1, 2)]
    one = write(tmp_path / "one.jsonl", "".join(lines))
    other = write(tmp_path / "other.jsonl", "".join(reversed(lines)))
    orders = [[e.fields["v"] for e in open_source([p], UTC).history("a").events] for p in (one, other)]
    assert orders[0] == orders[1] and {1, 2, 3} == set(orders[0])


# -- properties: nothing but ChronolexError, whatever the input ----------------------------


_FRAGMENTS = st.sampled_from([
    "{", "}", "[", "]", ",", ":", " ", '"account"', '"at"', '"type"', '"recorded_at"', '"id"', '"a"', '"x"', '""',
    '"2026-03-08T02:30"', '"2026-02-30"', '"0001-01-01"', '"9999-12-31T23:59:59-23:59"', '"2026-03-01 09:00Z"',
    "NaN", "-Infinity", "1e400", "1e99999999999999999999", "-0", "1.50", "12", "9" * 4400, "true", "null", '"\\ud800"', '"\\u0000"',
    "\ufeff", "\r", "\n", "\t", '"', "\\", "é", '"NaN"', "[" * 50, "{" * 30,
])
_JSONISH = st.lists(_FRAGMENTS, max_size=40).map("".join)
_CSVISH = st.lists(st.sampled_from([
    "account,at,type", "a", "2026-03-08T02:30", "x", ",", '"', '""', "\n", "\r\n", "true", "1.5", "007",
    "type", "id", "recorded_at", "\ufeff", "\x00", "2026-13-01", "b,c",
]), max_size=40).map("".join)


def _check_only_chronolex_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        events = read_events(path, NEW_YORK)
    except ChronolexError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.span is not None and d.span.file == str(path) and d.span.line >= 1 and d.span.column >= 1
        return
    for event in events:
        assert event.at.utcoffset() is not None and event.account and event.type


@settings(max_examples=100)
@given(data=st.binary(max_size=200) | _JSONISH.map(lambda t: t.encode("utf-8")))
def test_any_bytes_as_jsonl_raise_only_chronolex_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _check_only_chronolex_errors(tmp_path_factory.getbasetemp() / "fuzz.jsonl", data)


@settings(max_examples=60)
@given(data=st.binary(max_size=200) | _CSVISH.map(lambda t: t.encode("utf-8")))
def test_any_bytes_as_csv_raise_only_chronolex_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _check_only_chronolex_errors(tmp_path_factory.getbasetemp() / "fuzz.csv", data)
