"""Tamper evidence: any single changed, deleted, inserted or reordered record is found, and
the first break is named where the damage is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from chronolex import DecisionLog
from chronolex.log.record import chain_hash, decision_id
from chronolex.log.store import _row
from tests.helpers.decisions import entry, raw

SIZE = 6
COLUMNS = ["at", "received_at", "account", "action", "bundle", "version", "facts", "facts_given", "decision",
           "blocked_by", "rules", "prev_hash", "hash", "decision_id"]
CHANGED = {"at": "2026-03-16T10:00:01+08:00", "received_at": "2026-03-16T10:00:09+08:00",
           "account": "acct-9999", "action": "borrow", "bundle": "other", "version": "2026.06",
           "facts": '{"credit_score":650}', "facts_given": 1, "decision": "allowed", "blocked_by": "[]",
           "rules": "[]", "prev_hash": "1" * 64, "hash": "2" * 64, "decision_id": "3" * 32}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole log of SIZE records, checkpointed into one file that each test copies."""
    path = tmp_path_factory.mktemp("chain") / "decisions.db"
    with DecisionLog(path, create=True) as log:
        log.append([entry(n) for n in range(SIZE)])
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def damaged(pristine: Path, tmp_path: Path, name: str) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / f"{name}.db"
    path.write_bytes(pristine.read_bytes())
    return path, raw(path)


def first_break(path: Path) -> tuple[int, str] | None:
    with DecisionLog(path) as log:
        result = log.verify()
    assert result.ok == (result.first_break is None)
    return result.first_break


def forged(db: sqlite3.Connection, seq: int, prev_hash: str, n: int) -> tuple[object, ...]:
    """A record for ``seq`` whose own hash is right: the work of someone who knows the format."""
    return _row(seq, prev_hash, entry(100 + n))[1]


def insert(db: sqlite3.Connection, row: tuple[object, ...]) -> None:
    db.execute("INSERT INTO decisions (seq, decision_id, at, at_utc, received_at, known_at, account, action, bundle,"
               " version, facts, facts_given, decision, blocked_by, rules, prev_hash, hash)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def hash_of(db: sqlite3.Connection, seq: int) -> str:
    return str(db.execute("SELECT hash FROM decisions WHERE seq = ?", (seq,)).fetchone()[0])


def test_the_pristine_log_verifies(pristine: Path, tmp_path: Path) -> None:
    path = tmp_path / "whole.db"
    path.write_bytes(pristine.read_bytes())
    with DecisionLog(path) as log:
        result = log.verify()
    assert result.ok and result.records == SIZE and result.head_hash == list(DecisionLog(path).records())[-1].hash


@settings(max_examples=25)
@given(seq=st.integers(1, SIZE), column=st.sampled_from(COLUMNS))
def test_a_changed_record_is_found_where_it_is(pristine: Path, tmp_path_factory: pytest.TempPathFactory,
                                                seq: int, column: str) -> None:
    path, db = damaged(pristine, tmp_path_factory.mktemp("changed"), "changed")
    db.execute(f"UPDATE decisions SET {column} = ? WHERE seq = ?", (CHANGED[column], seq))
    db.close()
    found = first_break(path)
    # a changed hash is found at its record unless it is the last (then the head no longer matches)
    assert found is not None and found[0] == seq, found


@settings(max_examples=12)
@given(seq=st.integers(1, SIZE), renumber=st.booleans())
def test_a_deleted_record_is_found_where_it_was(pristine: Path, tmp_path_factory: pytest.TempPathFactory,
                                                seq: int, renumber: bool) -> None:
    path, db = damaged(pristine, tmp_path_factory.mktemp("deleted"), "deleted")
    db.execute("DELETE FROM decisions WHERE seq = ?", (seq,))
    if renumber:  # close the gap, as a careful forger would
        db.execute("UPDATE decisions SET seq = seq - 1 WHERE seq > ?", (seq,))
    db.close()
    found = first_break(path)
    assert found is not None and found[0] == seq, found
    assert "missing" in found[1] or "does not follow" in found[1]


@settings(max_examples=12)
@given(seq=st.integers(1, SIZE + 1))
def test_an_inserted_record_is_found_at_the_link_it_breaks(pristine: Path, tmp_path_factory: pytest.TempPathFactory,
                                                           seq: int) -> None:
    path, db = damaged(pristine, tmp_path_factory.mktemp("inserted"), "inserted")
    prev = hash_of(db, seq - 1) if seq > 1 else "0" * 64
    for later in range(SIZE, seq - 1, -1):  # make room, from the end so that seq stays unique
        db.execute("UPDATE decisions SET seq = ? WHERE seq = ?", (later + 1, later))
    insert(db, forged(db, seq, prev, seq))
    db.close()
    found = first_break(path)
    # the forged record links to the one before it, so the break is the record after it
    # (or, at the end, the head that does not count it)
    assert found is not None and found[0] == (seq + 1 if seq <= SIZE else seq), found


@settings(max_examples=12)
@given(pair=st.tuples(st.integers(1, SIZE), st.integers(1, SIZE)).filter(lambda p: p[0] != p[1]))
def test_reordered_records_are_found_at_the_first_moved(pristine: Path, tmp_path_factory: pytest.TempPathFactory,
                                                         pair: tuple[int, int]) -> None:
    path, db = damaged(pristine, tmp_path_factory.mktemp("swapped"), "swapped")
    a, b = pair
    db.execute("UPDATE decisions SET seq = -1 WHERE seq = ?", (a,))
    db.execute("UPDATE decisions SET seq = ? WHERE seq = ?", (a, b))
    db.execute("UPDATE decisions SET seq = ? WHERE seq = -1", (b,))
    db.close()
    found = first_break(path)
    assert found is not None and found[0] == min(a, b), found


def test_a_deleted_tail_is_found_by_the_head(pristine: Path, tmp_path: Path) -> None:
    path, db = damaged(pristine, tmp_path, "tail")
    db.execute("DELETE FROM decisions WHERE seq > 4")
    db.close()
    assert first_break(path) == (5, "the log ends early: its head counts 6 records, so the last 2 are missing "
                                    "(deleted)")


def test_a_record_appended_behind_the_heads_back_is_found(pristine: Path, tmp_path: Path) -> None:
    path, db = damaged(pristine, tmp_path, "extra")
    insert(db, forged(db, SIZE + 1, hash_of(db, SIZE), 0))
    db.close()
    found = first_break(path)
    assert found is not None and found[0] == SIZE + 1 and "not counted by the log's head" in found[1]


def test_a_rewrite_with_every_hash_and_the_head_recomputed_is_not_found(pristine: Path, tmp_path: Path) -> None:
    """What the chain cannot prove (docs/decision-log.md): only a head hash kept elsewhere shows this."""
    path, db = damaged(pristine, tmp_path, "rewritten")
    before = db.execute("SELECT last_hash FROM head").fetchone()[0]
    db.execute("DELETE FROM decisions WHERE seq = ?", (SIZE,))
    record, row = _row(SIZE, hash_of(db, SIZE - 1), entry(0, decision="allowed"))
    insert(db, row)
    db.execute("UPDATE head SET last_hash = ?", (record.hash,))
    db.close()
    with DecisionLog(path) as log:
        result = log.verify()
    assert result.ok and result.head_hash != before
    assert record.decision_id == decision_id(chain_hash(record.prev_hash, SIZE, record.entry))
