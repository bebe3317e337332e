"""The decision log's file: SQLite in WAL mode with ``synchronous=FULL``.

Layout (``meta.schema_version`` = 1)::

    meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)      -- application, schema_version
    decisions(seq INTEGER PRIMARY KEY, decision_id TEXT NOT NULL UNIQUE,
              at TEXT, at_utc TEXT, received_at TEXT, known_at TEXT, account TEXT,
              action TEXT, bundle TEXT, version TEXT, facts TEXT, facts_given INTEGER,
              decision TEXT, blocked_by TEXT, rules TEXT, prev_hash TEXT, hash TEXT)
    head(id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER, last_hash TEXT)
    INDEX decisions_account ON decisions(account, seq)

- Instants are kept as given (ISO 8601 with the offset the service wrote), and
  ``at_utc`` is ``at`` in fixed-width UTC, so that a range of ``at`` is a text range.
  ``at_utc`` is derived, so it is not hashed, but :meth:`DecisionLog.verify` checks it.
- ``facts``, ``blocked_by`` and ``rules`` are canonical JSON (:func:`canonical_json`).
- ``head`` holds the number of records and the last hash, updated in the transaction
  of every append: a log whose last records were deleted no longer matches its head.
- Triggers refuse UPDATE and DELETE of a record, and a head that goes back. They
  keep honest software from damaging the log by mistake; they prove nothing, since
  whoever can write the file can drop them. :meth:`DecisionLog.verify` is what finds
  damage.

Every SQLite error is turned into a :class:`ChronolexError` with code ``log-error``
that names its cause; a log locked by another process is waited for, at most
``wait`` seconds, and then refused with an error that says so. Processes that write one
log take turns on a lock file beside it (:mod:`chronolex.log.turn`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chronolex.errors import ChronolexError
from chronolex.log.record import (
    DECISIONS,
    GENESIS,
    DecisionRecord,
    NewDecision,
    canonical_json,
    chain_hash,
    decision_id,
)
from chronolex.log.turn import WriteTurn

__all__ = ["DEFAULT_WAIT", "SCHEMA_VERSION", "DecisionLog", "LogVerification", "is_decision_log_file"]

SCHEMA_VERSION = "1"
_APPLICATION = "chronolex-decisions"
CODE = "log-error"
#: How long an append (or opening a new log) waits for another process's write, in seconds.
DEFAULT_WAIT = 10.0
_LONGEST_WAIT = 86_400.0
#: Records read per query by :meth:`DecisionLog.records` (the lock is free between pages).
_PAGE = 512
_SQLITE_HEADER = b"SQLite format 3\x00"

_COLUMNS = ("seq, decision_id, at, received_at, known_at, account, action, bundle, version, facts, "
            "facts_given, decision, blocked_by, rules, prev_hash, hash")
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE decisions (seq INTEGER PRIMARY KEY, decision_id TEXT NOT NULL UNIQUE,"
    " at TEXT NOT NULL, at_utc TEXT NOT NULL, received_at TEXT NOT NULL, known_at TEXT,"
    " account TEXT NOT NULL, action TEXT NOT NULL, bundle TEXT NOT NULL, version TEXT,"
    " facts TEXT NOT NULL, facts_given INTEGER NOT NULL, decision TEXT NOT NULL,"
    " blocked_by TEXT NOT NULL, rules TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX decisions_account ON decisions (account, seq)",
    "CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL,"
    " last_hash TEXT NOT NULL)",
    "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions"
    " BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: records cannot be changed'); END",
    "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions"
    " BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: records cannot be deleted'); END",
    "CREATE TRIGGER head_no_delete BEFORE DELETE ON head"
    " BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: its head cannot be deleted'); END",
    "CREATE TRIGGER head_no_rewind BEFORE UPDATE ON head WHEN NEW.count < OLD.count"
    " BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: its head cannot go back'); END",
    f"INSERT INTO meta (key, value) VALUES ('application', '{_APPLICATION}'),"
    f" ('schema_version', '{SCHEMA_VERSION}')",
    f"INSERT INTO head (id, count, last_hash) VALUES (1, 0, '{GENESIS}')",
)


@dataclass(frozen=True)
class LogVerification:
    """What :meth:`DecisionLog.verify` found: ``ok`` when the chain is whole."""

    ok: bool
    records: int
    #: The first broken place: (seq, what is wrong), None when ok.
    first_break: tuple[int, str] | None = None
    #: The hash of the last record (64 zeros for an empty log): keep it elsewhere to
    #: prove later that the log was not rewritten from this point back.
    head_hash: str = GENESIS


def is_decision_log_file(path: str | Path) -> bool:
    """Whether ``path`` is an SQLite file (a decision log, if anything chronolex reads).

    ``diff --decision-log`` takes a JSON Lines log or this one; the first 16 bytes tell.
    """
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def _busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(exc)


def _utc_text(text: str, name: str) -> str:
    """``text``, an ISO 8601 instant with an offset, as fixed-width UTC text; ValueError if not one."""
    try:
        instant = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} {text!r} is not an ISO 8601 instant ({exc})") from None
    if instant.tzinfo is None:
        raise ValueError(f"{name} {text!r} has no UTC offset (a logged instant must say which one)")
    try:
        return instant.astimezone(timezone.utc).isoformat(timespec="microseconds")
    except OverflowError:
        raise ValueError(f"{name} {text!r} is outside the years chronolex supports") from None


def _bound(value: str | datetime | None, name: str) -> str | None:
    """A ``records`` bound as fixed-width UTC text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ChronolexError.single(CODE, f"{name} {value.isoformat()} has no timezone",
                                        None, "pass a timezone-aware instant")
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    try:
        return _utc_text(value, name)
    except ValueError as exc:
        raise ChronolexError.single(CODE, str(exc), None,
                                    'write e.g. "2026-03-16T10:00:00+08:00"') from None


