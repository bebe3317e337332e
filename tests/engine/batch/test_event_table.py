"""The columnar event table (engine/batch/event_table.py) against the per-account reader.

The promise a batch engine relies on: for every event file the per-account reader
accepts, the table holds the same events, in the same order (``seq``), with the same
typed values; for every file it refuses, the table is refused with the same problems at
the same file and line. Random valid files check the first half row by row, random
mutations of them the second; both also check that valid files take the columnar path,
that the table reads back the same from Parquet, and from the store the files are ingested into.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.batch._text_columns import read_text_columns
from chronolex.batch.event_table import expand_event_paths, read_event_table, skipped_records
from chronolex.batch.errors import LayoutError
from chronolex.errors import ChronolexError
from chronolex.events.field_values import coerce
from chronolex.instants import Duration, SkippedWallTime, parse_recorded_instant
from chronolex.events.files import open_source, read_event_files
from chronolex.events.store import EventStore
from tests.helpers.bundles import write

BUNDLE = """\
bundle: cols
timezone: {zone}
actions: [open]
events:
  scored: {{fields: {{score: int, note: string}}}}
  paid: {{fields: {{amount: decimal, currency: {{enum: [CNY, USD]}}, paid_on: date}}}}
  seen: {{fields: {{seen_at: datetime, flag: bool, grace: duration, note: string}}}}
facts:
  score: {{type: int, derive: {{latest: scored.score}}}}
"""

VERSION = """\
version: "1"
effective_from: 2026-01-01
published_at: 2025-12-01T00:00:00Z
rules:
  - {id: R1, category: platform, actions: [open], when: score < 600}
"""

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai")
_BUNDLES: dict[str, chronolex.Bundle] = {}


def bundle_in(zone: str, root: Path) -> chronolex.Bundle:
    if zone not in _BUNDLES:
        folder = root / f"bundle-{zone.replace('/', '-')}"
        write(folder / "bundle.yaml", BUNDLE.format(zone=zone))
        write(folder / "versions" / "1.yaml", VERSION)
        _BUNDLES[zone] = chronolex.load_bundle(folder)
    return _BUNDLES[zone]


# -- random valid records -------------------------------------------------------------------------

# Instants on and around the DST changes of both zones, written every way the schema allows.
_DAYS = ("2026-03-08", "2026-03-29", "2026-10-25", "2026-11-01", "2026-06-15")
_TIMES = ("00:00", "01:30", "02:30", "03:00:00", "23:59:59.5")
_OFFSETS = ("", "Z", "+08:00", "-05:00", "+01:00")


@st.composite
def instants(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from(_DAYS))
    if draw(st.integers(0, 5)) == 0:
        return day
    separator = draw(st.sampled_from("T "))
    return f"{day}{separator}{draw(st.sampled_from(_TIMES))}{draw(st.sampled_from(_OFFSETS))}"


_WORDS = st.text(alphabet="abcxyz", min_size=1, max_size=4)


def skipped(text: str, zone: str) -> bool:
    """Whether ``text`` is a wall time ``zone`` skips (a DST gap), which no recorder wrote."""
    try:
        parse_recorded_instant(text, ZoneInfo(zone))
    except SkippedWallTime:
        return True
    return False



@st.composite
def fields_of(draw: st.DrawFn, event_type: str) -> dict[str, object]:
    """Some of the type's declared fields (a partial update is a record too), JSON-typed."""
    candidates: dict[str, st.SearchStrategy[object]] = {
        "scored": {"score": st.integers(-10**12, 10**12), "note": _WORDS},
        "paid": {"amount": st.builds(lambda n, p: Decimal(n).scaleb(-p), st.integers(-10**9, 10**9),
                                     st.integers(0, 10)),
                 "currency": st.sampled_from(["CNY", "USD"]),
                 "paid_on": st.dates(date(2000, 1, 1), date(2030, 12, 31)).map(date.isoformat)},
        "seen": {"seen_at": instants(), "flag": st.booleans(), "grace": st.sampled_from(["P1D", "PT2H", "P1Y2M", "P0D", "P1W"]),
                 "note": _WORDS},
    }[event_type]
    chosen = draw(st.lists(st.sampled_from(sorted(candidates)), unique=True))
    fields = {name: draw(candidates[name]) for name in chosen}
    if draw(st.integers(0, 6)) == 0:
        fields["extra_info"] = draw(_WORDS)  # undeclared and no misspelling: carried, not a column
    if event_type == "paid" and draw(st.integers(0, 4)) == 0:
        fields["note"] = draw(_WORDS)  # a column, but not one this type declares: carried, null in the table
    return fields


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, object]]:
    accounts = draw(st.lists(st.sampled_from(["a-1", "a-2", "b", "é-4"]), min_size=1, max_size=3, unique=True))
    pool = draw(st.lists(instants(), min_size=1, max_size=4))  # few instants: many ties
    result: list[dict[str, object]] = []
    for _ in range(draw(st.integers(1, 14))):
        if result and draw(st.integers(0, 7)) == 0:
            result.append(dict(draw(st.sampled_from(result))))  # the same record again
            continue
        event_type = draw(st.sampled_from(["scored", "paid", "seen"]))
        record: dict[str, object] = {"account": draw(st.sampled_from(accounts)), "at": draw(st.sampled_from(pool)),
                                     "type": event_type}
        if draw(st.booleans()):
            record["recorded_at"] = draw(st.sampled_from(pool))
        if draw(st.integers(0, 3)) == 0:
            record["id"] = draw(st.sampled_from(["e1", "e2", "e3"]))
        record.update(draw(fields_of(event_type)))
        result.append(record)
    return result


