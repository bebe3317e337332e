"""The decision log's file: appends, reading back, filters, reopening, and what it refuses."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from chronolex import ChronolexError, DecisionLog
from chronolex.log.record import GENESIS, canonical_json, chain_hash, decision_id
from tests.helpers.decisions import entry


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "decisions.db"


def test_append_returns_records_chained_from_genesis_and_reads_them_back(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        first, second = log.append([entry(0), entry(1)])
        (third,) = log.append([entry(2)])
        assert [first.seq, second.seq, third.seq] == [1, 2, 3]
        assert first.prev_hash == GENESIS and second.prev_hash == first.hash and third.prev_hash == second.hash
        assert first.hash == chain_hash(GENESIS, 1, entry(0))
        assert first.decision_id == decision_id(first.hash) and len(first.decision_id) == 32
        assert list(log.records()) == [first, second, third]
        assert log.count() == 3 and log.size_bytes() > 0


def test_the_hash_is_sha256_over_prev_hash_and_the_canonical_json(path: Path) -> None:
    import hashlib

    with DecisionLog(path, create=True) as log:
        (record,) = log.append([entry()])
    text = canonical_json({"seq": 1, **{k: v for k, v in record.document().items()
                                         if k not in ("decision_id", "seq", "prev_hash", "hash")}})
    assert '"occupation":"教师"' in text and ", " not in text
    assert record.hash == hashlib.sha256((GENESIS + text).encode("utf-8")).hexdigest()


def test_the_same_decisions_give_the_same_ids_in_another_log(tmp_path: Path) -> None:
    ids = []
    for name in ("a.db", "b.db"):
        with DecisionLog(tmp_path / name, create=True) as log:
            ids.append([r.decision_id for r in log.append([entry(0), entry(1)])])
    assert ids[0] == ids[1] and ids[0][0] != ids[0][1]


def test_document_keys_come_in_a_fixed_order(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        (record,) = log.append([entry()])
    document = record.document()
    assert list(document) == ["decision_id", "seq", "at", "received_at", "known_at", "account", "action", "bundle",
                              "version", "facts", "facts_given", "decision", "blocked_by", "rules", "prev_hash",
                              "hash"]
    assert list(document["facts"]) == sorted(document["facts"])
    assert document["blocked_by"] == ["platform"] and document["facts"]["birth_date"] is None


def test_records_filter_by_account_half_open_time_and_seq(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        log.append([entry(0, at="2026-03-16T09:00:00+08:00"), entry(1, account="acct-1002"),
                    entry(2, at="2026-03-16T10:00:00+08:00"), entry(3, at="2026-03-16T11:00:00+08:00")])
        seqs = lambda **kw: [r.seq for r in log.records(**kw)]  # noqa: E731
        assert seqs(account="acct-1001") == [1, 3, 4]
        # the same instant written with another offset: start is included, end is not
        assert seqs(account="acct-1001", start="2026-03-16T02:00:00+00:00", end="2026-03-16T11:00:00+08:00") == [3]
        assert seqs(start=datetime(2026, 3, 16, 1, 0, tzinfo=timezone.utc)) == [1, 2, 3, 4]
        assert seqs(end="2026-03-16T01:00:00Z") == []
        assert seqs(since_seq=3) == [3, 4]
        with pytest.raises(ChronolexError, match="no UTC offset"):
            list(log.records(start="2026-03-16T10:00"))


def test_reading_pages_through_a_long_log_while_appending(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        log.append([entry(n) for n in range(1100)])
        seen = []
        for record in log.records(since_seq=2):
            seen.append(record.seq)
            if record.seq == 600:
                log.append([entry(7)])
        assert seen == list(range(2, 1102))


def test_appends_from_threads_are_serialised_into_one_chain(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        def work(worker: int) -> None:
            for n in range(10):
                log.append([entry(worker * 100 + n), entry(worker * 100 + n, account="acct-1002")])

        checks: list[bool] = []

        def check() -> None:
            for _ in range(5):
                checks.append(log.verify().ok)  # a snapshot: appends meanwhile are not damage

        threads = [threading.Thread(target=work, args=(w,)) for w in range(6)] + [threading.Thread(target=check)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert checks == [True] * 5
        records = list(log.records())
        assert [r.seq for r in records] == list(range(1, 121))
        pairs = {(records[i].entry.facts["credit_score"], records[i + 1].entry.facts["credit_score"])
                 for i in range(0, 120, 2)}
        assert all(a == b for a, b in pairs)  # one call's decisions stay together
        assert log.verify().ok and log.verify().records == 120


def test_a_log_reopened_after_close_goes_on_with_its_chain(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        (first,) = log.append([entry(0)])
    with DecisionLog(path) as log:
        (second,) = log.append([entry(1)])
        assert second.seq == 2 and second.prev_hash == first.hash
        assert log.verify().ok and log.verify().head_hash == second.hash
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_writers_of_one_log_go_on_from_each_others_records(path: Path) -> None:
    # each keeps the head it left; an append finds it moved on and follows the other's records
    with DecisionLog(path, create=True) as first, DecisionLog(path) as second:
        written = []
        for number in range(12):
            writer = first if number % 3 else second
            written += writer.append([entry(number), entry(number + 100)])
        assert [r.seq for r in written] == list(range(1, 25))
        assert all(r.prev_hash == before.hash for before, r in zip(written, written[1:]))
        assert first.verify().ok and second.verify().records == 24
        assert [r.hash for r in first.records()] == [r.hash for r in written]


def test_a_refused_or_rolled_back_append_leaves_the_chain_whole(path: Path) -> None:
    with DecisionLog(path, create=True) as log, DecisionLog(path) as other:
        log.append([entry(0)])
        with pytest.raises(ChronolexError):
            log.append([entry(1), entry(2, decision="maybe")])
        other.append([entry(3)])  # the head moves on meanwhile
        (record,) = log.append([entry(4)])
        assert record.seq == 3 and log.verify().ok
        assert [r.entry.facts["credit_score"] for r in log.records()] == [580, 583, 584]


def test_a_bad_decision_is_refused_and_nothing_of_its_call_is_written(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        bad = [entry(0), entry(1, at="2026-03-16T10:00:00")]
        with pytest.raises(ChronolexError, match="decision 2 of 2: at .* has no UTC offset"):
            log.append(bad)
        with pytest.raises(ChronolexError, match="Out of range float|JSON|not JSON serializable"):
            from dataclasses import replace
            log.append([replace(entry(0), facts={"score": float("nan")})])
        with pytest.raises(ChronolexError, match="decision 'maybe'"):
            log.append([entry(0, decision="maybe")])
        assert log.count() == 0 and list(log.records()) == []


def test_records_cannot_be_changed_or_deleted_through_sqlite(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        log.append([entry(0), entry(1)])
    with sqlite3.connect(path) as db:
        for statement in ("UPDATE decisions SET decision = 'allowed'", "DELETE FROM decisions WHERE seq = 2",
                          "DELETE FROM head", "UPDATE head SET count = 1"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)


def test_what_is_not_a_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChronolexError, match="no decision log here"):
        DecisionLog(tmp_path / "missing.db")
    text = tmp_path / "decisions.jsonl"
    text.write_text('{"account": "acct-1001"}\n')
    with pytest.raises(ChronolexError, match="not a chronolex decision log .not an SQLite database"):
        DecisionLog(text)
    with pytest.raises(ChronolexError, match="not a chronolex decision log"):
        DecisionLog(text, create=True)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE events (key TEXT)")
    with pytest.raises(ChronolexError, match="not a chronolex decision log .an event store"):
        DecisionLog(other)
    with pytest.raises(ChronolexError, match="not a regular file"):
        DecisionLog(tmp_path)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(ChronolexError, match="an empty file"):
        DecisionLog(empty)
    with DecisionLog(empty, create=True) as log:  # an empty file is where a new log may start
        assert log.count() == 0 and log.verify().ok


def test_a_log_locked_by_another_writer_is_waited_for_then_refused(path: Path) -> None:
    with DecisionLog(path, create=True) as log:
        log.append([entry(0)])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with DecisionLog(path, wait=0.05) as log:
            assert log.count() == 1  # readers are not held up by a writer (WAL)
            with pytest.raises(ChronolexError, match=r"locked by another process \(waited 0.05 s"):
                log.append([entry(1)])
            other.execute("ROLLBACK")
            assert log.append([entry(1)])[0].seq == 2
    finally:
        other.close()


_HOURS = [f"2026-03-16T{h:02d}:00:00+08:00" for h in range(0, 24, 3)]


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log of decisions every three hours for two accounts, written with two offsets."""
    path = tmp_path_factory.mktemp("spread") / "decisions.db"
    with DecisionLog(path, create=True) as log:
        log.append([entry(n, account=f"acct-100{n % 2}", at=at) for n, at in enumerate(_HOURS)])
        log.append([entry(9, at="2026-03-16T03:00:00+00:00")])  # 11:00 in Shanghai
    return path


@settings(max_examples=30)
@given(start=st.none() | st.integers(-1, 25), end=st.none() | st.integers(-1, 25),
       account=st.none() | st.sampled_from(["acct-1000", "acct-1001"]), since=st.none() | st.integers(1, 10))
def test_records_are_the_half_open_range_in_log_order(spread: Path, start: int | None, end: int | None,
                                                       account: str | None, since: int | None) -> None:
    def instant(hour: int) -> datetime:
        return datetime(2026, 3, 15, 16, tzinfo=timezone.utc) + timedelta(hours=hour)

    with DecisionLog(spread) as log:
        every = list(log.records())
        found = list(log.records(account=account, since_seq=since,
                                 start=instant(start) if start is not None else None,
                                 end=instant(end).isoformat() if end is not None else None))
    expected = [r for r in every
                if (account is None or r.entry.account == account) and (since is None or r.seq >= since)
                and (start is None or datetime.fromisoformat(r.entry.at) >= instant(start))
                and (end is None or datetime.fromisoformat(r.entry.at) < instant(end))]
    assert found == expected