def _row(seq: int, prev_hash: str, entry: NewDecision) -> tuple[DecisionRecord, tuple[Any, ...]]:
    """The record ``entry`` becomes at ``seq``, and its row; ValueError if it cannot be logged."""
    for name in ("account", "action", "bundle", "decision"):
        value = getattr(entry, name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    if entry.decision not in DECISIONS:
        raise ValueError(f"decision {entry.decision!r} is not one of {', '.join(DECISIONS)}")
    if entry.version is not None and not isinstance(entry.version, str):
        raise ValueError(f"version must be a string or None, not {entry.version!r}")
    if not isinstance(entry.facts_given, bool):
        raise ValueError(f"facts_given must be True or False, not {entry.facts_given!r}")
    if not isinstance(entry.facts, Mapping) or not all(isinstance(k, str) for k in entry.facts):
        raise ValueError("facts must be a mapping of fact name to JSON value")
    for name in ("blocked_by", "rules"):
        values = getattr(entry, name)
        if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{name} must be a tuple of strings, not {values!r}")
    at_utc = _utc_text(entry.at, "at")
    _utc_text(entry.received_at, "received_at")
    if entry.known_at is not None:
        _utc_text(entry.known_at, "known_at")
    facts = canonical_json(dict(entry.facts))
    hash_ = chain_hash(prev_hash, seq, entry)
    record = DecisionRecord(decision_id(hash_), seq, entry, prev_hash, hash_)
    row = (seq, record.decision_id, entry.at, at_utc, entry.received_at, entry.known_at, entry.account,
           entry.action, entry.bundle, entry.version, facts, int(entry.facts_given), entry.decision,
           canonical_json(list(entry.blocked_by)), canonical_json(list(entry.rules)), prev_hash, hash_)
    return record, row


def _record(row: Sequence[Any]) -> DecisionRecord:
    """A stored row back as a record (no check: :meth:`DecisionLog.verify` checks)."""
    (seq, id_, at, received_at, known_at, account, action, bundle, version, facts, facts_given, decision,
     blocked_by, rules, prev_hash, hash_) = row
    entry = NewDecision(at, received_at, known_at, account, action, bundle, version, json.loads(facts),
                        bool(facts_given), decision, tuple(json.loads(blocked_by)), tuple(json.loads(rules)))
    return DecisionRecord(id_, seq, entry, prev_hash, hash_)


class DecisionLog:
    """An append-only log of decisions in one SQLite file.

    Safe to share between threads of one process (appends are serialised), and between
    processes: their appends take turns on SQLite's write lock, and each reads the head
    inside its own write transaction, so the chain stays one line. :meth:`append` commits (and, by ``synchronous=FULL``, reaches the
    disk) before it returns, so a decision whose response was sent is in the log.

    ``create=True`` makes a new log when ``path`` does not hold one yet (a missing or
    empty file); otherwise a missing file, or a file that is not a decision log, is a
    :class:`ChronolexError`. ``wait`` bounds, in seconds, how long a write waits for
    another process that holds the log's lock.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "decisions.db")
    >>> entry = NewDecision("2026-03-16T10:00:00+08:00", "2026-03-16T10:00:00.004+08:00", None,
    ...                     "acct-1001", "open", "huabei", "2026.03", {"credit_score": 580}, False,
    ...                     "blocked", ("platform",), ("PLAT-SCORE-FLOOR",))
    >>> with DecisionLog(path, create=True) as log:
    ...     [record.seq for record in log.append([entry, entry])], log.verify().ok
    ([1, 2], True)
    """

    def __init__(self, path: str | Path, *, create: bool = False, wait: float = DEFAULT_WAIT) -> None:
        self.path = Path(path)
        self._name = str(path)
        self._wait = min(float(wait), _LONGEST_WAIT) if float(wait) > 0 else 0.0
        self._lock = threading.Lock()
        self._turn = WriteTurn(self.path)
        #: (count, last hash) after this process's last commit: the head, unless another
        #: process appended since (checked in the append's own transaction).
        self._head: tuple[int, str] | None = None
        self._refuse_what_is_not_a_file()
        if not create and not self.path.exists():
            raise ChronolexError.single(CODE, f"{self._name}: no decision log here (no such file)", None,
                                        "pass the file 'chronolex serve --log' writes")
        self._uri = "file:" + quote(os.fsencode(self.path.absolute())) + "?mode=rw"
        uri = self._uri + ("c" if create else "")
        with self._translated("cannot open"):
            try:
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self._wait,
                                           check_same_thread=False)
            except sqlite3.OperationalError as exc:
                raise ChronolexError.single(CODE, f"{self._name}: cannot open the decision log ({exc})") from None
        try:
            self._prepare(create)
        except BaseException:
            self._db.close()
            raise

    # -- opening

    def _refuse_what_is_not_a_file(self) -> None:
        try:
            mode = os.stat(self.path).st_mode
        except OSError:
            return
        if not stat.S_ISREG(mode):
            raise ChronolexError.single(CODE, f"{self._name} is not a regular file (a decision log is one "
                                              "SQLite file)", None, "pass the decision log's file")

    def _prepare(self, create: bool) -> None:
        with self._translated("cannot open"):
            try:
                tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.DatabaseError as exc:
                if _busy(exc):
                    raise
                raise self._not_a_log("not an SQLite database") from None
            if not tables:
                if not create:
                    raise self._not_a_log("an empty file, or an SQLite database without tables")
                self._create()
            else:
                self._check(tables)
            self._db.execute("PRAGMA synchronous = FULL")

    def _create(self) -> None:
        (mode,) = self._db.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            raise ChronolexError.single(CODE, f"{self._name}: cannot put the decision log in WAL mode "
                                              f"(SQLite kept {mode!r})", None,
                                        "keep the log on a local file system")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if not self._db.execute("SELECT name FROM sqlite_master").fetchall():  # not made meanwhile
                for statement in _SCHEMA:
                    self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._check({r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")})

    def _check(self, tables: set[str]) -> None:
        if not {"meta", "decisions", "head"} <= tables:
            what = "an event store" if "events" in tables else "an SQLite database without a decision log's tables"
            raise self._not_a_log(what)
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != _APPLICATION:
            raise self._not_a_log("its meta table is someone else's")
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise ChronolexError.single(
                CODE, f"{self._name} is a decision log of layout version {meta.get('schema_version')}; "
                      f"this chronolex reads version {SCHEMA_VERSION}", None,
                "use the chronolex release that wrote it")

    def _not_a_log(self, reason: str) -> ChronolexError:
        return ChronolexError.single(CODE, f"{self._name} is not a chronolex decision log ({reason})", None,
                                     "pass the file 'chronolex serve --log' writes")

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """SQLite's errors as one ``log-error`` naming the cause."""
        try:
            yield
        except sqlite3.Error as exc:
            if _busy(exc):
                raise self._locked() from None
            text = str(exc)
            if "not a database" in text:
                raise self._not_a_log("not an SQLite database") from None
            if "malformed" in text:
                raise ChronolexError.single(CODE, f"{self._name}: {doing}: the file is damaged ({text})") from None
            raise ChronolexError.single(CODE, f"{self._name}: {doing}: {text}") from None

    def _locked(self) -> ChronolexError:
        return ChronolexError.single(
            CODE, f"{self._name}: the decision log is locked by another process "
                  f"(waited {self._wait:g} s for it)", None,
            "one process writes a decision log at a time: stop the other one, or try again")

    # -- writing

    def append(self, decisions: Sequence[NewDecision]) -> list[DecisionRecord]:
        """Log ``decisions`` in one transaction, in order; return them as records.

        Nothing is written when one of them cannot be logged (an instant without an
        offset, a fact value JSON cannot hold): the error names which and why.
        """
        if not decisions:
            return []
        with self._lock, self._taken_turn(), self._translated("cannot append"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                count, last = self._head if self._head is not None else self._read_head()
                records, rows = self._rows(decisions, count, last)
                # the head this process left is still the head, unless another process
                # appended since: then the records are made again after the head it left
                claimed = self._db.execute(
                    "UPDATE head SET count = ?, last_hash = ? WHERE id = 1 AND count = ? AND last_hash = ?",
                    (count + len(rows), records[-1].hash, count, last)).rowcount
                if claimed != 1:
                    count, last = self._read_head()
                    records, rows = self._rows(decisions, count, last)
                    self._db.execute("UPDATE head SET count = ?, last_hash = ? WHERE id = 1",
                                     (count + len(rows), records[-1].hash))
                self._db.executemany(
                    "INSERT INTO decisions (seq, decision_id, at, at_utc, received_at, known_at, account, action,"
                    " bundle, version, facts, facts_given, decision, blocked_by, rules, prev_hash, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._head = None
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._head = (count + len(rows), records[-1].hash)
        return records

    def _read_head(self) -> tuple[int, str]:
        count, last = self._db.execute("SELECT count, last_hash FROM head WHERE id = 1").fetchone()
        return int(count), str(last)

    def _rows(self, decisions: Sequence[NewDecision], count: int, last: str
              ) -> tuple[list[DecisionRecord], list[tuple[Any, ...]]]:
        """The records ``decisions`` become after record ``count`` (whose hash is ``last``),
        and their rows; a ``log-error`` naming the first that cannot be logged."""
        records: list[DecisionRecord] = []
        rows: list[tuple[Any, ...]] = []
        for index, entry in enumerate(decisions):
            try:
                record, row = _row(count + 1 + index, last, entry)
            except (ValueError, TypeError, UnicodeError) as exc:
                raise ChronolexError.single(
                    CODE, f"{self._name}: cannot log decision {index + 1} of {len(decisions)}: {exc}",
                    None, "log instants with an offset and facts as JSON values") from None
            records.append(record)
            rows.append(row)
            last = record.hash
        return records, rows

    @contextmanager
    def _taken_turn(self) -> Iterator[None]:
        """This process's turn to write (:mod:`chronolex.log.turn`): a process waiting for
        it is woken as soon as it is free, instead of sleeping in SQLite's busy handler."""
        try:
            held = self._turn.take(self._wait)
        except TimeoutError:
            raise self._locked() from None
        try:
            yield
        finally:
            self._turn.give(held)

    # -- reading

    def records(self, *, account: str | None = None, start: str | datetime | None = None,
                end: str | datetime | None = None, since_seq: int | None = None) -> Iterator[DecisionRecord]:
        """Records in log order; ``start``/``end`` bound ``at`` as a half-open interval.

        ``start`` and ``end`` are instants with an offset (text or aware datetimes);
        ``since_seq`` keeps records whose ``seq`` is at least that. Records are read a
        page at a time, so appends from other threads go on while a caller iterates.
        """
        conditions = ["seq > ?"]
        params: list[Any] = []
        if account is not None:
            conditions.append("account = ?")
            params.append(account)
        low, high = _bound(start, "start"), _bound(end, "end")
        if low is not None:
            conditions.append("at_utc >= ?")
            params.append(low)
        if high is not None:
            conditions.append("at_utc < ?")
            params.append(high)
        query = f"SELECT {_COLUMNS} FROM decisions WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT {_PAGE}"
        after = max(since_seq - 1, 0) if since_seq is not None else 0
        while True:
            with self._lock, self._translated("cannot read"):
                rows = self._db.execute(query, (after, *params)).fetchall()
            for row in rows:
                yield self._readable(row)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def _readable(self, row: Sequence[Any]) -> DecisionRecord:
        try:
            return _record(row)
        except (ValueError, TypeError, RecursionError) as exc:
            raise ChronolexError.single(
                CODE, f"{self._name}: record {row[0]} cannot be read ({exc}): it was changed after it was logged",
                None, "run 'chronolex log verify' on the log") from None

    def seq_of(self, hash_: str) -> int | None:
        """The ``seq`` of the record whose hash is ``hash_`` (one kept elsewhere), None when none is.

        A whole chain that no longer holds a hash taken from it earlier was rewritten:
        this is how a last hash kept outside the log proves what the chain alone cannot.
        """
        with self._lock, self._translated("cannot read"):
            row = self._db.execute("SELECT seq FROM decisions WHERE hash = ? ORDER BY seq LIMIT 1",
                                   (hash_.strip().lower(),)).fetchone()
        return int(row[0]) if row is not None else None

    def count(self) -> int:
        """How many records the log holds (by its head)."""
        with self._lock, self._translated("cannot read"):
            (count,) = self._db.execute("SELECT count FROM head WHERE id = 1").fetchone()
        return int(count)

    def size_bytes(self) -> int:
        """The bytes the log takes on disk: its file and its write-ahead log."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.stat(str(self.path) + suffix).st_size
            except OSError:
                pass
        return total

    def verify(self) -> LogVerification:
        """Recompute the chain and name the first place it breaks.

        Finds a changed record (its hash no longer matches its fields), a record removed
        or put in between (a gap in ``seq``, or a ``prev_hash`` that is not the hash of
        the record before) and a log whose last records were removed (fewer records than
        its head counts). It cannot find a log rewritten from some record on with every
        hash recomputed, head included: compare ``head_hash`` with a copy kept elsewhere.
        """
        expected_seq, prev = 1, GENESIS
        records = 0
        query = (f"SELECT {_COLUMNS}, at_utc FROM decisions WHERE seq >= ? ORDER BY seq LIMIT {_PAGE}")
        with self._translated("cannot verify"):
            # a connection of its own, in one read transaction: appends from other threads go on
            # meanwhile, and one that commits during the check does not look like damage
            db = sqlite3.connect(self._uri, uri=True, isolation_level=None, timeout=self._wait)
            try:
                db.execute("BEGIN")
                count, head_hash = db.execute("SELECT count, last_hash FROM head WHERE id = 1").fetchone()
                while True:
                    rows = db.execute(query, (expected_seq,)).fetchall()
                    for row in rows:
                        problem = self._check_row(row, expected_seq, prev)
                        if problem is not None:
                            return LogVerification(False, records, problem, head_hash)
                        records += 1
                        expected_seq, prev = row[0] + 1, row[15]
                    if len(rows) < _PAGE:
                        break
            finally:
                db.close()
        if records < count:
            missing = count - records
            return LogVerification(False, records, (
                records + 1, f"the log ends early: its head counts {count} records, so the last {missing} "
                             f"{'is' if missing == 1 else 'are'} missing (deleted)"), head_hash)
        if records > count:
            return LogVerification(False, records, (
                count + 1, f"record {count + 1} and after are not counted by the log's head: added outside "
                           "the log"), head_hash)
        if prev != head_hash:
            return LogVerification(False, records, (
                records, f"the last record's hash is not the one the log's head holds ({head_hash[:12]}…)"),
                head_hash)
        return LogVerification(True, records, None, head_hash)

    @staticmethod
    def _check_row(row: Sequence[Any], expected_seq: int, prev: str) -> tuple[int, str] | None:
        seq = row[0]
        if seq != expected_seq:
            gap = (f"record {expected_seq} is missing (deleted)" if seq == expected_seq + 1
                   else f"records {expected_seq} to {seq - 1} are missing (deleted)")
            return (expected_seq, gap + f": record {seq} follows record {expected_seq - 1}")
        try:
            record = _record(row[:16])
            at_utc = _utc_text(record.entry.at, "at")
            hash_ = chain_hash(record.prev_hash, seq, record.entry)
        except (ValueError, TypeError, UnicodeError) as exc:
            return (seq, f"record {seq} cannot be read ({exc}): it was changed")
        if row[10] not in (0, 1):
            return (seq, f"record {seq} was changed: facts_given is {row[10]!r}, not 0 or 1")
        if record.prev_hash != prev:
            return (seq, f"record {seq} does not follow record {seq - 1}: its prev_hash is not that record's "
                         "hash (a record was changed, removed or put in between)")
        if hash_ != record.hash:
            return (seq, f"record {seq} was changed: its fields no longer give its hash")
        if record.decision_id != decision_id(hash_):
            return (seq, f"record {seq} was changed: its decision_id is not the one its hash gives")
        if at_utc != row[16]:
            return (seq, f"record {seq} was changed: its indexed instant is not its 'at'")
        return None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