def _json_text(value: object) -> str:
    return str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)


def jsonl(rows: list[dict[str, object]]) -> str:
    return "".join("{" + ", ".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in row.items()) + "}\n"
                   for row in rows)


def csv_text(rows: list[dict[str, object]]) -> str:
    header = sorted({key for row in rows for key in row})
    def cell(value: object) -> str:
        return "" if value is None else "true" if value is True else "false" if value is False else str(value)
    return ",".join(header) + "\n" + "".join(",".join(cell(row.get(k)) for k in header) + "\n" for row in rows)


# -- the oracle -------------------------------------------------------------------------------------


def expected_rows(bundle: chronolex.Bundle, paths: list[Path], skip_bad: bool = False) -> list[dict[str, object]]:
    """The per-account reader's histories as rows of the layout, built here independently."""
    source = open_source(paths, bundle.timezone, catalog=bundle.events, skip_bad=skip_bad)
    assert bundle.events is not None
    names = sorted({name for t in bundle.events.values() for name in t.fields})
    rows = []
    for account in source.accounts():
        for seq, event in enumerate(source.history(account).events):
            declared = bundle.events[event.type].fields
            row: dict[str, object] = {"account": account, "at": event.at, "recorded_at": event.recorded_at,
                                      "type": event.type, "id": event.id, "seq": seq}
            for name in names:
                value = event.fields.get(name) if name in declared else None
                if value is not None:
                    value = coerce(value, declared[name], bundle.timezone)
                    value = value.text if isinstance(value, Duration) else value
                row[name] = value
            rows.append(row)
    return rows


def table_rows(table: pa.Table) -> list[dict[str, object]]:
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = value.astimezone(timezone.utc)
            elif isinstance(value, Decimal):
                row[key] = value.normalize()
    return rows


def normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in row.items()} for row in rows]


