"""The embedded event store (engine/events/store.py): same histories as the files, idempotent, atomic.

The reference for every comparison is the file side: ``MemorySource`` over the
events read from the same files (``open_source``, which counts duplicates as the
store does). Events are compared field by field with their Python types, so that a
Decimal that came back as a float, or ``1.10`` that came back as ``1.1``, is caught.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex.events.store
from chronolex.errors import ChronolexError
from chronolex.events.files import open_source, read_events, read_event_files
from chronolex.events.event import RESERVED_KEYS, AccountHistory, Event, EventSource, MemorySource
from chronolex.events.encoding import freeze_fields
from chronolex.events.store import EventStore, IngestResult, event_key
from tests.conftest import FIXTURES, HUABEI

EVENTS = FIXTURES / "events"
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
EXAMPLES = HUABEI / "examples" / "events.jsonl"


def snapshot(event: Event) -> tuple[object, ...]:
    """Everything an event holds, instants in UTC, values with their type and exact text (origin aside)."""
    return (event.account, event.at.astimezone(UTC).isoformat(), event.recorded_at.astimezone(UTC).isoformat(),
            event.type, event.id,
            tuple((k, type(v).__name__, str(v)) for k, v in event.fields.items()))


def histories(source: EventSource) -> dict[str, list[tuple[object, ...]]]:
    return {a: [snapshot(e) for e in source.history(a).events] for a in source.accounts()}


def everything(store: EventStore) -> dict[str, list[tuple[object, ...]]]:
    return histories(store)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db", create=True) as store:
        yield store


def event(account: str = "a", hour: int = 0, type_: str = "x", id_: str | None = None, **fields: object) -> Event:
    at = datetime(2026, 3, 1, hour, tzinfo=UTC)
    return Event(account, at, type_, at, freeze_fields(fields), id_)


# -- the same histories as the files ------------------------------------------------------


@pytest.mark.parametrize("paths", [[EXAMPLES], [EVENTS / "mixed.jsonl"], [EVENTS / "typed.csv", EVENTS / "mixed.jsonl"]],
                         ids=["huabei-examples", "mixed", "csv-and-jsonl"])
def test_store_histories_equal_the_files(db: EventStore, paths: list[Path]) -> None:
    db.ingest(read_event_files(paths, SHANGHAI))
    from_files = open_source(paths, SHANGHAI)
    assert list(db.accounts()) == list(from_files.accounts())
    assert everything(db) == histories(from_files)
    # these files hold no duplicates and no ties, so plain MemorySource over the records agrees too
    assert everything(db) == histories(MemorySource(read_event_files(paths, SHANGHAI)))
    assert db.count() == len(from_files)


def test_decimals_come_back_exact(db: EventStore) -> None:
    db.ingest(read_events(EVENTS / "mixed.jsonl", SHANGHAI))
    [loan] = [e for e in db.history("acct-1").events if e.type == "loan_disbursed"]
    assert {k: (type(v), str(v)) for k, v in loan.fields.items()} == {
        "amount": (Decimal, "1200.50"), "fee": (Decimal, "0.10"), "rate": (Decimal, "0.015")}
    [other] = [e for e in db.history("acct-3").events if e.type == "loan_disbursed"]
    assert str(other.fields["amount"]) == "-0.00" and other.fields["big"] == 123456789012345678901234567890
    assert type(other.fields["granted"]) is bool


def test_a_store_history_is_an_indexed_account_history(db: EventStore) -> None:
    db.ingest(read_events(EXAMPLES, SHANGHAI))
    history = db.history("acct-1001")
    assert isinstance(history, AccountHistory) and len(history) == 8
    assert [e.at for e in history.events] == sorted(e.at for e in history.events)
    assert db.history("nobody").events == ()
    plan = db._db.execute("EXPLAIN QUERY PLAN SELECT at FROM events WHERE account = ? ORDER BY at", ("a",)).fetchall()
    assert any("events_account_at" in str(row) for row in plan)


def test_accounts_are_sorted_and_distinct(db: EventStore) -> None:
    names = ["b", "a", "Z", "é", "a", "aa", "b", "10", "9", "𝔘"]
    db.ingest([event(name, hour) for hour, name in enumerate(names)])
    assert list(db.accounts()) == sorted(set(names))


def test_ties_come_back_in_the_same_order_as_from_files(tmp_path: Path, db: EventStore) -> None:
    lines = ['{"account": "a", "at": "2026-03-01", "type": "credit_score_updated", "score": %d}\n' % v
             for v in (640, 580, 700, 610)]
    file = tmp_path / "ties.jsonl"
    file.write_text("".join(lines), encoding="utf-8")
    db.ingest(read_events(file, SHANGHAI))
    assert everything(db) == histories(open_source([file], SHANGHAI))


# -- idempotency ---------------------------------------------------------------------------


def test_ingesting_twice_adds_nothing(db: EventStore) -> None:
    events = read_events(EXAMPLES, SHANGHAI)
    assert db.ingest(events) == IngestResult(added=54, duplicates=0)
    before = everything(db)
    second = db.ingest(events)
    assert second == IngestResult(added=0, duplicates=54) and second.total == 54
    assert db.count() == 54 and everything(db) == before


def test_the_same_event_in_two_files_is_stored_once(tmp_path: Path, db: EventStore) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"account": "a", "at": "2026-03-01T09:00:00+08:00", "type": "x", "amount": 1.10}\n'
        '{"account": "a", "at": "2026-03-02", "type": "x"}\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "account,at,type,amount\n"
        "a,2026-03-01T01:00:00Z,x,1.1\n"        # the same instant and the same number, written otherwise
        "a,2026-03-01T01:00:00Z,x,1\n"          # an int: not the same field value as the decimal 1.1
        "a,2026-03-03,x,\n", encoding="utf-8")
    assert db.ingest(read_events(tmp_path / "a.jsonl", SHANGHAI)) == IngestResult(2, 0)
    assert db.ingest(read_events(tmp_path / "b.csv", SHANGHAI)) == IngestResult(2, 1)
    assert db.count() == 4
    assert everything(db) == histories(open_source([tmp_path / "a.jsonl", tmp_path / "b.csv"], SHANGHAI))
    [kept] = [e for e in db.history("a").events if e.fields.get("amount") == Decimal("1.1")]
    assert str(kept.fields["amount"]) == "1.10"    # the first one stored is kept, digits and all


def test_events_with_an_id_are_deduplicated_by_id(db: EventStore) -> None:
    first = event("a", 1, "x", "evt-1", score=600)
    assert db.ingest([first, event("a", 5, "y", "evt-1", score=700), event("b", 1, "x", "evt-1")]) == IngestResult(1, 2)
    assert db.ingest([event("a", 1, "x", "evt-2", score=600)]) == IngestResult(1, 0)   # same content, new id
    assert [snapshot(e) for e in db.history("a").events][0] == snapshot(first)
    assert list(db.accounts()) == ["a"] and db.count() == 2


def test_event_key_compares_decimals_by_value_and_keeps_kinds_apart() -> None:
    assert event_key(event(v=Decimal("1.10"))) == event_key(event(v=Decimal("1.1")))
    assert event_key(event(v=Decimal("0.00"))) == event_key(event(v=Decimal("-0")))
    assert event_key(event(v=Decimal("1E+2"))) == event_key(event(v=Decimal("100")))
    assert event_key(event(v=Decimal("1.0"))) != event_key(event(v=1))
    assert event_key(event(v=True)) != event_key(event(v=1))
    assert event_key(event(v="1")) != event_key(event(v=1))
    assert event_key(event(v=None)) != event_key(event())
    assert event_key(event(id_="x")) == "id:x" != event_key(event())


# -- atomicity -----------------------------------------------------------------------------


def _failing_after(rows: int, error: BaseException) -> Callable[[Event], Any]:
    real = chronolex.events.store._row
    calls = 0

    def row(event: Event) -> Any:
        nonlocal calls
        calls += 1
        if calls > rows:
            raise error
        return real(event)

    return row


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_a_failure_in_the_middle_of_an_ingest_leaves_the_store_as_it_was(
    monkeypatch: pytest.MonkeyPatch, db: EventStore, error: BaseException
) -> None:
    events = read_events(EXAMPLES, SHANGHAI)
    db.ingest(events[:20])
    before = everything(db)
    monkeypatch.setattr(chronolex.events.store, "_row", _failing_after(5, error))
    with pytest.raises(type(error)):
        db.ingest(events[10:])              # ten known events, then new ones: five rows go in before the failure
    assert db.count() == 20 and everything(db) == before
    monkeypatch.undo()
    assert db.ingest(events[10:]) == IngestResult(added=34, duplicates=10)   # and the store still works


def test_a_failed_first_ingest_leaves_no_store_that_answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(chronolex.events.store, "_row", _failing_after(3, RuntimeError("boom")))
    with EventStore(tmp_path / "events.db", create=True) as store, pytest.raises(RuntimeError):
        store.ingest(read_events(EXAMPLES, SHANGHAI))
    assert "first ingest has not finished or was interrupted" in _not_a_store(tmp_path / "events.db")
    monkeypatch.undo()
    with EventStore(tmp_path / "events.db", create=True) as store:   # and the next ingest makes the store
        assert store.ingest(read_events(EXAMPLES, SHANGHAI)).added == 54


def test_tables_are_made_in_the_transaction_of_the_first_ingest(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with EventStore(path, create=True) as store:
        assert store.count() == 0 and list(store.accounts()) == []      # nothing yet, and nothing on disk
        if path.exists():
            assert "without chronolex tables" in _not_a_store(path)
        store.ingest([])
    with EventStore(path) as store:     # an ingest of no events still makes a (complete, empty) store
        assert store.count() == 0


def test_the_failure_is_visible_from_another_connection_only_as_nothing(
    monkeypatch: pytest.MonkeyPatch, db: EventStore
) -> None:
    db.ingest([event()])
    monkeypatch.setattr(chronolex.events.store, "_row", _failing_after(3, RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        db.ingest(read_events(EXAMPLES, SHANGHAI))
    with sqlite3.connect(db.path) as other:
        assert other.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)


@pytest.mark.parametrize("bad", [
    Event("a", datetime(2026, 3, 1), "x", datetime(2026, 3, 1)),                                     # naive instant
    Event("a", datetime(2026, 3, 1, tzinfo=UTC), "x", datetime(2026, 3, 1, tzinfo=UTC), {"v": [1]}),  # not a scalar
    Event("a", datetime(2026, 3, 1, tzinfo=UTC), "x", datetime(2026, 3, 1, tzinfo=UTC), {"v": Decimal("NaN")}),
    Event("a", datetime(2026, 3, 1, tzinfo=UTC), "x", datetime(2026, 3, 1, tzinfo=UTC), {"v": float("inf")}),
    Event("a\ud800", datetime(2026, 3, 1, tzinfo=UTC), "x", datetime(2026, 3, 1, tzinfo=UTC)),       # not UTF-8
], ids=["naive", "list", "nan", "inf", "surrogate"])
def test_an_event_the_store_cannot_hold_is_a_store_error_and_nothing_is_added(db: EventStore, bad: Event) -> None:
    db.ingest([event("a", 1)])
    with pytest.raises(ChronolexError) as caught:
        db.ingest([event("a", 2), event("a", 3), bad])
    assert caught.value.diagnostics[0].code == "store-error"
    assert db.count() == 1


# -- what is and is not a store -------------------------------------------------------------


def _not_a_store(path: Path, create: bool = False) -> str:
    with pytest.raises(ChronolexError) as caught:
        EventStore(path, create=create)
    [problem] = caught.value.diagnostics
    assert problem.code == "store-error"
    return problem.message


@pytest.mark.parametrize("create", [False, True])
def test_a_text_file_is_not_a_store_and_is_left_alone(tmp_path: Path, create: bool) -> None:
    text = tmp_path / "events.jsonl"
    text.write_text('{"account": "a", "at": "2026-03-01", "type": "x"}\n' * 100, encoding="utf-8")
    before = text.read_bytes()
    assert "not a chronolex event store (not an SQLite database)" in _not_a_store(text, create)
    assert text.read_bytes() == before


@pytest.mark.parametrize("create", [False, True])
def test_another_sqlite_database_is_not_a_store(tmp_path: Path, create: bool) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    assert "an SQLite database without chronolex tables" in _not_a_store(other, create)
    with sqlite3.connect(other) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["customers"]


def test_someone_elses_meta_table_is_not_ours(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.execute("INSERT INTO meta VALUES ('application', 'something-else')")
    assert "someone else's" in _not_a_store(other, create=True)


def test_a_store_of_another_layout_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with EventStore(path, create=True) as store:
        store.ingest([])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    assert "layout version 99" in _not_a_store(path)


def test_a_missing_store_is_an_error_unless_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert "no such file" in _not_a_store(missing)
    assert not missing.exists()
    with EventStore(missing, create=True) as store:
        assert store.count() == 0
        store.ingest([])
    with EventStore(missing) as store:     # and once an ingest committed, it opens for reading
        assert list(store.accounts()) == []


def test_an_empty_file_becomes_a_store_when_created(tmp_path: Path) -> None:
    empty = tmp_path / "events.db"
    empty.touch()
    assert "without chronolex tables" in _not_a_store(empty)
    with EventStore(empty, create=True) as store:
        assert store.ingest([event()]) == IngestResult(1, 0)


def test_a_path_with_uri_characters_is_a_plain_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my events?mode=ro#1%20.db"
    with EventStore(path, create=True) as store:
        store.ingest([event()])
    assert path.is_file()
    with EventStore(path) as store:
        assert store.count() == 1


def test_a_file_name_that_is_not_utf8_opens_the_file_it_names(tmp_path: Path) -> None:
    name = os.fsdecode(b"events-\xff.db")    # Python keeps the byte as a lone surrogate
    try:
        (tmp_path / name).touch()
        (tmp_path / name).unlink()
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 names")
    with EventStore(tmp_path / name, create=True) as store:
        store.ingest([event()])
    assert os.listdir(os.fsencode(tmp_path)) == [b"events-\xff.db"]
    with EventStore(tmp_path / name) as store:
        assert store.count() == 1


def test_a_damaged_row_is_a_store_error(db: EventStore) -> None:
    db.ingest([event("a", 1, v=Decimal("1.5"))])
    db._db.execute("UPDATE events SET fields = '{\"v\":{\"$decimal\":\"abc\"}}'")
    with pytest.raises(ChronolexError) as caught:
        db.history("a")
    assert caught.value.diagnostics[0].code == "store-error" and "damaged" in caught.value.diagnostics[0].message


def test_a_field_named_like_the_decimal_tag_round_trips(db: EventStore) -> None:
    tagged: list[dict[str, object]] = [{"$decimal": "12"}, {"$decimal": Decimal("12")}, {"$decimal": "x", "v": None}]
    stored = [replace(event("a", hour), fields=freeze_fields(fields)) for hour, fields in enumerate(tagged)]
    db.ingest(stored)
    assert [snapshot(e) for e in db.history("a").events] == [snapshot(e) for e in stored]


# -- properties ------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=8)   # any text SQLite can hold: no lone surrogates
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZONES = (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Shanghai"), timezone(timedelta(hours=-3, minutes=-30)))
# instants from 1900 to 2100 to the microsecond, in any zone (the store gives them back in UTC)
_instants = st.builds(lambda us, zone: (_EPOCH + timedelta(microseconds=us)).astimezone(zone),
                      st.integers(min_value=-(70 * 366 * 86400 * 10**6), max_value=130 * 366 * 86400 * 10**6),
                      st.sampled_from(_ZONES))
_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), _text,
    st.decimals(allow_nan=False, allow_infinity=False),
)


_lateness = st.sampled_from([0, 0, 1, 86400 * 400]) | st.integers(0, 10**7)
_accounts = st.sampled_from(["a", "b", "acct-1001"]) | _text.filter(bool)
_types = st.sampled_from(["x", "y", "credit_score_updated", "a_1"])
_fields = st.dictionaries(_text.filter(lambda k: k not in RESERVED_KEYS), _values, max_size=4).map(freeze_fields)
_ids = st.none() | st.just("e-1") | _text.filter(bool)


@st.composite
def _events(draw: st.DrawFn) -> Event:
    at = draw(_instants)
    return Event(draw(_accounts), at, draw(_types), at + timedelta(seconds=draw(_lateness)), draw(_fields), draw(_ids))


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    """One store for every example of a property: each example works in accounts and ids of its own."""
    with EventStore(tmp_path_factory.mktemp("property") / "events.db", create=True) as store:
        yield store


_example_numbers = itertools.count()


@settings(max_examples=30)
@given(events=st.lists(_events(), max_size=12))
def test_random_events_round_trip_through_the_store_unchanged(shared_store: EventStore, events: list[Event]) -> None:
    prefix = f"{next(_example_numbers)}/"
    events = [replace(e, account=prefix + e.account, id=e.id and prefix + e.id) for e in events]
    unique: dict[str, Event] = {}
    for e in events:
        unique.setdefault(event_key(e), e)
    # the file side: first of each key kept, ties in key order (what open_source does)
    expected = MemorySource(e for _, e in sorted(unique.items(), key=lambda item: item[0]))
    result = shared_store.ingest(events)
    assert (result.added, result.duplicates) == (len(unique), len(events) - len(unique))
    accounts = [a for a in shared_store.accounts() if a.startswith(prefix)]
    assert accounts == sorted({e.account for e in unique.values()}) == list(expected.accounts())
    assert {a: [snapshot(e) for e in shared_store.history(a).events] for a in accounts} == histories(expected)
    assert all(e.at.utcoffset() == e.recorded_at.utcoffset() == timedelta(0)
               for a in accounts for e in shared_store.history(a).events)
    assert shared_store.ingest(reversed(events)).added == 0


@settings(max_examples=200)
@given(e=_events())
def test_the_rows_ingest_writes_have_the_keys_and_text_of_the_one_rule(e: Event) -> None:
    """Ingest encodes a row in one pass (the fields' text reused inside the content key);
    it must give the key ``event_key`` gives and the text ``encode_fields`` writes."""
    from chronolex.events.encoding import encode_fields, encode_instant, stored_text
    assert stored_text(e.account, encode_instant(e.at), e.type, encode_instant(e.recorded_at), e.fields, e.id) == (
        event_key(e), encode_fields(e.fields))


def test_the_account_index_built_after_the_first_rows_serves_history(tmp_path: Path) -> None:
    events = read_events(EXAMPLES, SHANGHAI)
    path = tmp_path / "events.db"
    with EventStore(path, create=True) as store:
        store.ingest(events[:30])       # a new store: the index is made after its rows
        store.ingest(events[20:])       # a store with rows: the index is kept up row by row
        expected = open_source([EXAMPLES], SHANGHAI)
        assert everything(store) == histories(expected)
    with sqlite3.connect(path) as connection:
        plan = " ".join(str(row) for row in connection.execute(
            "EXPLAIN QUERY PLAN SELECT at FROM events WHERE account = 'a' ORDER BY at, key"))
        assert "events_account_at" in plan
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