_SETTINGS = settings(max_examples=int(os.environ.get("EVENT_TABLE_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@_SETTINGS
@given(rows=records(), zone=st.sampled_from(ZONES), form=st.sampled_from(["jsonl", "csv", "two files"]))
def test_the_table_holds_what_the_per_account_reader_reads(tmp_path: Path, rows: list[dict[str, object]], zone: str,
                                                            form: str) -> None:
    # a wall time the zone skips is no valid record (the mutations below refuse one)
    assume(not any(skipped(str(row[key]), zone) for row in rows for key in ("at", "recorded_at") if key in row))
    bundle = bundle_in(zone, tmp_path)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    if form == "csv":
        paths = [folder / "events.csv"]
        paths[0].write_text(csv_text(rows), encoding="utf-8")
    elif form == "jsonl":
        paths = [folder / "events.jsonl"]
        paths[0].write_text(jsonl(rows), encoding="utf-8")
    else:
        half = len(rows) // 2
        paths = [folder / "b.jsonl", folder / "a.csv"]
        paths[0].write_text(jsonl(rows[:half]), encoding="utf-8")
        paths[1].write_text(csv_text(rows[half:]) if rows[half:] else "account,at,type\n", encoding="utf-8")
    assert read_text_columns(bundle, paths) is not None, "a plainly valid file takes the columnar path"
    table = read_event_table(bundle, paths)
    assert table_rows(table) == normal(expected_rows(bundle, paths))
    pq.write_table(table, folder / "events.parquet")  # what events convert writes reads back the same
    assert read_event_table(bundle, [folder / "events.parquet"]).equals(table)
    with EventStore(folder / "events.db", create=True) as store:  # and the store the files are ingested into
        store.ingest(read_event_files(paths, bundle.timezone, catalog=bundle.events))
    assert read_event_table(bundle, db=folder / "events.db").equals(table)


# -- random mutations: both refuse, at the same file and line, or both accept ---------------------------

_MUTATIONS = {
    "drop account": lambda r: {k: v for k, v in r.items() if k != "account"},
    "drop at": lambda r: {k: v for k, v in r.items() if k != "at"},
    "empty account": lambda r: {**r, "account": ""},
    "empty id": lambda r: {**r, "id": ""},
    "bad month": lambda r: {**r, "at": "2026-13-01"},
    "skipped wall time": lambda r: {**r, "at": "2026-03-08T02:30"},  # a gap in New York only
    "unknown offset": lambda r: {**r, "at": "2026-03-01T10:00:00-00:00"},
    "offset hour 24": lambda r: {**r, "recorded_at": "2026-03-01T10:00:00+24:00"},
    "30 February": lambda r: {**r, "at": "2026-02-30T10:00:00Z"},
    "capital type": lambda r: {**r, "type": "Scored"},
    "undeclared type": lambda r: {**r, "type": "scoredd"},
    "misspelt field": lambda r: {**{k: v for k, v in r.items() if k != "score"}, "type": "scored", "scroe": 5},
    "text in an int": lambda r: {**r, "type": "scored", "score": "high"},
    "fraction in an int": lambda r: {**r, "type": "scored", "score": Decimal("4.5")},
    "whole decimal in an int": lambda r: {**r, "type": "scored", "score": Decimal("45.0")},
    "number in a string": lambda r: {**r, "type": "scored", "note": 42},
    "enum value": lambda r: {**r, "type": "paid", "currency": "EUR"},
    "bad date": lambda r: {**r, "type": "paid", "paid_on": "2026-02-30"},
    "datetime field wall time": lambda r: {**r, "type": "seen", "seen_at": "2026-03-08T02:30:00"},
    "bad datetime field": lambda r: {**r, "type": "seen", "seen_at": "yesterday"},
    "bad duration": lambda r: {**r, "type": "seen", "grace": "2 days"},
    "text in a bool": lambda r: {**r, "type": "seen", "flag": "yes"},
    "null field": lambda r: {**r, "type": "seen", "note": None},
    "decimal as text": lambda r: {**r, "type": "paid", "amount": "15.5"},
}


@_SETTINGS
@given(rows=records(), zone=st.sampled_from(ZONES), csv_form=st.booleans(),
       mutation=st.sampled_from(sorted(_MUTATIONS)), where=st.integers(0, 100))
def test_a_mutated_file_is_refused_as_the_per_account_reader_refuses_it(
        tmp_path: Path, rows: list[dict[str, object]], zone: str, csv_form: bool, mutation: str, where: int) -> None:
    bundle = bundle_in(zone, tmp_path)
    index = where % len(rows)
    rows = [*rows[:index], _MUTATIONS[mutation](rows[index]), *rows[index + 1:]]
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / ("events.csv" if csv_form else "events.jsonl")
    path.write_text(csv_text(rows) if csv_form else jsonl(rows), encoding="utf-8")
    try:
        expected = expected_rows(bundle, [path])
    except ChronolexError as refused:
        with pytest.raises(ChronolexError) as caught:
            read_event_table(bundle, [path])
        assert [(d.span, d.code, d.message) for d in caught.value.diagnostics] == \
            [(d.span, d.code, d.message) for d in refused.diagnostics]
        # --skip-bad-events: the same records left out, the same problems reported; a problem
        # of the whole file (a CSV header without 'account') is refused by both even then
        try:
            expected_kept = normal(expected_rows(bundle, [path], skip_bad=True))
        except ChronolexError as unskippable:
            with pytest.raises(ChronolexError) as caught_again:
                read_event_table(bundle, [path], skip_bad=True)
            assert [(d.span, d.code, d.message) for d in caught_again.value.diagnostics] == \
                [(d.span, d.code, d.message) for d in unskippable.diagnostics]
            return
        kept = read_event_table(bundle, [path], skip_bad=True)
        assert table_rows(kept) == expected_kept
        skipped = open_source([path], bundle.timezone, catalog=bundle.events, skip_bad=True).skipped
        assert skipped_records(kept) == skipped
        return
    assert table_rows(read_event_table(bundle, [path])) == normal(expected)
    assert skipped_records(read_event_table(bundle, [path], skip_bad=True)) is None


# -- what the layout cannot hold -----------------------------------------------------------------------


def test_a_decimal_with_more_than_ten_places_is_refused_with_its_line(tmp_path: Path) -> None:
    bundle = bundle_in("Asia/Shanghai", tmp_path)
    path = tmp_path / "events.jsonl"
    path.write_text('{"account": "a", "at": "2026-03-01", "type": "paid", "amount": 1.5}\n'
                    '{"account": "a", "at": "2026-03-02", "type": "paid", "amount": 0.12345678901}\n')
    with pytest.raises(LayoutError) as caught:
        read_event_table(bundle, [path])
    [problem] = caught.value.diagnostics
    assert (problem.span.file, problem.span.line) == (str(path), 2)
    assert "10 digits after the point" in problem.message


def test_a_decimal_with_trailing_zeros_past_ten_places_is_held(tmp_path: Path) -> None:
    bundle = bundle_in("Asia/Shanghai", tmp_path)
    path = tmp_path / "events.jsonl"
    path.write_text('{"account": "a", "at": "2026-03-01", "type": "paid", "amount": 1.500000000000}\n')
    assert read_event_table(bundle, [path])["amount"].to_pylist() == [Decimal("1.5")]


def test_a_whole_number_beyond_64_bits_is_refused(tmp_path: Path) -> None:
    bundle = bundle_in("Asia/Shanghai", tmp_path)
    path = tmp_path / "events.csv"
    path.write_text("account,at,type,score\na,2026-03-01,scored,99999999999999999999\n")
    with pytest.raises(LayoutError, match="64 bits") as caught:
        read_event_table(bundle, [path])
    assert caught.value.diagnostics[0].span.line == 2


def test_a_bundle_without_an_event_catalog_is_refused_before_reading(tmp_path: Path) -> None:
    write(tmp_path / "b" / "bundle.yaml", "bundle: bare\ntimezone: UTC\nactions: [open]\nfacts:\n"
          "  score: {type: int, derive: {latest: scored.score}}\n")
    write(tmp_path / "b" / "versions" / "1.yaml", VERSION)
    with pytest.raises(LayoutError, match="no event catalog"):
        read_event_table(chronolex.load_bundle(tmp_path / "b"), [tmp_path / "missing.jsonl"])


# -- paths -------------------------------------------------------------------------------------------


def test_globs_expand_in_name_order_and_a_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.jsonl", "c.csv"):
        (tmp_path / name).write_text("")
    assert [p.name for p in expand_event_paths([str(tmp_path / "*.jsonl"), tmp_path / "c.csv"])] == \
        ["a.jsonl", "b.jsonl", "c.csv"]
    with pytest.raises(ChronolexError, match="no file matches the pattern"):
        expand_event_paths([str(tmp_path / "*.parquet")])
    with pytest.raises(ChronolexError, match="does not exist"):
        expand_event_paths([tmp_path / "nope.jsonl"])


def test_the_shipped_examples_read_the_same_both_ways() -> None:
    bundle = chronolex.load_bundle("policies/huabei")
    paths = [Path("policies/huabei/examples/events.jsonl")]
    assert read_text_columns(bundle, paths) is not None
    assert table_rows(read_event_table(bundle, paths)) == normal(expected_rows(bundle, paths))


def test_a_layout_error_raised_with_a_sentence_is_an_error_with_that_message() -> None:
    error = LayoutError("field 'x' is int in 'a' and bool in 'b'")
    assert [(d.code, d.message) for d in error.diagnostics] == [("batch-layout", "field 'x' is int in 'a' and bool in 'b'")]


@pytest.mark.parametrize("text", [
    '{"account": "a", "at": "2026-03-01", "type": "scored"} {"account": "b", "at": "2026-03-01", "type": "scored"}\n',
    '{"account": "a", "at": "2026-03-01",\n "type": "scored"}\n',
    '{"account": "a", "at": "2026-03-01", "type": "scored", "score": null}\n',
    '{"account": "a", "at": "2026-03-01", "type": "scored", "\\u0073core": 1, "score": 2}\n',
])
def test_what_arrow_reads_but_the_per_account_reader_refuses_is_refused(tmp_path: Path, text: str) -> None:
    bundle = bundle_in("Asia/Shanghai", tmp_path)
    path = tmp_path / "events.jsonl"
    path.write_text(text)
    with pytest.raises(ChronolexError) as refused:
        open_source([path], bundle.timezone, catalog=bundle.events)
    with pytest.raises(ChronolexError) as caught:
        read_event_table(bundle, [path])
    assert caught.value.diagnostics == refused.value.diagnostics
